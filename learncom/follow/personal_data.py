"""A member's follows and notifications in "my data", and their removal when the account is
deleted (events ``member.exporting`` and ``member.erasing``, see learncom/privacy)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.extensions import db
from learncom.follow.models import Follow, Notification
from learncom.privacy.mydata import iso


def _target(follow: Follow) -> tuple[str, object]:
    if follow.post_id is not None:
        return "post", follow.post_id
    if follow.tag is not None:
        return "tag", follow.tag.name
    return "neighbourhood", follow.neighbourhood.name if follow.neighbourhood else None


@events.subscribe("member.exporting")
def export(user, data, **_kw) -> None:
    follows = db.session.scalars(
        select(Follow).where(Follow.user_id == user.id)
        .options(selectinload(Follow.tag), selectinload(Follow.neighbourhood))
        .order_by(Follow.created_at, Follow.id))
    data["follows"] = [{"type": kind, "target": target, "active": follow.active,
                        "automatic": follow.automatic, "created_at": iso(follow.created_at)}
                       for follow in follows for kind, target in [_target(follow)]]
    notes = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.created_at, Notification.id))
    data["notifications"] = [
        {"kind": note.kind, "post_id": note.post_id, "comment_id": note.comment_id,
         "note": note.note, "created_at": iso(note.created_at), "read_at": iso(note.read_at),
         "emailed_at": iso(note.emailed_at)} for note in notes]


@events.subscribe("member.erasing")
def erase(user, report, **_kw) -> None:
    db.session.execute(delete(Follow).where(Follow.user_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id)
                       .execution_options(synchronize_session=False))
    report.tables |= {"follows", "notifications"}
