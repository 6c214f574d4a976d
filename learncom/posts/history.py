"""A post's revision history without side doors, and redacting a revision.

A revision is shown only to those who could see the post *when that revision was current*:
its snapshot keeps the visibility and team of that moment, so a version written while the post
was team-only stays team-only after the post goes public. Anonymous visitors see no history at
all (the route asks them to log in). Changes are shown against the previous revision the
viewer may see, so a diff never reveals a version they may not.

Redacting replaces a revision's texts (title, body and the kind's text fields) by
"[weggehaald]"; the page shows "[weggehaald door <name>]". This is how personal data that
slipped into an earlier version is removed for good: edit the post, then redact the versions
that still hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.accounts.models import Team
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.permissions import can_redact_revision
from learncom.posts.kinds import KIND_FIELDS
from learncom.posts.models import Post, PostRevision
from learncom.posts.services import Change, changes_between

REDACTED = "[weggehaald]"
#: Snapshot keys whose text is replaced when a revision is redacted.
REDACTED_FIELDS = frozenset({"title", "body"}) | frozenset(
    spec.name for specs in KIND_FIELDS.values() for spec in specs
    if spec.type in ("text", "line"))


@dataclass
class HistoryEntry:
    revision: PostRevision
    changes: list[Change]
    first: bool  # the post's first version
    earliest_shown: bool = False  # versions before it exist but are not for this viewer
    can_redact: bool = False


def _team_ids(names) -> dict[str, int]:
    names = {name for name in names if name}
    if not names:
        return {}
    return dict(db.session.execute(select(Team.name, Team.id).where(Team.name.in_(names))).all())


def readable_by(snapshot: dict, post: Post, viewer, team_ids: dict[str, int]) -> bool:
    """Could the viewer see the post when this snapshot was current? (The caller already
    checked that they may see the post now.)"""
    if viewer is None or not viewer.is_authenticated:
        return False
    visibility = (snapshot or {}).get("visibility") or post.visibility
    if visibility in ("public", "members"):
        return True
    if post.author_id == viewer.id:
        return True
    team_id = team_ids.get((snapshot or {}).get("team"))
    return team_id is not None and team_id in viewer.team_ids


def _shown(revision: PostRevision) -> dict:
    """The snapshot as the page shows it: redacted texts name who removed them."""
    snapshot = dict(revision.snapshot or {})
    if revision.redacted_at is None:
        return snapshot
    name = revision.redacted_by.name if revision.redacted_by else _("former member")
    marker = _("[removed by %(name)s]", name=name)
    return {key: marker if value == REDACTED else value for key, value in snapshot.items()}


def _revisions(post: Post) -> list[PostRevision]:
    return list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .options(selectinload(PostRevision.editor), selectinload(PostRevision.redacted_by))
        .order_by(PostRevision.number)))


def visible_revisions(post: Post, viewer) -> list[PostRevision]:
    revisions = _revisions(post)
    team_ids = _team_ids((r.snapshot or {}).get("team") for r in revisions)
    return [r for r in revisions if readable_by(r.snapshot, post, viewer, team_ids)]


def history(post: Post, viewer) -> list[HistoryEntry]:
    """The revisions this viewer may see, newest first, each with its changes against the
    previous one they may see (two or three queries)."""
    revisions = _revisions(post)
    team_ids = _team_ids((r.snapshot or {}).get("team") for r in revisions)
    newest = revisions[-1].number if revisions else None
    redactor = can_redact_revision(viewer, post)
    entries: list[HistoryEntry] = []
    previous: dict | None = None
    for revision in revisions:
        if not readable_by(revision.snapshot, post, viewer, team_ids):
            continue
        shown = _shown(revision)
        entries.append(HistoryEntry(
            revision, changes_between(post.kind, previous or {}, shown),
            first=revision.number == 1, earliest_shown=previous is None and revision.number != 1,
            can_redact=redactor and revision.number != newest and revision.redacted_at is None))
        previous = shown
    entries.reverse()
    return entries


def get_revision(post: Post, number: int) -> PostRevision | None:
    return db.session.scalar(select(PostRevision).where(
        PostRevision.post_id == post.id, PostRevision.number == number))


class RevisionError(ValueError):
    """A redaction that is not allowed; the message is shown to the user."""


def redact(revision: PostRevision, actor) -> bool:
    """Replace the revision's texts by "[weggehaald]"; False when it already was. The newest
    revision is the post as it is now: edit the post instead."""
    if revision.redacted_at is not None:
        return False
    newest = max(r.number for r in revision.post.revisions)
    if revision.number == newest:
        raise RevisionError(_("This is the current version. Edit the post to change it."))
    snapshot = dict(revision.snapshot or {})
    for key in REDACTED_FIELDS:
        if snapshot.get(key) not in (None, ""):
            snapshot[key] = REDACTED
    revision.snapshot = snapshot
    revision.redacted_at = utcnow()
    revision.redacted_by_id = actor.id
    db.session.flush()
    events.emit("revision.redacted", post=revision.post, revision=revision, actor=actor)
    return True
