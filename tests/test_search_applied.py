"""Sort by "applied": lessons most often applied first (then by relevance), counted into the
index with one grouped query per batch, on /zoeken and /api/v1/search."""

from __future__ import annotations

import re
from datetime import date

import pytest

from learncom.applications.models import LessonApplication
from learncom.extensions import db
from learncom.search import search
from tests import search_fixtures
from tests.helpers import counted

search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


def hit_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="hit-(\d+)"', html)]


def apply_lesson(lesson, user, times: int) -> None:
    for i in range(times):
        db.session.add(LessonApplication(post_id=lesson.id, user_id=user.id,
                                         applied_on=date(2026, 1, 1 + i),
                                         what_happened="Het werkte in onze wijk."))


@pytest.fixture
def lessons(search_app, create_user, post_factory):
    author = create_user("Lessenmaker")
    # The most relevant lesson (the word in title and body) was applied least.
    relevant = post_factory(author, kind="lesson", title="Huiskamergesprek werkt",
                            body="Het huiskamergesprek, elke week een huiskamergesprek.")
    once = post_factory(author, kind="lesson", title="Korte les", body="Een huiskamergesprek.")
    often = post_factory(author, kind="lesson", title="Andere les",
                         body="Soms een huiskamergesprek.")
    experiment = post_factory(author, kind="experiment", title="Proef",
                              body="Een huiskamergesprek als proef.")
    apply_lesson(once, author, 1)
    apply_lesson(often, author, 3)
    db.session.commit()  # the session listener re-indexes the lessons applied
    return {"author": author, "relevant": relevant, "once": once, "often": often,
            "experiment": experiment}


def test_sort_applied_puts_the_most_applied_lessons_first_then_relevance(lessons):
    by_relevance = [hit.id for hit in search("huiskamergesprek").hits]
    assert by_relevance[0] == lessons["relevant"].id
    applied = [hit.id for hit in search("huiskamergesprek", sort="applied").hits]
    assert applied[:2] == [lessons["often"].id, lessons["once"].id]
    # Never applied: relevance decides among them.
    rest = [i for i in by_relevance if i not in applied[:2]]
    assert applied[2:] == rest
    assert search("huiskamergesprek", sort="applied").sort == "applied"


def test_a_new_application_reorders_on_commit(lessons):
    apply_lesson(lessons["relevant"], lessons["author"], 5)
    db.session.commit()
    applied = [hit.id for hit in search("huiskamergesprek", sort="applied").hits]
    assert applied[:3] == [lessons["relevant"].id, lessons["often"].id, lessons["once"].id]


def test_documents_count_applications_in_one_query_per_batch(lessons):
    from learncom.search import documents

    ids = [p.id for p in (lessons["relevant"], lessons["once"], lessons["often"],
                          lessons["experiment"])]
    db.session.expunge_all()
    with counted() as statements:
        docs = documents.documents_for(db.session, ids)
    assert [docs[i].applied for i in ids] == [0, 1, 3, 0]
    # Posts, their relations (at most five) and one grouped count, whatever the batch size.
    assert len(statements) <= 7
    assert sum("lesson_applications" in s for s in statements) == 1


def test_results_page_and_api_offer_the_applied_sort(client, lessons):
    html = client.get("/zoeken?q=huiskamergesprek").get_data(as_text=True)
    assert 'id="sort-applied"' in html
    assert 'href="/zoeken?q=huiskamergesprek&amp;sort=applied"' in html
    page = client.get("/zoeken?q=huiskamergesprek&sort=applied").get_data(as_text=True)
    assert hit_ids(page)[:2] == [lessons["often"].id, lessons["once"].id]
    assert 'id="sort-relevance"' in page and 'id="sort-applied"' not in page

    # No lesson among the results: no "most applied" link.
    assert 'id="sort-applied"' not in client.get("/zoeken?q=proef&kind=experiment").get_data(
        as_text=True)

    data = client.get("/api/v1/search?q=huiskamergesprek&sort=applied").get_json()
    assert [item["id"] for item in data["items"]][:2] == [lessons["often"].id,
                                                        lessons["once"].id]
    assert data["total"] == 4
