"""Posts of three kinds in one table (their fields are few and mostly text), plus tags,
neighbourhoods, typed links, revisions and experiment log entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom import permissions, vocab
from learncom.accounts.models import Team, User, team_members
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db
from learncom.markdown import render_markdown
from learncom.posts.kinds import ALL_FIELDS, KIND_FIELDS, KINDS
from learncom.rendered import Rendered, html_and_excerpt

#: The kind fields written in Markdown (their HTML is kept in Post.fields_html).
MARKDOWN_FIELDS = tuple(dict.fromkeys(
    spec.name for specs in KIND_FIELDS.values() for spec in specs if spec.type == "text"))

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class Neighbourhood(db.Model):
    """A wijk from a managed list (new ones come from coordinators or imports)."""

    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    city: Mapped[str | None] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<Neighbourhood {self.slug}>"


class Post(Rendered, db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in KINDS)})", name="kind"),
        CheckConstraint("visibility IN ('public', 'members', 'team')", name="visibility"),
        CheckConstraint("visibility != 'team' OR team_id IS NOT NULL", name="team_has_team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # Stored when the text is written (learncom/rendered.py): the body as HTML, its plain-text
    # excerpt, and the HTML of the kind's Markdown fields ({"hypothesis": "<p>…</p>", …}).
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    # NULL: stored before this column existed (see Rendered.not_rendered).
    fields_html: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    visibility: Mapped[str] = mapped_column(String(10), default="public", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # None: a draft, seen only by its author (and, for drafts promoted from a discussion, by
    # coordinators). Publishing sets it, and `created_at` with it: the date readers know.
    # Rows inserted without it (bulk loads) count as published when they are inserted.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow,
                                                          index=True)
    shared_with_coordinators: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=false())
    # When the post last changed after it was published (the "edited" mark); None: never.
    # Kept by the services with each revision, so the post page needs no query for it.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The kind fields' columns (hypothesis, status, obstacle_type, statement, …) are declared
    # in kinds.py and added below the class. Curation and the friction's owner:
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    curated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    curated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    curation_note: Mapped[str | None] = mapped_column(Text)
    # Moderation: a hidden post is seen only by its author and coordinators.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    curated_by: Mapped[User | None] = relationship(foreign_keys=[curated_by_id])
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    team: Mapped[Team | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by=Tag.name)
    log_entries: Mapped[list[LogEntry]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(LogEntry.date, LogEntry.id)",
    )
    revisions: Mapped[list[PostRevision]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True,
        order_by="PostRevision.number",
    )
    # `comments`: added by learncom/discussion/models.py (the discussion sits on top of posts).

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.kind} {self.title!r}>"

    markdown_sources = ("body", *MARKDOWN_FIELDS)

    def render(self) -> None:
        self.body_html, self.excerpt = html_and_excerpt(self.body)
        self.fields_html = {name: str(render_markdown(getattr(self, name)))
                            for name in MARKDOWN_FIELDS if getattr(self, name)}

    @classmethod
    def not_rendered(cls):
        return or_(cls.fields_html.is_(None), and_(cls.excerpt == "", cls.body_html != ""))

    # -- labels ---------------------------------------------------------------------------
    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind].label)

    @property
    def list_status(self) -> str | None:
        """The status shown on cards and filtered on in lists (the kind's `status_field`)."""
        field = KINDS[self.kind].status_field
        return getattr(self, field) if field else None

    @property
    def list_status_label(self) -> str | None:
        status = self.list_status
        return str(KINDS[self.kind].statuses.get(status, status)) if status else None

    # -- state (who may do what: learncom/permissions.py) ----------------------------------
    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @classmethod
    def visible_to(cls, user) -> object:
        """SQL condition: the published posts this user may see (`can_view_post` as a query).
        Used by every list, count, feed and API answer, so drafts are in none of them (their
        author finds them at /mijn/concepten). Hidden posts stay visible to their author and
        to moderators."""
        published = cls.published_at.is_not(None)
        if user is None or not user.is_authenticated:
            return and_(published, cls.visibility == "public", cls.hidden_at.is_(None))
        my_teams = select(team_members.c.team_id).where(team_members.c.user_id == user.id)
        readable = and_(published, or_(
            cls.visibility.in_(("public", "members")),
            and_(cls.visibility == "team",
                 or_(cls.team_id.in_(my_teams), cls.author_id == user.id)),
        ))
        if permissions.can_moderate(user):
            return readable
        return and_(readable, or_(cls.hidden_at.is_(None), cls.author_id == user.id))

    @classmethod
    def drafts_of(cls, user) -> object:
        """SQL condition: the drafts this user may open: their own, and for curators the
        drafts promoted from a discussion."""
        if user is None or not user.is_authenticated:
            return false()
        mine = cls.author_id == user.id
        if permissions.can_curate(user):
            mine = or_(mine, cls.shared_with_coordinators.is_(True))
        return and_(cls.published_at.is_(None), mine)


for _spec in ALL_FIELDS:
    setattr(Post, _spec.name, _spec.column())

#: The columns `Post.visible_to` reads. The list indexes below end with them, so a list's page
#: and its exact count are read from the index alone, never from the rows with their texts
#: (SQLite counted the 47,000 experiments of 100,000 posts in 500 ms from the rows, 16 ms from
#: the index; migration 0017).
VISIBILITY_COLUMNS = ("published_at", "visibility", "hidden_at", "team_id", "author_id")


def _list_index(name: str, *leading: str) -> Index:
    columns = (*leading, "created_at", *VISIBILITY_COLUMNS)
    return Index(name, *(getattr(Post, column) for column in columns))


# A kind's list newest first (and the home page's lists), and the lists filtered on a kind's
# status: walked newest first, stopped after a page.
_list_index("ix_posts_list", "kind")
for _spec in KINDS.values():
    if _spec.status_field:
        _list_index(f"ix_posts_list_{_spec.status_field}", "kind", _spec.status_field)
# The home page's featured lessons: the few curated ones, without reading every lesson.
Index("ix_posts_curated", Post.curated, Post.curated_at)


def no_posts() -> object:
    """A condition matching nothing; for filters that can never hold."""
    return false()


class PostLink(db.Model):
    """A typed link from one post to another; shown on both."""

    __tablename__ = "post_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "relation", name="uq_post_links_edge"),
        CheckConstraint("source_id != target_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Post] = relationship(foreign_keys=[source_id])
    target: Mapped[Post] = relationship(foreign_keys=[target_id])

    @property
    def relation_label(self) -> str:
        return str(vocab.RELATIONS[self.relation])

    @property
    def inverse_label(self) -> str:
        return str(vocab.RELATIONS_INVERSE[self.relation])


class PostRevision(db.Model):
    """A snapshot of a post after each save: who changed what, when."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number", name="uq_post_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"title", "body", "tags": [...], "neighbourhood", "team", "visibility", <kind fields>}
    snapshot: Mapped[dict] = mapped_column(JSON)
    # Redacted: the snapshot's texts were replaced (posts/history.py), by whom and when.
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redacted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    post: Mapped[Post] = relationship(back_populates="revisions")
    editor: Mapped[User | None] = relationship(foreign_keys=[editor_id])
    redacted_by: Mapped[User | None] = relationship(foreign_keys=[redacted_by_id])


class LogEntry(Rendered, db.Model):
    """A dated entry in a running experiment's log."""

    __tablename__ = "log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    date: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    post: Mapped[Post] = relationship(back_populates="log_entries")
    author: Mapped[User | None] = relationship()

    markdown_sources = ("body",)

    def render(self) -> None:
        self.body_html, self.excerpt = html_and_excerpt(self.body)

    @classmethod
    def not_rendered(cls):
        return and_(cls.excerpt == "", cls.body_html != "")
