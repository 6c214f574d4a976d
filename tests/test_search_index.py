"""Keeping the Whoosh index true: the queue, the after-commit drain, the CLI and concurrent
writers. (What gets re-indexed, on both engines: tests/test_search_tracking.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, inspect, select

from learncom import ROOT
from learncom.extensions import db
from learncom.posts import services as post_services
from learncom.search import search
from learncom.search.models import IndexQueue
from learncom.search.services import check, get_backend
from learncom.search.whoosh.queue import drain, pending
from tests import search_fixtures

# The search fixtures (the app with search wired in, and indexing helpers).
search_app = search_fixtures.search_app
# Whoosh's own machinery: not run against the PostgreSQL engine.
SEARCH_ENGINES = ("whoosh",)
index = search_fixtures.index
post_factory = search_fixtures.post_factory


# These helpers end the test's own transaction: on SQLite it holds the write lock, and a drain
# (like another process) must be able to write.
def ids(query: str, viewer=None, **kwargs) -> list[int]:
    found = [hit.id for hit in search(query, None, 1, viewer, **kwargs).hits]
    db.session.commit()
    return found


def queued() -> int:
    count = db.session.scalar(select(func.count()).select_from(IndexQueue))
    db.session.commit()
    return count


def test_index_queue_table_is_created_by_the_test_schema(search_app):
    assert "index_queue" in inspect(db.engine).get_table_names()


def test_commit_makes_a_post_searchable(search_app, create_user):
    author = create_user()
    post = post_services.create_post(author, post_services.PostInput(
        kind="experiment", title="Buurtkamer als vindplaats", tags=["eenzaamheid"]))
    db.session.flush()
    assert get_backend().fingerprints() == {}  # nothing is indexed before commit
    db.session.commit()
    assert ids("vindplaats") == [post.id]
    assert queued() == 0


def test_the_queue_row_is_written_in_the_changing_transaction(search_app, create_user):
    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    author = create_user()
    post = post_services.create_post(author, post_services.PostInput(
        kind="experiment", title="Buurtkamer als vindplaats", tags=["eenzaamheid"]))
    db.session.commit()
    rows = db.session.execute(select(IndexQueue.post_id, IndexQueue.op)).all()
    assert [tuple(row) for row in rows] == [(post.id, "upsert")]


def test_a_late_forget_never_drops_a_newer_posts_row(search_app, create_user):
    """Two drains can index the same queue rows: the first commits the index and is about to
    delete its rows (by id) when the second indexes them again and deletes them. A new post
    queued right then must not get one of those ids back (SQLite reuses the largest rowid
    unless the table is AUTOINCREMENT), or the first drain's late delete removes its row
    unread and the post never reaches the index (a rare miss under concurrent writers)."""
    from learncom.search.whoosh import queue

    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    author = create_user()
    post_services.create_post(author, post_services.PostInput(
        kind="experiment", title="Eerste bericht", tags=["wachtrij"]))
    db.session.commit()
    with get_backend().writing() as writer:  # the first drain, up to its commit
        done, _posts = queue._index_queued(db.engine, writer, queue.BATCH)
    assert drain().processed == 1  # the second drain, from start to end
    later = post_services.create_post(author, post_services.PostInput(
        kind="experiment", title="Tweede bericht", tags=["wachtrij"]))
    db.session.commit()
    queue._forget(db.engine, done)  # the first drain's late delete
    assert queued() == 1
    drain()
    assert ids("tweede") == [later.id]


def test_rollback_indexes_nothing(search_app, create_user):
    author = create_user()
    post_services.create_post(author, post_services.PostInput(
        kind="experiment", title="Ontbijtclub voor mantelzorgers", tags=["mantelzorg"]))
    db.session.rollback()
    assert queued() == 0
    assert drain().processed == 0
    assert ids("ontbijtclub") == []


def test_an_update_reindexes_and_a_delete_removes(search_app, create_user, post_factory, index):
    author = create_user()
    post = post_factory(author, title="Wandelgroep in Kanaleneiland")
    assert ids("wandelgroep") == [post.id]
    post.title = "Fietsgroep in Kanaleneiland"
    index(post)
    assert ids("wandelgroep") == []
    assert ids("fietsgroep") == [post.id]

    post_services.delete_post(post)
    db.session.commit()
    assert ids("fietsgroep") == []
    assert get_backend().fingerprints() == {}


def test_comments_tags_and_visibility_changes_reach_the_index(search_app, create_user,
                                                             post_factory, create_comment,
                                                             index):
    author = create_user(teams=["Wijkteam Zuid"])
    post = post_factory(author, title="Spreekuur in de bibliotheek")
    create_comment(post, author, "De voorleesochtend trok veel ouders")
    index(post)  # (the discussion service may queue it already; queueing twice is harmless)
    assert ids("voorleesochtend") == [post.id]

    post.visibility, post.team_id = "team", author.teams[0].id
    index(post)
    assert ids("spreekuur") == []  # anonymous
    assert ids("spreekuur", author) == [post.id]


def test_a_crash_between_commit_and_drain_is_repaired_by_sync(search_app, create_user,
                                                              create_post, runner):
    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False  # the process dies after commit
    author = create_user()
    post = create_post(author, title="Huiskamergesprekken over armoede")  # queued and committed
    assert queued() == 1
    assert ids("huiskamergesprekken") == []

    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "missing: 1" in result.output

    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "Re-indexed 1 posts" in result.output
    assert queued() == 0
    assert ids("huiskamergesprekken") == [post.id]
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_check_reports_stale_and_orphaned_documents(search_app, create_user, post_factory,
                                                    runner):
    author = create_user()
    post = post_factory(author, title="Repaircafé in Lombok")
    other = post_factory(author, title="Taalmaatjes")
    assert runner.invoke(args=["search", "check"]).exit_code == 0

    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    post.title = "Repaircafé in Oog in Al"  # changed, but the change never reached the index
    db.session.delete(other)  # deleted without a queue row: an orphan in the index
    db.session.commit()
    report = check()
    assert report.stale == [post.id]
    assert report.orphans == [other.id]
    result = runner.invoke(args=["search", "check", "-v"])
    assert result.exit_code == 1
    assert f"stale: {post.id}" in result.output

    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    assert check().ok
    assert ids("oog") == [post.id]


def test_rebuild_indexes_everything_and_swaps_atomically(search_app, create_user, create_post,
                                                         runner):
    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    author = create_user()
    posts = [create_post(author, title=f"Moestuin nummer {n}") for n in range(7)]
    assert ids("moestuin") == []  # queued, never drained: only the rebuild indexes them
    live_before = get_backend().store.live_path()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 7 posts" in result.output
    store = get_backend().store
    assert store.live_path() != live_before
    assert (store.root / "current").is_symlink()
    assert len(search("moestuin", None, 1, None).hits) == 7
    assert sorted(get_backend().fingerprints()) == sorted(p.id for p in posts)
    # A second rebuild keeps the live and the previous index only.
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    assert len(list(store.root.glob("ix-*"))) == 2


def test_a_drain_returns_at_once_when_another_writer_holds_the_lock(search_app, create_user,
                                                                   create_post):
    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    author = create_user()
    post = create_post(author, title="Samen koken met statushouders")  # queued and committed
    backend = get_backend()
    with backend.writing():  # "another process" is writing
        started = time.monotonic()
        result = drain()
        assert result.busy and result.processed == 0
        assert time.monotonic() - started < 1
    assert pending() == 1  # left for the lock holder (or the next drain)
    assert drain().processed == 1
    assert ids("statushouders") == [post.id]


def test_the_process_searcher_is_reused_and_refreshed(search_app, create_user, post_factory):
    from learncom.search.whoosh.backend import POOL

    author = create_user()
    post_factory(author, title="Eerste bericht")
    store = get_backend().store
    with POOL.searcher(store) as first:
        pass
    with POOL.searcher(store) as again:
        assert again is first  # nothing changed: the same open searcher
    post_factory(author, title="Tweede bericht")
    with POOL.searcher(store) as refreshed:
        assert refreshed is not first
        assert refreshed.doc_count() == 2
    # Many small commits merge segments; counts stay exact (no duplicated documents).
    for n in range(12):
        post_factory(author, title=f"Bericht {n}")
    assert search("bericht", None, 1, None).total == 14


def test_background_drain_indexes_without_the_request_waiting(search_app, create_user,
                                                              create_post):
    search_app.config["SEARCH_SYNC_DRAIN"] = False
    author = create_user()
    post = create_post(author, title="Buurtbemiddeling bij burenruzies")
    post_id = post.id
    db.session.commit()
    deadline = time.monotonic() + 10
    while (pending() or ids("buurtbemiddeling") != [post_id]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ids("buurtbemiddeling") == [post_id]
    assert pending() == 0


WRITER_SCRIPT = textwrap.dedent("""
    import sys
    from learncom import create_app
    from learncom.extensions import db
    from learncom.posts import services
    from learncom.search import init_app
    from learncom.search.whoosh.queue import drain
    from learncom.accounts.models import User

    url, index_dir, author_id, name, count = sys.argv[1:6]
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                      "SEARCH_INDEX_DIR": index_dir, "SEARCH_DRAIN_AFTER_COMMIT": False})
    init_app(app)
    busy = 0
    with app.app_context():
        author = db.session.get(User, int(author_id))
        for n in range(int(count)):
            post = services.create_post(author, services.PostInput(
                kind="lesson", title=f"Parallel {name} {n}", tags=["gelijktijdig"],
                fields={"statement": "Samen schrijven"}))
            db.session.commit()
            busy += drain().busy
    print("busy", busy)
""")


def test_two_processes_writing_at_once_lose_nothing(search_app, create_user):
    author_id = create_user().id
    db.session.commit()
    get_backend().store.live_path()  # the index exists before both start
    url = search_app.config["SQLALCHEMY_DATABASE_URI"]
    index_dir = search_app.config["SEARCH_INDEX_DIR"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, url, index_dir, str(author_id), name, "12"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "LockError" not in err
    assert pending() == 0
    report = check()
    assert report.ok, report
    found = search("parallel", None, 1, None, per_page=30)
    assert found.total == 24
    assert {hit.title for hit in found.hits} == {f"Parallel {name} {n}" for name in "ab"
                                                 for n in range(12)}


def test_the_pool_keeps_a_bounded_number_of_indexes_open(tmp_path):
    from learncom.search.whoosh.backend import IndexStore, SearcherPool

    pool = SearcherPool(max_indexes=2)
    stores = [IndexStore(tmp_path / f"ix{n}") for n in range(3)]
    opened = []
    for store in stores:
        with pool.searcher(store) as searcher:
            opened.append(searcher)
    assert opened[0].is_closed  # the least recently used index was closed
    assert not opened[1].is_closed and not opened[2].is_closed
    with pool.searcher(stores[1]) as again:
        assert again is opened[1]
    pool.close()
    assert opened[1].is_closed and opened[2].is_closed
