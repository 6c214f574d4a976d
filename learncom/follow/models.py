"""Follows (a post, a tag, a neighbourhood) and in-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.accounts.models import User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Neighbourhood, Post, Tag


class Follow(db.Model):
    """`active` False records an explicit unfollow, so automatic following does not undo it."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN neighbourhood_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target"),
        Index("uq_follows_post", "user_id", "post_id", unique=True,
              sqlite_where=db.text("post_id IS NOT NULL"),
              postgresql_where=db.text("post_id IS NOT NULL")),
        Index("uq_follows_tag", "user_id", "tag_id", unique=True,
              sqlite_where=db.text("tag_id IS NOT NULL"),
              postgresql_where=db.text("tag_id IS NOT NULL")),
        Index("uq_follows_neighbourhood", "user_id", "neighbourhood_id", unique=True,
              sqlite_where=db.text("neighbourhood_id IS NOT NULL"),
              postgresql_where=db.text("neighbourhood_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post | None] = relationship()
    tag: Mapped[Tag | None] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()


class Notification(db.Model):
    """One per recipient per event (`event_key` makes a second delivery a no-op)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("uq_notifications_event", "user_id", "event_key", unique=True),
        Index("ix_notifications_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    event_key: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A short text the notification carries, e.g. the reason content was hidden.
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
