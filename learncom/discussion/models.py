"""Threaded comments. Deleting keeps the row (shown as "[verwijderd]") so replies stay readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, and_, or_, true
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from learncom import permissions
from learncom.accounts.models import User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db
from learncom.posts.models import Post
from learncom.rendered import Rendered, html_and_excerpt


class Comment(Rendered, db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")  # learncom/rendered.py
    excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation: a hidden comment reads "hidden by moderation" except to its author and
    # coordinators.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Post.comments comes from here: posts know nothing of the discussion.
    post: Mapped[Post] = relationship(backref=backref(
        "comments", cascade="all, delete-orphan", passive_deletes=True, order_by="Comment.id"))
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    markdown_sources = ("body",)

    def render(self) -> None:
        # @mentions become links to the member's page (the follow feature finds them).
        self.body_html, self.excerpt = html_and_excerpt(self.body, word_links=True)

    @classmethod
    def not_rendered(cls):
        return and_(cls.excerpt == "", cls.body_html != "")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @classmethod
    def text_shown_to(cls, user) -> object:
        """SQL condition: the comments whose text this viewer may read (a comment hidden by
        moderation only by its author and moderators). For lists outside the thread."""
        if user is None or not user.is_authenticated:
            return cls.hidden_at.is_(None)
        if permissions.can_moderate(user):
            return true()
        return or_(cls.hidden_at.is_(None), cls.author_id == user.id)

    def hidden_from(self, user) -> bool:
        """True when this viewer sees "hidden by moderation" instead of the text."""
        return self.hidden_at is not None and not permissions.can_see_hidden(user, self)


# A card's comment count (not deleted, per post) is read from this index alone, not from the
# comments' rows (migration 0017).
Index("ix_comments_post_id_deleted_at", Comment.post_id, Comment.deleted_at)
