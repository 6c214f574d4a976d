"""The Whoosh engine's single pass: the top hits, the exact total and the facets come from one
evaluation of the query; ranking is exhaustive; the time limit still cuts a slow search short;
compound expansion stays bounded."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from whoosh import query as wq
from whoosh.collectors import UnlimitedCollector
from whoosh.matching import WrappingMatcher
from whoosh.query.wrappers import WrappingQuery

from learncom.search.backend import Visibility
from tests import search_fixtures

pytestmark = pytest.mark.usefixtures("search_app")

search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


class _Counted(WrappingQuery):
    """The wrapped query, counting how often a matcher is built for it (once per segment per
    evaluation)."""

    built = 0

    def matcher(self, searcher, context=None):
        _Counted.built += 1
        return self.child.matcher(searcher, context)


class _SlowMatcher(WrappingMatcher):
    def score(self):
        time.sleep(0.02)
        return self.child.score()


class _Slow(WrappingQuery):
    def matcher(self, searcher, context=None):
        return _SlowMatcher(self.child.matcher(searcher, context))


@pytest.fixture
def many(create_user, post_factory):
    author = create_user()
    kinds = ["experiment", "friction", "lesson"]
    posts = []
    for i in range(15):
        posts.append(post_factory(
            author, kind=kinds[i % 3], title=f"Buurtkamer verslag {i}",
            body="De buurtkamer " * (1 + i % 4)
            + ("buurtkamers en buurtkamerteams" if i % 2 else ""),
            tags=["eenzaamheid"] + (["ouderen"] if i % 3 == 0 else [])))
    return posts


def _backend():
    from learncom.search.services import get_backend

    return get_backend()


def test_the_query_is_evaluated_once_and_total_and_facets_are_exact(many):
    from learncom.search.query import parse
    from learncom.search.whoosh_backend import POOL, _QueryBuilder

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        inner = builder.combine(builder.text_groups(parse("buurtkamer")), [], [], Visibility())
        segments = len(list(searcher.leaf_searchers()))
        _Counted.built = 0
        results = backend._run(searcher, _Counted(inner), 1, 3, "relevance")
        assert _Counted.built == segments
        matched = set(searcher.docs_for_query(inner))
    assert len(matched) == len(many)
    assert results.total == len(many)
    assert len(results.hits) == 3
    assert not results.timed_out
    assert results.facets["kind"] == dict(Counter(post.kind for post in many))
    assert results.facets["tag"] == {"eenzaamheid": 15, "ouderen": 5}


def test_ranking_is_exhaustive(many):
    from learncom.search.query import parse
    from learncom.search.whoosh_backend import POOL, _QueryBuilder

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        q = builder.combine(builder.text_groups(parse("buurtkamer verslag")), [], [],
                            Visibility())
        everything = UnlimitedCollector()
        searcher.search_with_collector(q, everything)
        expected = everything.results()
        results = backend._run(searcher, q, 1, 5, "relevance")
        expected_ids = [int(expected[i]["id"]) for i in range(5)]
        expected_scores = [round(expected.score(i), 6) for i in range(5)]
    assert [hit.id for hit in results.hits] == expected_ids
    assert [round(hit.score, 6) for hit in results.hits] == expected_scores


def test_the_time_limit_stops_a_slow_search(many):
    from learncom.search.whoosh_backend import POOL, WhooshBackend

    backend = WhooshBackend(_backend().store.root, time_limit=0.05)
    with POOL.searcher(backend.store) as searcher:
        q = _Slow(wq.Every())
        started = time.monotonic()
        results = backend._run(searcher, q, 1, 10, "relevance")
        elapsed = time.monotonic() - started
    assert results.timed_out
    assert 0 < results.total < len(many)
    assert elapsed < 0.02 * len(many)


def test_compound_expansion_is_bounded_below_prefix_expansion(search_app, create_user,
                                                              post_factory):
    from learncom.search.analysis import MAX_EXPANSIONS
    from learncom.search.query import Word
    from learncom.search.whoosh_backend import (
        COMPOUND_BOOST,
        COMPOUND_EXPANSIONS,
        POOL,
        _QueryBuilder,
    )

    author = create_user()
    words = " ".join(f"proef{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(60))
    post_factory(author, title="Veel proeven", body=words)
    with POOL.searcher(_backend().store) as searcher:
        builder = _QueryBuilder(searcher)
        q = builder.word(Word("proef"))
        prefix_q = builder.word(Word("proef", prefix=True))
    compounds = {leaf.text for leaf in q.leaves()
                 if isinstance(leaf, wq.Term) and leaf.boost == COMPOUND_BOOST}
    assert COMPOUND_EXPANSIONS < MAX_EXPANSIONS
    assert len(compounds) == COMPOUND_EXPANSIONS
    # A compound term is only asked of the fields that hold it (here: the body).
    assert {leaf.fieldname for leaf in q.leaves() if leaf.boost == COMPOUND_BOOST} == {"body"}
    assert len({leaf.text for leaf in prefix_q.leaves()}) >= MAX_EXPANSIONS
