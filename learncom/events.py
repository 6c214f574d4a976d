"""In-process domain events, so features react to each other without importing each other.

A service emits an event *inside* the request's transaction (after its own `flush()`); the
subscribers (notifications, the audit log, …) write their rows in the same transaction, so an
event and its consequences commit or roll back together.

Events and their keyword arguments:

- ``post.created``             post, actor (also when a draft is published: from then on the
                               post exists for everyone else; drafts raise no events)
- ``post.updated``             post, actor
- ``revision.redacted``        post, revision (posts.models.PostRevision), actor
- ``post.deleted``             post, actor (before the row is deleted)
- ``lesson.changes_requested`` post, comment, actor
- ``member.created``           user, actor (None: from the command line)
- ``comment.created``          comment, actor
- ``friction.status_changed``  post, change (frictions.models.StatusChange), actor
- ``lesson.curated``           post, actor, note
- ``lesson.uncurated``         post, actor, note
- ``post.promoted``            post (the draft), actor, source_post, source_comment (or None)
- ``bundle.created`` / ``.updated`` / ``.deleted`` / ``.published`` / ``.unpublished``
                               bundle, actor
- ``bundle.item_added`` / ``bundle.item_removed``  bundle, post_id, actor
- ``bundle.items_reordered``   bundle, order (post ids), actor
- ``flags.dismissed``          target, actor, flags (how many), reasons (comma-separated)
- ``content.hidden``           target (Post or Comment), actor, reason
- ``content.restored``         target (Post or Comment), actor
- ``flags.resolved``           target, actor, resolution ("hidden" | "dismissed"), flags
- ``member.role_changed``      user, actor, old, new
- ``member.activation_changed`` user, actor, active
- ``member.email_changed``     user, actor (the member, after following the link; every
                               session of the member has ended)
- ``member.exporting``         user, data (the "my data" document: add a section to it)
- ``member.erasing``           user, mode ("anonymise" | "remove"), actor, report
                               (before the row is emptied; add to ``report.tables`` what held
                               the member's text)
- ``member.erased``            user (the emptied row), mode, actor
- ``team.created``             team, actor
- ``team.member_added``        team, user, actor
- ``team.member_removed``      team, user, actor
"""

from __future__ import annotations

from collections.abc import Callable

from blinker import Namespace

#: One blinker signal per event name (Flask's own signals use blinker too).
signals = Namespace()


class _Receiver:
    """Calls a subscriber with the event's keyword arguments only (blinker also passes a sender,
    which our events do not use); equal for the same subscriber, so subscribing twice has no
    extra effect."""

    def __init__(self, fn: Callable[..., None]):
        self.fn = fn

    def __call__(self, _sender, **kwargs) -> None:
        self.fn(**kwargs)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Receiver) and other.fn is self.fn

    def __hash__(self) -> int:
        return hash(self.fn)


_receivers: dict[tuple[str, Callable[..., None]], _Receiver] = {}


def subscribe(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: call the function with the event's keyword arguments whenever it is emitted.
    Subscribing the same function twice (an app factory run twice) has no extra effect."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        receiver = _receivers.setdefault((name, fn), _Receiver(fn))
        signals.signal(name).connect(receiver, weak=False)
        return fn
    return register


def unsubscribe(name: str, fn: Callable[..., None]) -> None:
    receiver = _receivers.pop((name, fn), None)
    if receiver is not None:
        signals.signal(name).disconnect(receiver)


def emit(name: str, **kwargs) -> None:
    """Call every subscriber of `name`, in the order they subscribed, in this transaction."""
    signals.signal(name).send(None, **kwargs)
