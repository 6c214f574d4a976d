"""Posts, comments, tags and neighbourhoods as the JSON the API answers.

Every shape here is described in openapi.py (with `additionalProperties: false`), and the
schema test checks the two agree. Never put an e-mail address (or anything else from the
account beyond the display name and member kind) in here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import url_for

from learncom.discussion.services import ThreadNode
from learncom.posts.kinds import KIND_FIELDS
from learncom.posts.models import Neighbourhood, Post


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC (`2026-03-14T09:22:00Z`), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def author(user) -> dict | None:
    """Display name and member kind; None for a former member."""
    if user is None:
        return None
    return {"name": user.name, "kind": user.kind}


def neighbourhood(hood: Neighbourhood | None) -> dict | None:
    if hood is None:
        return None
    return {"name": hood.name, "slug": hood.slug, "city": hood.city}


def post_item(post: Post) -> dict:
    return {
        "id": post.id,
        "kind": post.kind,
        "title": post.title,
        "url": url_for("posts.show", post_id=post.id, _external=True),
        "tags": [tag.name for tag in post.tags],
        "neighbourhood": neighbourhood(post.neighbourhood),
        "author": author(post.author),
        "created_at": timestamp(post.created_at),
        "updated_at": timestamp(post.updated_at),
        "status": post.list_status,
    }


def _field_value(value):
    return value.isoformat() if isinstance(value, date) else value


def kind_fields(post: Post) -> dict:
    """The fields of the post's kind, as in learncom/posts/kinds.py (dates as YYYY-MM-DD)."""
    return {spec.name: _field_value(getattr(post, spec.name)) for spec in KIND_FIELDS[post.kind]}


def link(relation: str, direction: str, other: Post) -> dict:
    return {"relation": relation, "direction": direction, "post_id": other.id,
            "title": other.title}


def post_detail(post: Post, *, links: list[dict], reactions: dict[str, int],
                comment_count: int) -> dict:
    return {
        **post_item(post),
        "body_markdown": post.body or "",
        "body_html": post.body_html or "",
        "fields": kind_fields(post),
        "links": links,
        "reactions": reactions,
        "comment_count": comment_count,
    }


def comment(node: ThreadNode, viewer) -> dict:
    """A comment and its replies. A deleted comment keeps its place without text or author;
    one hidden by moderation likewise, unless this viewer may read it (its author and
    coordinators)."""
    c = node.comment
    readable = not c.is_deleted and not c.hidden_from(viewer)
    return {
        "id": c.id,
        "parent_id": c.parent_id,
        "author": author(c.author) if readable else None,
        "created_at": timestamp(c.created_at),
        "edited_at": timestamp(c.edited_at) if readable else None,
        "body_html": (c.body_html or "") if readable else None,
        "deleted": c.is_deleted,
        "hidden": c.is_hidden and not c.is_deleted,
        "replies": [comment(reply, viewer) for reply in node.replies],
    }


def page(items: list[dict], *, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}
