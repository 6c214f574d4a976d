"""A record that a member posted text the privacy guard warned about, with their reason.

Only the kinds of personal data found are kept ("bsn", "phone", …), never the matched text
itself. Coordinators read these on the post page and at /beheer/privacy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.accounts.models import User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db

#: What was posted despite the warning (the table of the saved row).
TARGET_TYPES = ("posts", "comments", "log_entries", "lesson_applications")


class PrivacyOverride(db.Model):
    __tablename__ = "privacy_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The post the text belongs to (itself, or the post of the comment, log entry or record):
    # deleting the post deletes these rows.
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(24))
    target_id: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
