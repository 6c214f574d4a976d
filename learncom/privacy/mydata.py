"""A member's own data as one JSON document (/account/gegevens.json; the shape is documented
in docs/my-data.md).

The core writes the profile, teams, posts with their revisions, log entries, comments and the
privacy-guard reasons; add-ons add their sections through the event ``member.exporting``
(user, data). Nothing about other members beyond a display name, and never an e-mail address
but the member's own.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.accounts.models import EmailChange, User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.guard.models import PrivacyOverride
from learncom.posts.kinds import KIND_FIELDS
from learncom.posts.models import LogEntry, Post, PostRevision

FORMAT = "learncom-my-data"
VERSION = 1
#: Sections the add-ons fill (empty when a feature is not installed).
ADDON_SECTIONS = ("reactions", "follows", "notifications", "applied_lessons", "flags")


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def post_url(post_id: int) -> str:
    return url_for("posts.show", post_id=post_id, _external=True)


def export(user: User) -> dict:
    data: dict = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(utcnow()),
        "profile": _profile(user),
        "teams": [{"name": team.name, "slug": team.slug} for team in user.teams],
        "posts": _posts(user),
        "log_entries": _log_entries(user),
        "comments": _comments(user),
        "privacy_overrides": _overrides(user),
        "email_change": _email_change(user),
    }
    events.emit("member.exporting", user=user, data=data)
    for section in ADDON_SECTIONS:
        data.setdefault(section, [])
    return data


def _profile(user: User) -> dict:
    return {
        "id": user.id, "name": user.name, "email": user.email, "kind": user.kind,
        "organisation": user.organisation, "function": user.function, "role": user.role,
        "locale": user.locale, "public_profile": user.public_profile,
        "email_digest": user.email_digest, "created_at": iso(user.created_at),
    }


def _email_change(user: User) -> dict | None:
    """A new address waiting for its link (the token is never kept, so never exported)."""
    change = db.session.scalar(select(EmailChange).where(EmailChange.user_id == user.id)
                               .order_by(EmailChange.id.desc()).limit(1))
    if change is None:
        return None
    return {"new_email": change.new_email, "created_at": iso(change.created_at),
            "expires_at": iso(change.expires_at)}


def _field(value):
    return value.isoformat() if isinstance(value, date) else value


def _revision(revision: PostRevision, user: User) -> dict:
    editor = revision.editor
    return {
        "number": revision.number,
        "created_at": iso(revision.created_at),
        "edited_by": "you" if editor is not None and editor.id == user.id else (
            editor.name if editor is not None else None),
        "redacted_at": iso(revision.redacted_at),
        "snapshot": revision.snapshot,
    }


def _posts(user: User) -> list[dict]:
    posts = db.session.scalars(
        select(Post).where(Post.author_id == user.id).options(
            selectinload(Post.tags), selectinload(Post.neighbourhood), selectinload(Post.team),
            selectinload(Post.revisions).selectinload(PostRevision.editor))
        .order_by(Post.created_at, Post.id))
    return [{
        "id": post.id, "url": post_url(post.id), "kind": post.kind, "title": post.title,
        "body": post.body,
        "fields": {spec.name: _field(getattr(post, spec.name)) for spec in KIND_FIELDS[post.kind]},
        "tags": [tag.name for tag in post.tags],
        "neighbourhood": post.neighbourhood.name if post.neighbourhood else None,
        "team": post.team.name if post.team else None,
        "visibility": post.visibility,
        "hidden_by_moderation": post.is_hidden,
        "created_at": iso(post.created_at), "updated_at": iso(post.updated_at),
        "revisions": [_revision(revision, user) for revision in post.revisions],
    } for post in posts]


def _log_entries(user: User) -> list[dict]:
    entries = db.session.scalars(select(LogEntry).where(LogEntry.author_id == user.id)
                                 .order_by(LogEntry.created_at, LogEntry.id))
    return [{"id": entry.id, "post_id": entry.post_id, "post_url": post_url(entry.post_id),
             "date": iso(entry.date), "body": entry.body, "created_at": iso(entry.created_at)}
            for entry in entries]


def _comments(user: User) -> list[dict]:
    comments = db.session.scalars(select(Comment).where(Comment.author_id == user.id)
                                  .order_by(Comment.created_at, Comment.id))
    return [{"id": c.id, "post_id": c.post_id,
             "url": url_for("posts.show", post_id=c.post_id, _anchor=f"reactie-{c.id}",
                            _external=True),
             "parent_id": c.parent_id, "body": c.body, "created_at": iso(c.created_at),
             "edited_at": iso(c.edited_at), "deleted": c.is_deleted,
             "hidden_by_moderation": c.is_hidden} for c in comments]


def _overrides(user: User) -> list[dict]:
    rows = db.session.scalars(select(PrivacyOverride).where(PrivacyOverride.user_id == user.id)
                              .order_by(PrivacyOverride.created_at, PrivacyOverride.id))
    return [{"post_id": row.post_id, "target_type": row.target_type, "target_id": row.target_id,
             "kinds": row.kinds, "reason": row.reason, "created_at": iso(row.created_at)}
            for row in rows]
