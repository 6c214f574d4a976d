"""Bundles: a coordinator's ordered selection of curated lessons (and what lies behind them)
with an introduction, published for councils and teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.accounts.models import User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db
from learncom.markdown import render_markdown
from learncom.posts.models import Post
from learncom.rendered import Rendered


class Bundle(Rendered, db.Model):
    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    intro: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")  # learncom/rendered.py
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[BundleItem]] = relationship(
        back_populates="bundle", cascade="all, delete-orphan", passive_deletes=True,
        order_by="BundleItem.position")

    markdown_sources = ("intro",)

    def render(self) -> None:
        self.intro_html = str(render_markdown(self.intro))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class BundleItem(db.Model):
    __tablename__ = "bundle_items"
    __table_args__ = (UniqueConstraint("bundle_id", "post_id", name="uq_bundle_items_post"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)

    bundle: Mapped[Bundle] = relationship(back_populates="items")
    post: Mapped[Post] = relationship()
