"""The audit log when an account is deleted: the deletion itself is logged without personal
data, and earlier entries that named the member (say "member added to a team") no longer do
(events ``member.erasing`` and ``member.erased``)."""

from __future__ import annotations

import json

from sqlalchemy import String, cast, or_, select

from learncom import events
from learncom.audit.models import AuditEvent
from learncom.audit.services import record
from learncom.extensions import db
from learncom.privacy.erasure import FORMER_MEMBER, word_pattern


def _scrubbed(value, patterns: list):
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(FORMER_MEMBER, value)
        return value
    if isinstance(value, list):
        return [_scrubbed(item, patterns) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, patterns) for key, item in value.items()}
    return value


@events.subscribe("member.erasing")
def erase(user, **_kw) -> None:
    needles = [user.name, user.email]
    # The JSON is stored as text, with non-ASCII letters escaped: look for both spellings.
    spellings = {s for n in needles for s in (n, json.dumps(n)[1:-1])}
    text = cast(AuditEvent.detail, String)
    events_naming = db.session.scalars(select(AuditEvent).where(
        or_(*(text.icontains(s, autoescape=True) for s in spellings))))
    patterns = [word_pattern(needle) for needle in needles]
    for event in events_naming:
        detail = _scrubbed(event.detail or {}, patterns)
        if detail != event.detail:
            event.detail = detail


@events.subscribe("member.erased")
def erased(user, mode, actor, **_kw) -> None:
    by_self = actor is None or actor.id == user.id
    record(None if by_self else actor, "member.deleted", user,
           {"mode": mode, "by": "self" if by_self else "admin"})
