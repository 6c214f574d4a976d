"""In-process domain events, so features react to each other without importing each other.

A service emits an event *inside* the request's transaction (after its own `flush()`); the
subscribers (notifications, the audit log, …) write their rows in the same transaction, so an
event and its consequences commit or roll back together.

Events and their keyword arguments:

- ``post.created``             post, actor (also when a draft is published: from then on the
                               post exists for everyone else; drafts raise no events)
- ``post.updated``             post, actor
- ``post.deleted``             post, actor (before the row is deleted)
- ``lesson.changes_requested`` post, comment, actor
- ``member.created``           user, actor (None: from the command line)
- ``comment.created``          comment, actor
- ``friction.status_changed``  post, change (frictions.models.StatusChange), actor
- ``lesson.curated``           post, actor, note
- ``content.hidden``           target (Post or Comment), actor, reason
- ``content.restored``         target (Post or Comment), actor
- ``member.role_changed``      user, actor, old, new
- ``member.activation_changed`` user, actor, active
- ``team.created``             team, actor
- ``team.member_added``        team, user, actor
- ``team.member_removed``      team, user, actor
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: call the function with the event's keyword arguments whenever it is emitted.
    Subscribing the same function twice (an app factory run twice) has no extra effect."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if fn not in _subscribers[name]:
            _subscribers[name].append(fn)
        return fn
    return register


def emit(name: str, **kwargs) -> None:
    for fn in list(_subscribers.get(name, ())):
        fn(**kwargs)
