"""Indexing that cannot be forgotten: one session listener (learncom/search/tracking.py) decides
from the flushed objects which posts to re-index, on both engines. Each change is made the way
the app makes it (a route, or a service) and `flask search check` stays clean after it."""

from __future__ import annotations

import os
import socket
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.orm import Session

from learncom.extensions import db
from learncom.posts.models import Neighbourhood, Post, Tag
from learncom.search import reindex, search
from learncom.search.services import get_backend
from tests import search_fixtures

search_app = search_fixtures.search_app


def ids(query: str, viewer=None, **filters) -> set[int]:
    found = {hit.id for hit in search(query, filters or None, 1, viewer).hits}
    db.session.commit()
    return found


def clean(runner) -> bool:
    result = runner.invoke(args=["search", "check"])
    return result.exit_code == 0 and "missing: 0, stale: 0, orphans: 0" in result.output


@pytest.fixture
def world(search_app, create_user, create_post, create_comment):
    anke = create_user("Anke Siegers", kind="professional", email="anke@example.org")
    coordinator = create_user("Coördinator", role="coordinator")
    post = create_post(anke, title="Buurtkamer als vindplaats", tags=["ontmoeting"],
                       neighbourhood="Overvecht", body="Elke dinsdag koffie.")
    lesson = create_post(anke, kind="lesson", title="Vraag eerst wat iemand wil",
                         statement="Begin bij de bewoner.", tags=["maatwerk"])
    comment = create_comment(post, coordinator, "De moestuinploeg hielp enorm.")
    return {"anke": anke, "coordinator": coordinator, "post": post, "lesson": lesson,
            "comment": comment}


def test_renaming_a_member_reindexes_their_posts(world, client, auth, runner):
    """Changing one's name or kind re-indexes one's posts (issue 12 item 7)."""
    anke, post, lesson = world["anke"], world["post"], world["lesson"]
    assert ids("siegers") == {post.id, lesson.id}
    auth.login(anke)
    response = client.post("/account/profiel", data={
        "name": "Anke Jansen", "kind": "resident", "organisation": "", "function": ""})
    assert response.status_code == 302
    assert ids("siegers") == set()
    assert ids("jansen") == {post.id, lesson.id}
    assert ids("author:jansen") == {post.id, lesson.id}
    assert ids("", author_kind="resident") == {post.id, lesson.id}
    assert ids("", author_kind="professional") == set()
    assert clean(runner)


def test_hiding_a_comment_takes_it_out_of_search(world, client, auth, runner):
    comment = world["comment"]
    assert ids("moestuinploeg") == {world["post"].id}
    auth.login(world["coordinator"])
    response = client.post(f"/beheer/moderatie/reacties/{comment.id}/verbergen",
                           data={"reason": "Persoonlijke gegevens"})
    assert response.status_code == 302
    assert ids("moestuinploeg") == set()
    assert clean(runner)
    client.post(f"/beheer/moderatie/reacties/{comment.id}/terugzetten")
    assert ids("moestuinploeg") == {world["post"].id}
    assert clean(runner)


def test_hiding_a_post_hides_it_from_everyone_in_search(world, client, auth, runner):
    post = world["post"]
    auth.login(world["coordinator"])
    client.post(f"/beheer/moderatie/posts/{post.id}/verbergen", data={"reason": "Spam"})
    assert ids("buurtkamer") == set()
    assert ids("buurtkamer", world["coordinator"]) == set()
    assert clean(runner)


def test_renaming_a_neighbourhood_or_a_tag_reindexes_their_posts(world, runner):
    post = world["post"]
    hood = db.session.get(Post, post.id).neighbourhood
    hood.name, hood.slug = "Overvecht-Noord", "overvecht-noord"
    db.session.commit()
    assert ids("noord") == {post.id}
    assert ids("", neighbourhood="overvecht-noord") == {post.id}
    assert ids("", neighbourhood="overvecht") == set()
    tag = db.session.scalars(db.select(Tag).where(Tag.name == "ontmoeting")).one()
    tag.name = "samenkomen"
    db.session.commit()
    assert ids("tag:samenkomen") == {post.id}
    assert ids("tag:ontmoeting") == set()
    assert clean(runner)


def test_applying_a_lesson_reindexes_it(world, client, auth, runner):
    lesson = world["lesson"]
    auth.login(world["coordinator"])
    response = client.post(f"/posts/{lesson.id}/toegepast", data={
        "applied-neighbourhood": "", "applied-place": "Buurthuis De Boog", "applied-team": "",
        "applied-applied_on": date.today().isoformat(),
        "applied-what_happened": "Het werkte.", "applied-friction_returned": "no"})
    assert response.status_code == 302
    assert clean(runner)
    found = search("", {"kind": "lesson"}, 1, None, sort="applied")
    assert [hit.id for hit in found.hits] == [lesson.id]
    db.session.commit()
    assert clean(runner)


def test_log_entries_comments_and_edits_reach_the_index(world, client, auth, runner):
    from learncom.posts import services as post_services

    anke, coordinator = world["anke"], world["coordinator"]
    experiment = db.session.get(Post, world["post"].id)
    post_services.add_log_entry(experiment, anke, "Week drie: de voorleesochtend begon.")
    db.session.commit()
    assert ids("voorleesochtend") == {experiment.id}
    auth.login(coordinator)
    client.post(f"/posts/{experiment.id}/reacties", data={"body": "Het taalcafé ook?"})
    assert ids("taalcafé") == {experiment.id}
    assert clean(runner)


def test_deleting_a_post_removes_it(world, runner):
    from learncom.posts import services as post_services

    post = db.session.get(Post, world["post"].id)
    post_services.delete_post(post)
    db.session.commit()
    assert ids("buurtkamer") == set()
    assert clean(runner)


def test_a_rollback_indexes_nothing(world, runner):
    post = db.session.get(Post, world["post"].id)
    post.title = "Ontbijtclub voor mantelzorgers"
    db.session.flush()
    db.session.rollback()
    assert ids("ontbijtclub") == set()
    assert clean(runner)


def test_a_savepoint_rolled_back_keeps_the_changes_before_it(world, runner):
    post = db.session.get(Post, world["post"].id)
    post.title = "Ontbijtclub voor mantelzorgers"
    db.session.flush()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.get(Post, world["lesson"].id).title = "Weggegooid"
        db.session.flush()
        raise RuntimeError
    db.session.commit()
    assert ids("ontbijtclub") == {post.id}
    assert ids("weggegooid") == set()
    assert clean(runner)


def test_a_core_statement_goes_unseen_until_sync_heals_it(world, runner):
    """The listener sees ORM changes only; `flask search sync` re-indexes whatever differs."""
    post = world["post"]
    db.session.execute(update(Post).where(Post.id == post.id).values(title="Repaircafé"))
    db.session.commit()
    assert not clean(runner)
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "Re-indexed 1 posts" in result.output
    assert ids("repaircafé") == {post.id}
    assert clean(runner)


def test_reindex_asks_for_posts_by_id(world):
    post = world["post"]
    db.session.execute(update(Post).where(Post.id == post.id).values(title="Repaircafé"))
    reindex([post.id])
    db.session.commit()
    assert ids("repaircafé") == {post.id}


# -- the declaration covers what the document reads --------------------------------------------

def _other_value(column, row, attribute: str, rows: list, session):
    """A different valid value for this column of this row: a foreign key points at another
    existing user; a column under a CHECK constraint takes another row's value."""
    from sqlalchemy import CheckConstraint

    from learncom.accounts.models import User

    current = getattr(row, attribute)
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table.name
        if target == "users":
            return session.scalars(db.select(User.id).where(User.id != current)).first()
        return current
    checked = any(isinstance(c, CheckConstraint) and column.name in str(c.sqltext)
                  for c in column.table.constraints)
    if checked:
        return next((getattr(r, attribute) for r in rows
                     if getattr(r, attribute) not in (current, None)), current)
    python_type = column.type.python_type
    if python_type is bool:
        return not current
    if python_type is int:
        return (current or 0) + 1
    if python_type is datetime:
        return datetime(2020, 1, 2, 3, 4)
    if python_type is date:
        return date(2020, 1, 2)
    if python_type is str:
        return f"x{rows.index(row)}{current or ''}"[: getattr(column.type, "length", None) or 200]
    return current


def test_the_document_reads_only_what_sources_declare(world):
    """Every column of a source model that `documents.sources()` does not declare can change
    without changing any document: so declaring an attribute is all it takes to have it
    watched, and a field added to the document without declaring it fails here."""
    from learncom.search import documents

    post_ids = [world["post"].id, world["lesson"].id]
    connection = db.session.connection()

    def fingerprints():
        with Session(bind=connection, autoflush=False) as reader:
            return {i: d.fingerprint for i, d in documents.documents_for(reader, post_ids).items()}

    before = fingerprints()
    checked = []
    for source in documents.sources():
        rows = list(db.session.scalars(db.select(source.model)))
        declared = set(source.attributes)
        for column in source.model.__table__.columns:
            attribute = inspect(source.model).get_property_by_column(column).key
            if column.primary_key or attribute in declared:
                continue
            for row in rows:
                setattr(row, attribute, _other_value(column, row, attribute, rows, db.session))
            checked.append(f"{source.model.__name__}.{attribute}")
        db.session.flush()
    assert fingerprints() == before, "an undeclared attribute changed a document"
    assert len(checked) > 30 and "Post.curated" in checked and "User.email" in checked
    db.session.rollback()


def test_every_declared_attribute_exists(search_app):
    from learncom.search import documents

    for source in documents.sources():
        names = set(inspect(source.model).attrs.keys())
        assert set(source.attributes) <= names, source.model


def test_the_engine_is_the_configured_one(search_app, search_engine):
    assert get_backend().name == search_engine
    assert Neighbourhood.__tablename__ == "neighbourhoods"


def test_the_first_request_heals_what_a_crash_left_behind(world, client, search_app):
    """On start (its first request) a process re-indexes in the background whatever differs
    from the database, so a crash at any point between a change and its indexing heals."""
    import time

    from learncom.search.services import check

    post = world["post"]
    db.session.execute(update(Post).where(Post.id == post.id).values(title="Repaircafé"))
    db.session.commit()
    assert check().stale == [post.id]
    db.session.commit()
    search_app.config["SEARCH_HEAL_ON_START"] = True
    assert client.get("/").status_code == 200  # does not wait for the check
    deadline = time.monotonic() + 20
    while not check().ok and time.monotonic() < deadline:
        db.session.commit()
        time.sleep(0.1)
    db.session.commit()
    assert check().ok
    assert ids("repaircafé") == {post.id}
    healer = search_app.extensions["learncom_search"].healing_pid
    client.get("/")
    assert search_app.extensions["learncom_search"].healing_pid == healer  # once per process
    # Workers the same server starts later do not check again.
    marker = Path(search_app.config["SEARCH_INDEX_DIR"]) / ".healed"
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == f"{socket.gethostname()} {os.getppid()}"


def test_a_check_in_the_background_rests_in_proportion_to_its_work(world, monkeypatch):
    """The check at start rests after each batch of posts a multiple of the time the batch took
    (services.HEAL_REST): a share of a core on any machine, however long the posts are. A fixed
    pause let it take 0.4 of a core on a large corpus."""
    import time
    from types import SimpleNamespace

    from learncom.search import documents

    rests: list[float] = []
    monkeypatch.setattr(documents, "time", SimpleNamespace(monotonic=time.monotonic,
                                                           sleep=rests.append))
    started = time.monotonic()
    docs = list(documents.iter_documents(db.session, batch=1, rest=3.0))
    took = time.monotonic() - started
    assert len(docs) >= 2
    assert len(rests) == len(docs)  # one rest per batch
    assert all(r > 0 for r in rests)
    assert 3.0 * took * 0.5 <= sum(rests) <= 3.0 * took
    rests.clear()
    list(documents.iter_documents(db.session, batch=1))
    assert rests == []  # a check in the foreground never rests
