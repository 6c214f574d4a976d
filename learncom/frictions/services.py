"""The friction workflow: which change-status moves are allowed, making one (with its timeline
event), and the queries behind the timeline and the change board. Functions flush; the view
commits.

The transition table (``TRANSITIONS``) is the one place that says how a friction moves:

======================  =================================================================
from                    to
======================  =================================================================
raised                  on_agenda, not_resolved (nobody will pick it up)
on_agenda               being_addressed, raised (taken off the agenda), not_resolved
being_addressed         resolved, not_resolved, on_agenda (back on the agenda: it stalled)
resolved                raised (reopen: it came back)
not_resolved            raised (reopen: a new chance)
======================  =================================================================

A friction never skips "on the agenda" on its way to being addressed, so every friction that is
worked on was put on an agenda first; it can be closed as "not resolved" from any open status;
a closed friction only reopens as "raised", so it goes through the process again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from learncom import events, vocab
from learncom.accounts.models import User
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.permissions import can_change_friction_status, can_own_friction
from learncom.posts import services as post_services
from learncom.posts.models import Post
from learncom.reactions.models import Reaction

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "raised": ("on_agenda", "not_resolved"),
    "on_agenda": ("being_addressed", "raised", "not_resolved"),
    "being_addressed": ("resolved", "not_resolved", "on_agenda"),
    "resolved": ("raised",),
    "not_resolved": ("raised",),
}
CLOSED_STATUSES = frozenset({"resolved", "not_resolved"})
MAX_REASON = 1000
MAX_RESOLUTION_NOTE = 5000


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Pass as `owner` to keep the friction's owner as it is.
UNCHANGED = _Unchanged()


class TransitionError(ValueError):
    """A status change that breaks a rule. `field` names the form field the message belongs to."""

    def __init__(self, message, field: str = "to_status"):
        super().__init__(message)
        self.message = message
        self.field = field


def current_status(post: Post) -> str:
    return post.change_status if post.change_status in TRANSITIONS else "raised"


def allowed_targets(post_or_status: Post | str) -> tuple[str, ...]:
    status = (post_or_status if isinstance(post_or_status, str)
              else current_status(post_or_status))
    return TRANSITIONS.get(status, ())


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def coordinators() -> list[User]:
    """Who can own a friction: active coordinators and admins."""
    return list(db.session.scalars(
        select(User).where(User.role.in_(("coordinator", "admin")), User.active.is_(True))
        .order_by(User.name, User.id)))


def change_status(post: Post, actor: User, to_status: str, reason: str, *,
                  owner: User | None | _Unchanged = UNCHANGED,
                  resolution_note: str | None = None) -> StatusChange:
    """Move a friction to `to_status`, write its timeline event and tell the subscribers.

    `owner` (a coordinator, or None for nobody) replaces the owner unless UNCHANGED; a non-empty
    `resolution_note` is stored when the friction is resolved or not resolved. Raises
    TransitionError (and changes nothing) when the move is not allowed.
    """
    if post.kind != "friction":
        raise TransitionError(_l("Only a friction has a change status."))
    if not can_change_friction_status(actor, post):
        raise TransitionError(_l("Only coordinators change the status of a friction."))
    reason = (reason or "").strip()
    from_status = current_status(post)
    if to_status not in vocab.CHANGE_STATUSES:
        raise TransitionError(_l("Choose a new status."))
    if not is_allowed(from_status, to_status):
        raise TransitionError(_l(
            "A friction that is \"%(current)s\" cannot go to \"%(target)s\". Choose one of: "
            "%(allowed)s.", current=vocab.CHANGE_STATUSES[from_status],
            target=vocab.CHANGE_STATUSES[to_status],
            allowed=", ".join(str(vocab.CHANGE_STATUSES[s]) for s in TRANSITIONS[from_status])))
    if not reason:
        raise TransitionError(_l("Write a short reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise TransitionError(_l("Use at most %(max)d characters.", max=MAX_REASON),
                              field="reason")
    if not isinstance(owner, _Unchanged) and owner is not None and not can_own_friction(owner):
        raise TransitionError(_l("The owner must be a coordinator."), field="owner")
    note = (resolution_note or "").strip()
    if len(note) > MAX_RESOLUTION_NOTE:
        raise TransitionError(_l("Use at most %(max)d characters.", max=MAX_RESOLUTION_NOTE),
                              field="resolution_note")

    post.change_status = to_status
    if not isinstance(owner, _Unchanged):
        post.owner = owner
    if note and to_status in CLOSED_STATUSES:
        post.resolution_note = note
    post.updated_at = utcnow()
    change = StatusChange(post=post, actor=actor, from_status=from_status, to_status=to_status,
                          reason=reason, created_at=post.updated_at)
    db.session.add(change)
    db.session.flush()
    # A status change is not an edit of the post (its timeline shows it); only a resolution
    # note changes the post's text, and the history keeps who wrote it.
    post_services.add_revision_if_changed(post, actor)
    events.emit("friction.status_changed", post=post, change=change, actor=actor)
    return change


# -- the timeline and "days open" --------------------------------------------------------------

def status_changes_for(post: Post) -> list[StatusChange]:
    """A friction's status changes, oldest first, with their actors (one query)."""
    return list(db.session.scalars(
        select(StatusChange).where(StatusChange.post_id == post.id)
        .options(joinedload(StatusChange.actor))
        .order_by(StatusChange.created_at, StatusChange.id)))


def days_open(post: Post, closed_at: datetime | None = None,
              now: datetime | None = None) -> int:
    """Whole days from reporting until now, or until it was closed (resolved/not resolved)."""
    end = closed_at if current_status(post) in CLOSED_STATUSES and closed_at else (now or utcnow())
    return max((end - post.created_at).days, 0)


def closed_at_from(changes: list[StatusChange]) -> datetime | None:
    """When the friction was last closed, from its (time-ordered) status changes."""
    for change in reversed(changes):
        if change.to_status in CLOSED_STATUSES:
            return change.created_at
    return None


def interleave(thread: list, changes: list[StatusChange]) -> list[tuple[str, object]]:
    """The top-level comment nodes and the status changes in one time-ordered list of
    ("comment", node) and ("event", change); an event and a comment at the same moment: the
    event first."""
    items: list[tuple[str, object]] = []
    pending = list(changes)
    for node in thread:
        while pending and pending[0].created_at <= node.comment.created_at:
            items.append(("event", pending.pop(0)))
        items.append(("comment", node))
    items.extend(("event", change) for change in pending)
    return items


# -- the change board --------------------------------------------------------------------------

@dataclass
class BoardCard:
    post: Post
    recognised: int
    days_open: int
    targets: tuple[str, ...]


def recognise_counts(post_ids: list[int]) -> dict[int, int]:
    """Herkenbaar reactions per post (one grouped query)."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(Reaction.post_id, func.count()).where(
            Reaction.post_id.in_(post_ids), Reaction.kind == "recognise")
        .group_by(Reaction.post_id))
    return dict(rows.all())


def closed_times(post_ids: list[int]) -> dict[int, datetime]:
    """When each friction was last closed (one grouped query)."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(StatusChange.post_id, func.max(StatusChange.created_at))
        .where(StatusChange.post_id.in_(post_ids),
               StatusChange.to_status.in_(sorted(CLOSED_STATUSES)))
        .group_by(StatusChange.post_id))
    return dict(rows.all())


def board(viewer, *, tag: str | None = None, neighbourhood_id: int | None = None,
          obstacle_type: str | None = None) -> dict[str, list[BoardCard]]:
    """Every friction the viewer can see, per change status (in the workflow's order), each
    column sorted by herkenbaar count and then by days open (most felt and oldest first)."""
    query = post_services.filtered_posts(viewer, kind="friction", tag=tag,
                                         neighbourhood_id=neighbourhood_id)
    if obstacle_type:
        query = query.where(Post.obstacle_type == obstacle_type)
    posts = list(db.session.scalars(query.options(selectinload(Post.owner))))
    ids = [post.id for post in posts]
    counts, closed = recognise_counts(ids), closed_times(ids)
    now = utcnow()
    columns: dict[str, list[BoardCard]] = {status: [] for status in vocab.CHANGE_STATUSES}
    for post in posts:
        status = current_status(post)
        columns[status].append(BoardCard(
            post=post, recognised=counts.get(post.id, 0),
            days_open=days_open(post, closed.get(post.id), now),
            targets=allowed_targets(status)))
    for cards in columns.values():
        cards.sort(key=lambda card: (-card.recognised, -card.days_open, card.post.id))
    return columns
