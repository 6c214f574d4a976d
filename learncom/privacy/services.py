"""Reading the privacy guard's records: where members posted despite a warning, and why.
Coordinators see them for the posts they can see."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom.extensions import db
from learncom.guard import services as guard
from learncom.guard.models import PrivacyOverride
from learncom.permissions import can_read_privacy_overrides
from learncom.posts.models import Post

RECENT = 100


def overrides_on(post: Post, viewer) -> list[PrivacyOverride]:
    """The records on this post and on its comments, log and lesson records (one query)."""
    if not can_read_privacy_overrides(viewer):
        return []
    return list(db.session.scalars(
        select(PrivacyOverride).where(PrivacyOverride.post_id == post.id)
        .options(selectinload(PrivacyOverride.user))
        .order_by(PrivacyOverride.created_at.desc(), PrivacyOverride.id.desc())))


def post_context(post, viewer, comments) -> dict:
    """The post page, for coordinators: where this post's texts were posted despite a
    warning."""
    rows = overrides_on(post, viewer)
    return {"privacy_overrides": rows, "privacy_kind_names": guard.kind_names,
            "privacy_target_url": target_url} if rows else {}


def recent_overrides(viewer, limit: int = RECENT) -> list[tuple[PrivacyOverride, Post]]:
    """The newest records on posts this coordinator can see."""
    if not can_read_privacy_overrides(viewer):
        return []
    rows = db.session.execute(
        select(PrivacyOverride, Post).join(Post, Post.id == PrivacyOverride.post_id)
        .where(Post.visible_to(viewer))
        .options(selectinload(PrivacyOverride.user))
        .order_by(PrivacyOverride.created_at.desc(), PrivacyOverride.id.desc()).limit(limit))
    return [(row, post) for row, post in rows.all()]


_ANCHORS = {"comments": "reactie-{}", "log_entries": "log-{}",
            "lesson_applications": "application-{}"}


def target_url(row: PrivacyOverride) -> str:
    anchor = _ANCHORS.get(row.target_type)
    if anchor is None:
        return url_for("posts.show", post_id=row.post_id)
    return url_for("posts.show", post_id=row.post_id, _anchor=anchor.format(row.target_id))
