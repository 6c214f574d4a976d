"""The Whoosh internals layer behind its one boundary (learncom/search/whoosh/internals): an
unsupported Whoosh release turns it off with a logged warning instead of a crash, and stock
Whoosh then gives the same answers; and merges running while posts are created rapidly never
fail on a table of contents a drain removed meanwhile."""

from __future__ import annotations

import logging
import threading

import pytest

from learncom.extensions import db
from learncom.search import search
from learncom.search.services import check, get_backend
from learncom.search.whoosh import internals
from tests import search_fixtures

search_app = search_fixtures.search_app
post_factory = search_fixtures.post_factory
index = search_fixtures.index
SEARCH_ENGINES = ("whoosh",)


@pytest.fixture
def layer():
    """Whatever a test does to the switch, the layer is on again afterwards."""
    yield internals
    internals.set_enabled(True)
    assert internals.ENABLED


def test_an_unsupported_release_turns_the_layer_off_with_a_warning(layer, monkeypatch, caplog):
    assert internals.ENABLED and internals.problem() is None
    assert "2.8.0 is installed" in internals.problem((2, 8, 0))
    monkeypatch.setattr(internals, "SUPPORTED", (2, 8, 0))  # as if Whoosh were upgraded
    with caplog.at_level(logging.WARNING, logger=internals.__name__):
        internals.set_enabled(True)
    assert not internals.ENABLED
    assert "internals layer off" in caplog.text and "using stock Whoosh" in caplog.text
    monkeypatch.undo()


QUERIES = ["buurtkamer", "buurtkamers ouderen", '"vaste contactpersoon"', "buurt*",
           "buurtkamer -jongeren", "wachtlijst OR mantelzorg", "tag:ontmoeting", "kind:frictie",
           "schuldhulp", "moestuinploeg"]


def answers() -> dict:
    found = {}
    for query in QUERIES:
        for sort in ("relevance", "newest"):
            results = search(query, None, 1, None, sort=sort)
            found[(query, sort)] = (
                results.total, [(h.id, round(h.score, 5)) for h in results.hits],
                results.facets, [str(x) for hit in results.hits for x in hit.highlights])
    db.session.commit()
    return found


def test_stock_whoosh_gives_the_same_answers_and_keeps_the_index_true(
        layer, search_app, create_user, post_factory, create_comment, runner):
    author = create_user("Anke")
    posts = [
        post_factory(author, title="Buurtkamer als vindplaats", tags=["ontmoeting"],
                     body="Een vaste contactpersoon in de buurtkamer helpt ouderen."),
        post_factory(author, title="Drie buurtkamers vergeleken", tags=["ontmoeting"],
                     body="Het buurtkamerproject met jongeren."),
        post_factory(author, kind="friction", title="Wachtlijst bij de schuldhulpverlening",
                     tags=["schulden"], body="Bewoners wachten maanden."),
        post_factory(author, kind="lesson", title="Mantelzorg verlichten",
                     tags=["mantelzorg"], statement="Vraag het de mantelzorger zelf."),
    ]
    create_comment(posts[3], author, "De moestuinploeg hielp enorm.")
    fast = answers()
    internals.set_enabled(False, "simulated upgrade")  # the boundary's own switch
    assert not internals.ENABLED
    assert answers() == fast

    # Writing on stock Whoosh: drains merge on commit, a rebuild runs in one process.
    more = [post_factory(author, title=f"Buurtkamer verslag {n}") for n in range(6)]
    assert search("buurtkamer", None, 1, None, per_page=20).total == 2 + len(more)
    assert get_backend().tidy(lambda ids: {}) == 0
    result = runner.invoke(args=["search", "rebuild", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert check().ok
    stock = answers()
    internals.set_enabled(True)
    assert answers() == stock


# -- the merge race (issue 11 item 9) ----------------------------------------------------------

def test_merges_while_posts_are_created_rapidly_never_fail(search_app, create_user):
    """Two threads create posts as fast as they can (each commit drains the queue, and merges
    when a tier of small segments is full) while a third runs merges the whole time, as the
    merge thread of a busy web worker does. A merge read the index's table of contents outside
    the writer lock, and a drain committing at that moment removed the one it had just listed:
    `search-merge failed` with FileNotFoundError on `_MAIN_<n>.toc`."""
    from learncom.accounts.models import User
    from learncom.posts import services as post_services
    from learncom.search.whoosh.queue import drain, tidy_index

    author_id = create_user("Snelle schrijver").id
    db.session.commit()
    get_backend().store.live_path()
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def write(name: str) -> None:
        try:
            with search_app.app_context():
                author = db.session.get(User, author_id)
                for n in range(60):
                    post_services.create_post(author, post_services.PostInput(
                        kind="experiment", title=f"Snel {name} {n}", tags=["tempo"]))
                    db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    def merge() -> None:
        with search_app.app_context():
            while writing.is_set():
                try:
                    tidy_index()
                except BaseException as error:  # what the merge thread logs as failed
                    errors.append(error)

    merger = threading.Thread(target=merge)
    merger.start()
    writers = [threading.Thread(target=write, args=(name,)) for name in "ab"]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(300)
    writing.clear()
    merger.join(60)
    assert not errors, [repr(error) for error in errors]
    drain()
    assert check().ok
    assert search("snel", None, 1, None).total == 120


def test_the_shared_caches_drop_the_least_recently_used_and_never_hold_too_much():
    from learncom.search.caches import SharedCache

    cache = SharedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    sized = SharedCache(10, getsizeof=len)
    sized.put("big", [0] * 11)  # larger than the whole cache: not kept
    sized.put("x", [0] * 6)
    sized.put("y", [0] * 6)  # pushes "x" out: 12 > 10
    assert (sized.get("big"), sized.get("x"), len(sized), sized.held) == (None, None, 1, 6)


def test_the_searcher_pool_closes_the_least_recently_used_index_but_not_while_in_use(tmp_path):
    from learncom.search.whoosh.backend import IndexStore, SearcherPool

    pool = SearcherPool(max_indexes=2)
    stores = [IndexStore(tmp_path / name) for name in "abc"]
    with pool.searcher(stores[0]) as first:
        with pool.searcher(stores[1]) as second:
            pass
        with pool.searcher(stores[2]) as third:
            # "a" is the least recently used: retired, but still in use here.
            assert not first.is_closed and not third.is_closed
        assert not first.is_closed
    assert first.is_closed and not second.is_closed
    with pool.searcher(stores[1]) as again:
        assert again is second  # kept, and reused
    pool.close()
    assert second.is_closed


def test_threads_take_turns_with_a_searcher(tmp_path):
    """A searcher's segment files are shared file objects (seek, then read): two threads
    reading postings at once read each other's bytes. Under gunicorn's threaded worker a search
    answered 500 with `UnpicklingError: invalid load key`. A thread now waits for its turn; the
    same thread may take the searcher again inside its turn (search, then suggest)."""
    from learncom.search.whoosh.backend import IndexStore, SearcherPool

    pool = SearcherPool()
    store = IndexStore(tmp_path / "index")
    order: list[str] = []

    def other() -> None:
        with pool.searcher(store):
            order.append("other thread")

    with pool.searcher(store) as searcher:
        waiting = threading.Thread(target=other)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive()  # it waits for its turn
        with pool.searcher(store) as again:  # the same thread: no deadlock, the same searcher
            assert again is searcher
        order.append("first thread")
    waiting.join(10)
    assert order == ["first thread", "other thread"]
    pool.close()
