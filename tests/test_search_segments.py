"""Drains write small segments without merging; `merge_small` merges them by re-reading the
posts, holding the writer only to swap, and never loses a change made meanwhile."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from learncom.extensions import db
from learncom.posts.models import Post
from learncom.search import reindex, search
from learncom.search.models import IndexQueue
from learncom.search.services import check, get_backend
from learncom.search.whoosh.backend import whoosh_fields
from learncom.search.whoosh.internals import segments
from learncom.search.whoosh.queue import _load, drain, pending, tidy_index
from tests import search_fixtures

search_app = search_fixtures.search_app
# Whoosh's own machinery: not run against the PostgreSQL engine.
SEARCH_ENGINES = ("whoosh",)


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=40))
def test_the_plan_merges_one_full_tier_of_small_segments(counts):
    chosen = segments.plan(counts)
    if chosen:
        tiers = {segments.tier(counts[i]) for i in chosen}
        assert len(tiers) == 1  # one tier at a time
        assert len(chosen) >= segments.TIER
        assert all(counts[i] < segments.MAX_DOCS for i in chosen)
        # the smallest tier that is full
        level = tiers.pop()
        assert not any(
            sum(1 for c in counts if c < segments.MAX_DOCS and segments.tier(c) == lower)
            >= segments.TIER for lower in range(level))
    else:
        for level in {segments.tier(c) for c in counts if c < segments.MAX_DOCS}:
            assert sum(1 for c in counts if c < segments.MAX_DOCS
                       and segments.tier(c) == level) < segments.TIER


def test_tiers():
    assert [segments.tier(n) for n in (0, 1, 3, 4, 15, 16, 63, 64, 1023)] == [0, 0, 0, 1, 1, 2,
                                                                             2, 3, 4]
    assert segments.plan([1, 2, 3]) == []
    assert segments.plan([5000, 1, 2, 3, 1]) == [1, 2, 3, 4]
    assert segments.plan([2000] * 10) == []  # large segments wait for a rebuild


def live_segments() -> list[int]:
    return [s.doc_count() for s in get_backend().store.open()._segments()]


def edit(post: Post, body: str) -> None:
    post.body = body
    db.session.commit()


def found(word: str) -> list[int]:
    ids = [hit.id for hit in search(word, None, 1, None).hits]
    db.session.commit()
    return ids


def drained_one_by_one(app, create_user, create_post, texts: list[tuple[str, str]]) -> list:
    """Posts created with the after-commit drain off, then each drained on its own: one
    segment per post."""
    app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    author = create_user()
    posts = [create_post(author, title=title, body=body) for title, body in texts]
    db.session.execute(delete(IndexQueue))  # queued on creation: one at a time instead
    for post in posts:
        reindex([post.id])
        db.session.commit()
        drain(tidy=False)
    return posts


def test_each_drain_commits_a_segment_and_tidy_merges_them(search_app, create_user,
                                                           create_post):
    posts = drained_one_by_one(search_app, create_user, create_post,
                               [(f"Buurtkamer {n}", f"woord{n}") for n in range(6)])
    assert live_segments() == [1] * 6  # one per drain, nothing merged
    drain(tidy=False)
    assert live_segments() == [1] * 6  # an empty drain commits nothing

    assert tidy_index() == 6  # all six are in tier 0 (fewer than TIER posts each)
    assert sorted(live_segments()) == [6]
    assert check().ok
    for n, post in enumerate(posts):
        assert found(f"woord{n}") == [post.id]


def test_a_merge_drops_what_changed_while_it_was_built(search_app, create_user, create_post):
    """The merge reads the posts, then a drain indexes newer versions before the swap: the
    merged segment must not bring the old versions back."""
    posts = drained_one_by_one(search_app, create_user, create_post,
                               [(f"Taalcafé {n}", f"oud{n}") for n in range(4)])
    backend = get_backend()

    def load_then_change(post_ids):
        documents = _load(db.engine, post_ids)  # the merge's read...
        edit(posts[0], "nieuw0")  # ...then a change, drained before the swap
        drain(tidy=False)
        return documents

    assert segments.merge_small(backend.store, load_then_change, whoosh_fields) == 4
    assert found("oud0") == []
    assert found("nieuw0") == [posts[0].id]
    assert found("oud1") == [posts[1].id]
    assert check().ok


def test_a_merge_does_not_resurrect_a_deleted_post(search_app, create_user, create_post):
    posts = drained_one_by_one(search_app, create_user, create_post,
                               [(f"Wandelgroep {n}", f"wandel{n}") for n in range(4)])
    gone = posts[2]
    db.session.delete(gone)
    db.session.commit()  # deleted in the database, still queued (not drained yet)
    assert segments.merge_small(get_backend().store, lambda ids: _load(db.engine, ids),
                                whoosh_fields) == 4
    assert found("wandel2") == []  # the merge re-read the database: the post is gone
    drain()
    assert pending() == 0
    assert check().ok


def test_a_merge_gives_up_while_a_writer_holds_the_index(search_app, create_user, create_post,
                                                         monkeypatch):
    monkeypatch.setattr(segments, "LOCK_WAIT", 0.05)
    drained_one_by_one(search_app, create_user, create_post,
                       [(f"Inloop {n}", "Elke dinsdag.") for n in range(4)])
    backend = get_backend()
    with backend.writing():
        assert segments.merge_small(backend.store, lambda ids: _load(db.engine, ids),
                                    whoosh_fields) == 0
    assert live_segments() == [1, 1, 1, 1]
    assert [p.name for p in backend.store.root.iterdir() if p.name.startswith(".merge-")] == []


def test_the_drain_merges_when_a_tier_is_full(search_app, create_user, create_post):
    """In tests the drain runs in the request (SEARCH_SYNC_DRAIN): it merges at the end."""
    search_app.config["SEARCH_SYNC_TIDY"] = True  # the suite's default skips merging
    author = create_user()
    for n in range(segments.TIER - 1):
        create_post(author, title=f"Spreekuur {n}")  # commits: queued and drained
    assert live_segments() == [1] * (segments.TIER - 1)
    create_post(author, title="Spreekuur laatste")  # the tier is full: merged
    assert live_segments() == [segments.TIER]
    assert len(found("spreekuur")) == segments.TIER
