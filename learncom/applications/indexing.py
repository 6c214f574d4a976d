"""Lessons applied in the search index: how often each lesson was applied is a document field
(the "most often applied" sort of /zoeken), contributed to learncom/search/documents.py, which
imports no add-on. Registered when this module is imported (init_app does; so does each process
of a parallel rebuild)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learncom.applications.models import LessonApplication
from learncom.search import documents


def applied(session: Session, post_ids: list[int]) -> dict[int, dict]:
    """How often each post (a lesson) was applied: one grouped query per batch."""
    rows = session.execute(select(LessonApplication.post_id, func.count())
                           .where(LessonApplication.post_id.in_(post_ids))
                           .group_by(LessonApplication.post_id))
    return {post_id: {"applied": n} for post_id, n in rows}


documents.contribute(documents.Source(LessonApplication, ("post", "post_id"),
                                      documents.their_post), applied)
