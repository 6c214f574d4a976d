"""Reactions: "herkenbaar" (recognise) and "nuttig" (useful), one per member per kind per target."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db

REACTION_KINDS = ("recognise", "useful")


class Reaction(db.Model):
    __tablename__ = "reactions"
    __table_args__ = (
        CheckConstraint("kind IN ('recognise', 'useful')", name="kind"),
        CheckConstraint("(post_id IS NULL) != (comment_id IS NULL)", name="one_target"),
        # One reaction of a kind per member per post / per comment.
        Index("uq_reactions_post", "user_id", "post_id", "kind", unique=True,
              sqlite_where=db.text("post_id IS NOT NULL"),
              postgresql_where=db.text("post_id IS NOT NULL")),
        Index("uq_reactions_comment", "user_id", "comment_id", "kind", unique=True,
              sqlite_where=db.text("comment_id IS NOT NULL"),
              postgresql_where=db.text("comment_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
