"""Provenance of promoted posts: which comment (or whole thread) a lesson or friction came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.accounts.models import User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Post


class Promotion(db.Model):
    """`post` was drafted from `source_comment` (or, for a whole thread, from `source_post`)."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    source_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    source_comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True)
    promoted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(foreign_keys=[post_id])
    source_post: Mapped[Post | None] = relationship(foreign_keys=[source_post_id])
    source_comment: Mapped[Comment | None] = relationship()
    promoted_by: Mapped[User | None] = relationship()
