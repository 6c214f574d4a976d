"""Recording coordinator and admin actions. Features call `record()` in the same transaction as
the action (or subscribe to its event), so the log can never miss a committed action."""

from __future__ import annotations

from learncom.audit.models import AuditEvent
from learncom.extensions import db


def record(actor, action: str, target, detail: dict | None = None) -> AuditEvent:
    """`target` is a model instance (its table name and id are stored) or None."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action,
        target_type=target.__tablename__ if target is not None else "site",
        target_id=getattr(target, "id", None), detail=detail or {})
    db.session.add(event)
    db.session.flush()
    return event
