"""Atom feeds: what each feed holds, as plain entries the template writes out.

Feed readers do not log in, so every feed shows only what an anonymous visitor may see
(`Post.visible_to(None)`: public posts not hidden by moderation). A feed holds at most
`MAX_ENTRIES` entries and loads them in one query plus eager loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom import markdown
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts import services as post_services
from learncom.posts.kinds import BY_SLUG, KINDS
from learncom.posts.models import Neighbourhood, Post, Tag
from learncom.rendered import excerpt

MAX_ENTRIES = 50
#: `<updated>` of a feed without entries: nothing in it ever changed.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Entry:
    id: str
    title: str
    url: str
    author: str
    published: datetime
    updated: datetime
    summary: str
    html: str  # sanitised HTML (rendered by learncom.markdown); the template escapes it
    categories: list[str] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    self_url: str
    page_url: str
    entries: list[Entry]
    fallback_updated: datetime = EPOCH

    @property
    def updated(self) -> datetime:
        """The newest change among the entries (what Last-Modified reports)."""
        if not self.entries:
            return self.fallback_updated
        return max(entry.updated for entry in self.entries)

    def etag(self, lang: str) -> str:
        """A validator computed from what the feed says, without writing the feed out: each
        entry's id, change time, title, author, summary and tags, the feed's own title and
        language, and the renderer's version (its HTML changes only with those)."""
        digest = hashlib.sha256()
        for part in (self.id, self.title, lang, str(markdown.RENDERER_VERSION)):
            digest.update(part.encode() + b"\0")
        for entry in self.entries:
            for part in (entry.id, entry.updated.isoformat(), entry.title, entry.author,
                         entry.summary, ",".join(entry.categories)):
                digest.update(part.encode() + b"\0")
        return digest.hexdigest()[:32]


def _title(suffix: str) -> str:
    return f"{current_app.config.get('SITE_NAME', 'learncom')}: {suffix}"


def _author_name(user) -> str:
    """Only the display name: a feed never carries an e-mail address."""
    return user.name if user is not None else _("former member")


def post_entries(posts: list[Post]) -> list[Entry]:
    entries = []
    for post in posts:
        url = url_for("posts.show", post_id=post.id, _external=True)
        entries.append(Entry(
            id=url, title=post.title, url=url, author=_author_name(post.author),
            published=post.created_at, updated=max(post.updated_at, post.created_at),
            summary=excerpt(post, 300), html=post.body_html or "",
            categories=[tag.name for tag in post.tags]))
    return entries


def _posts(**filters) -> list[Post]:
    query = post_services.filtered_posts(None, **filters).limit(MAX_ENTRIES)
    return list(db.session.scalars(query))


def all_posts_feed() -> Feed:
    return Feed(
        id=url_for("feeds.all_posts", _external=True), title=_title(_("All posts")),
        self_url=url_for("feeds.all_posts", _external=True),
        page_url=url_for("posts.home", _external=True),
        entries=post_entries(_posts()))


def kind_feed(slug: str) -> Feed:
    kind = KINDS[BY_SLUG[slug]]
    self_url = url_for("feeds.kind", slug=slug, _external=True)
    return Feed(
        id=self_url, title=_title(str(kind.plural)), self_url=self_url,
        page_url=url_for("posts.list_kind", slug=slug, _external=True),
        entries=post_entries(_posts(kind=kind.name)))


def tag_feed(tag: Tag) -> Feed:
    self_url = url_for("feeds.tag", name=tag.name, _external=True)
    return Feed(
        id=self_url, title=_title(_("Tag %(name)s", name=tag.name)), self_url=self_url,
        page_url=url_for("posts.tag", name=tag.name, _external=True),
        entries=post_entries(_posts(tag=tag.name)))


def neighbourhood_feed(hood: Neighbourhood) -> Feed:
    self_url = url_for("feeds.neighbourhood", slug=hood.slug, _external=True)
    return Feed(
        id=self_url, title=_title(hood.name), self_url=self_url,
        page_url=url_for("posts.neighbourhood", slug=hood.slug, _external=True),
        entries=post_entries(_posts(neighbourhood_id=hood.id)))


def public_post(post_id: int) -> Post | None:
    """The post if an anonymous reader may see it (a thread feed of any other post is a 404)."""
    return db.session.scalar(select(Post).where(Post.id == post_id, Post.visible_to(None)))


def thread_comments(post: Post) -> list[Comment]:
    """The post's newest comments that anyone may read: deleted and hidden ones left out."""
    return list(db.session.scalars(
        select(Comment).where(Comment.post_id == post.id, Comment.deleted_at.is_(None),
                              Comment.hidden_at.is_(None))
        .options(selectinload(Comment.author))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(MAX_ENTRIES)))


def thread_feed(post: Post) -> Feed:
    self_url = url_for("feeds.thread", post_id=post.id, _external=True)
    entries = []
    for comment in thread_comments(post):
        url = url_for("posts.show", post_id=post.id, _anchor=f"reactie-{comment.id}",
                      _external=True)
        author = _author_name(comment.author)
        entries.append(Entry(
            id=url, title=_("Comment by %(name)s on %(title)s", name=author, title=post.title),
            url=url, author=author, published=comment.created_at,
            updated=comment.edited_at or comment.created_at,
            summary=excerpt(comment, 300), html=comment.body_html or ""))
    return Feed(
        id=self_url, title=_title(_("Comments on %(title)s", title=post.title)),
        self_url=self_url, page_url=url_for("posts.show", post_id=post.id, _external=True),
        entries=entries, fallback_updated=post.created_at)


def rfc3339(value: datetime) -> str:
    """`2026-03-14T09:22:00Z`: RFC 3339 in UTC, whole seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
