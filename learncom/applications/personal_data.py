"""A member's records of lessons applied in "my data", and their removal when the account is
deleted with everything in it (events ``member.exporting`` and ``member.erasing``)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from learncom import events, search
from learncom.applications.models import LessonApplication
from learncom.extensions import db
from learncom.privacy.mydata import iso, post_url


@events.subscribe("member.exporting")
def export(user, data, **_kw) -> None:
    records = db.session.scalars(
        select(LessonApplication).where(LessonApplication.user_id == user.id)
        .options(selectinload(LessonApplication.neighbourhood),
                 selectinload(LessonApplication.team))
        .order_by(LessonApplication.created_at, LessonApplication.id))
    data["applied_lessons"] = [{
        "post_id": r.post_id, "post_url": post_url(r.post_id), "applied_on": iso(r.applied_on),
        "neighbourhood": r.neighbourhood.name if r.neighbourhood else None, "place": r.place,
        "team": r.team.name if r.team else None, "what_happened": r.what_happened,
        "friction_returned": r.friction_returned, "created_at": iso(r.created_at),
    } for r in records]


@events.subscribe("member.erasing")
def erase(user, mode, report, **_kw) -> None:
    if mode != "remove":
        return  # anonymised: the records stay without a name (user_id is set to NULL)
    lessons = set(db.session.scalars(select(LessonApplication.post_id).where(
        LessonApplication.user_id == user.id)))
    db.session.execute(delete(LessonApplication).where(LessonApplication.user_id == user.id)
                       .execution_options(synchronize_session=False))
    for post_id in lessons:
        search.reindex([post_id])  # the "applied" count is indexed
    report.tables.add("lesson_applications")
