"""Lessons applied: record where a lesson was put to use and how it went, list the records on
the lesson's page, and count them for cards and the "most often applied" sort. Functions flush;
the view commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from learncom.applications.models import FRICTION_RETURNED, LessonApplication
from learncom.extensions import db
from learncom.permissions import can_record_application
from learncom.posts.models import Neighbourhood, Post

MAX_TEXT = 20_000
MAX_PLACE = 200


class ApplicationError(ValueError):
    """A record that breaks a rule; the message is shown to the user."""


@dataclass
class ApplicationInput:
    applied_on: date
    what_happened: str
    friction_returned: str = "unknown"
    neighbourhood_id: int | None = None
    place: str | None = None
    team_id: int | None = None


def local_today() -> date:
    """Today in the site's time zone: "not in the future" means what the member's calendar says."""
    try:
        zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def record_application(post: Post, user, data: ApplicationInput) -> LessonApplication:
    if post.kind != "lesson":
        raise ApplicationError(_("Only a lesson can be applied."))
    text = (data.what_happened or "").strip()
    if not text:
        raise ApplicationError(_("Write what happened."))
    if len(text) > MAX_TEXT:
        raise ApplicationError(_("Use at most %(max)d characters.", max=MAX_TEXT))
    if data.applied_on > local_today():
        raise ApplicationError(_("The date cannot be in the future."))
    if data.friction_returned not in FRICTION_RETURNED:
        raise ApplicationError(_("Choose an answer."))
    if data.team_id is not None and data.team_id not in user.team_ids:
        raise ApplicationError(_("You can only name a team you belong to."))
    place = " ".join((data.place or "").split())[:MAX_PLACE] or None
    if data.neighbourhood_id is not None and db.session.get(
            Neighbourhood, data.neighbourhood_id) is None:
        raise ApplicationError(_("Choose a neighbourhood"))
    if data.neighbourhood_id is None and place is None:
        raise ApplicationError(_("Choose a neighbourhood or write where."))
    application = LessonApplication(
        post_id=post.id, user_id=user.id, neighbourhood_id=data.neighbourhood_id, place=place,
        team_id=data.team_id, applied_on=data.applied_on, what_happened=text,
        friction_returned=data.friction_returned)
    db.session.add(application)
    db.session.flush()
    return application


def delete_application(application: LessonApplication) -> None:
    db.session.delete(application)
    db.session.flush()


def get_application_of(post: Post, application_id: int) -> LessonApplication | None:
    application = db.session.get(LessonApplication, application_id)
    if application is None or application.post_id != post.id:
        return None
    return application


def applications_for(post: Post) -> list[LessonApplication]:
    """The records of a lesson, newest first (by the date applied), in one query."""
    return list(db.session.scalars(
        select(LessonApplication).where(LessonApplication.post_id == post.id)
        .options(joinedload(LessonApplication.user), joinedload(LessonApplication.neighbourhood),
                 joinedload(LessonApplication.team))
        .order_by(LessonApplication.applied_on.desc(), LessonApplication.id.desc())))


def applied_count_subquery():
    """(post_id, applied): how often each lesson was applied; for sorting lists."""
    return (select(LessonApplication.post_id, func.count(LessonApplication.id).label("applied"))
            .group_by(LessonApplication.post_id).subquery())


def order_by_applied(query):
    """A list of lessons, most often applied first (the list sort "applied")."""
    applied = applied_count_subquery()
    return query.outerjoin(applied, applied.c.post_id == Post.id).order_by(
        func.coalesce(applied.c.applied, 0).desc(), Post.created_at.desc(), Post.id.desc())


def applied_counts(post_ids: list[int]) -> dict[int, int]:
    """How often each of these posts was applied, in one grouped query."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(LessonApplication.post_id, func.count(LessonApplication.id))
        .where(LessonApplication.post_id.in_(post_ids)).group_by(LessonApplication.post_id))
    return dict(rows.all())


def card_context(posts, viewer) -> dict[int, dict]:
    """Card slot: "applied N×" on lesson cards. One query for the whole list, also when it
    holds no lesson, so a page's query count does not depend on which kinds it shows."""
    counts = applied_counts([post.id for post in posts])
    return {post.id: {"applied": counts.get(post.id, 0)} for post in posts
            if post.kind == "lesson"}


def post_context(post, viewer, comments) -> dict:
    """Post-page slot: the records and the form, on a lesson's page."""
    if post.kind != "lesson":
        return {}
    from learncom.applications.forms import ApplicationForm

    form = None
    if can_record_application(viewer, post):
        form = ApplicationForm.for_member(viewer, formdata=None)
    return {"lesson_applications": applications_for(post), "application_form": form}
