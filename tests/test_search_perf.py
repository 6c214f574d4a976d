"""The Whoosh engine's set-at-a-time evaluation (`learncom/search/whoosh/internals/
evaluate.py`): the top hits, the exact total and the facets come from one evaluation of the
query; scores and order are
exactly Whoosh's exhaustive ranking; pages and sorts cut one ordered list; repeated words come
from the term cache; the time limit still cuts a slow search short; compound expansion stays
bounded."""

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
# Whoosh's own machinery: not run against the PostgreSQL engine.
SEARCH_ENGINES = ("whoosh",)
index = search_fixtures.index
post_factory = search_fixtures.post_factory


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


def test_total_and_facets_are_exact(many):
    from learncom.search.query import parse
    from learncom.search.whoosh.backend import POOL, _QueryBuilder

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        inner = builder.combine(builder.text_groups(parse("buurtkamer")), [], [], Visibility())
        results = backend._run(searcher, inner, 1, 3, "relevance")
        matched = set(searcher.docs_for_query(inner))
    assert len(matched) == len(many)
    assert results.total == len(many)
    assert len(results.hits) == 3
    assert not results.timed_out
    assert results.facets["kind"] == dict(Counter(post.kind for post in many))
    assert results.facets["tag"] == {"eenzaamheid": 15, "ouderen": 5}


@pytest.mark.parametrize("text", [
    "buurtkamer verslag",  # AND of words, compound expansion, title/tag boosts
    "buurtkamer OR ouderen",  # OR across fields
    "buurtkamer -ouderen",  # exclusion
    "buurtk* tag:eenzaamheid",  # prefix and a field filter
    '"buurtkamer verslag"',  # a phrase: the pairs field
    "buurtkamer after:2000-01-01",  # a date range: Whoosh's own matcher inside the evaluation
    "buurtkamer ouderen verslag",  # a rare word first: the others scored within its matches
])
@pytest.mark.parametrize("restrict", [False, True])
def test_scores_and_order_are_exactly_whooshs(many, text, restrict, monkeypatch):
    """The set-at-a-time evaluator gives Whoosh's exhaustive ranking: the same documents, the
    same BM25F scores, the same order; also when the parts of an And are only scored within
    the candidates found so far (`restrict`: always, instead of only when it saves work)."""
    from learncom.search.query import parse
    from learncom.search.whoosh.backend import POOL, _QueryBuilder
    from learncom.search.whoosh.internals import evaluate

    monkeypatch.setattr(evaluate, "RESTRICT_BELOW", 0 if restrict else 10**9)

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        parsed = parse(text)
        q = builder.combine(builder.text_groups(parsed),
                            builder.field_groups(parsed), builder.excluded(parsed),
                            Visibility())
        everything = UnlimitedCollector()
        searcher.search_with_collector(q, everything)
        expected = everything.results()
        expected = [(round(expected.score(i), 6), int(expected[i]["id"]))
                    for i in range(expected.scored_length())]
        results = backend._run(searcher, q, 1, 100, "relevance")
    assert expected, text
    assert results.total == len(expected)
    ours = [(round(hit.score, 6), hit.id) for hit in results.hits]
    assert sorted(ours, key=lambda x: (-x[0], x[1])) == sorted(expected,
                                                               key=lambda x: (-x[0], x[1]))
    assert [score for score, _id in ours] == sorted((s for s, _id in ours), reverse=True)


def test_pages_and_sorts_cut_the_same_ordered_list(many):
    from learncom.search.query import parse
    from learncom.search.whoosh.backend import POOL, _QueryBuilder

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        q = builder.combine(builder.text_groups(parse("buurtkamer")), [], [], Visibility())
        orders = {}
        for sort in ("relevance", "newest", "applied"):
            whole = [hit.id for hit in backend._run(searcher, q, 1, 15, sort).hits]
            pages = [hit.id for page in (1, 2, 3)
                     for hit in backend._run(searcher, q, page, 5, sort).hits]
            assert pages == whole and len(whole) == 15, sort
            orders[sort] = whole
    created = {p.id: p.created_at for p in many}
    assert [created[i] for i in orders["newest"]] == sorted(created.values(), reverse=True)
    # Nothing applied yet: "applied" falls back to relevance.
    assert orders["applied"] == orders["relevance"]


def test_the_term_cache_makes_a_repeated_word_free(many):
    from learncom.search.query import parse
    from learncom.search.whoosh.backend import POOL, _QueryBuilder

    backend = _backend()
    with POOL.searcher(backend.store) as searcher:
        builder = _QueryBuilder(searcher)
        q = builder.combine(builder.text_groups(parse("buurtkamer")), [], [], Visibility())
        first = backend._run(searcher, q, 1, 10, "relevance")
        cache = searcher.learncom_terms
        held = len(cache)
        again = backend._run(searcher, q, 1, 10, "relevance")
        assert len(cache) == held > 0
    assert [(h.id, h.score) for h in first.hits] == [(h.id, h.score) for h in again.hits]


def test_the_time_limit_stops_a_slow_search(many):
    from learncom.search.whoosh.backend import POOL, WhooshBackend

    backend = WhooshBackend(_backend().store.root, time_limit=0.05)
    with POOL.searcher(backend.store) as searcher:
        q = _Slow(wq.Every())
        started = time.monotonic()
        results = backend._run(searcher, q, 1, 10, "relevance")
        elapsed = time.monotonic() - started
    assert results.timed_out
    assert results.total < len(many)
    assert elapsed < 0.02 * len(many)


def test_compound_expansion_is_bounded_below_prefix_expansion(search_app, create_user,
                                                              post_factory):
    from learncom.search.query import Word
    from learncom.search.whoosh.analysis import MAX_EXPANSIONS
    from learncom.search.whoosh.backend import (
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
    with POOL.searcher(_backend().store) as searcher:
        assert len(_QueryBuilder(searcher)._expand(("body",), "proef")) == MAX_EXPANSIONS


def test_fast_analysis_equals_the_analyzer_chain():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from learncom.search.whoosh.analysis import analyse, chain_stems

    text = ("Één geïnterviewde café-eigenaar zei: e.g. 1.5 keer, İstanbul, Straße, naïef. "
            "De buurtkamers en het buurtkamerproject; wijkteams, ervaringsdeskundigen a b")
    assert analyse(text)[0] == chain_stems(text)

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet=st.characters(codec="utf-8"), max_size=120))
    def same(value):
        assert analyse(value)[0] == chain_stems(value)

    same()


def test_phrases_use_pairs_within_one_field(search_app, create_user, post_factory):
    from learncom.search import search

    author = create_user()
    body = post_factory(author, title="Over het team", body="Een vast aanspreekpunt voor gezinnen.")
    split = post_factory(author, title="Vast", body="Aanspreekpunt gezocht.")
    far = post_factory(author, title="Iets anders", body="Aanspreekpunt, en dat is vast zo.")
    longer = post_factory(author, title="Keukentafel",
                          body="Het keukentafelgesprek met het gezin ging goed.")

    def ids(q):
        return {hit.id for hit in search(q).hits}

    assert ids('"vast aanspreekpunt"') == {body.id}  # not across title/body, not apart
    assert ids("vast aanspreekpunt") == {body.id, split.id, far.id}
    # Stop words inside a phrase are skipped, as when indexing.
    assert ids('"keukentafelgesprek met het gezin"') == {longer.id}
    assert ids('"gezin keukentafelgesprek"') == set()


def test_the_result_cache_serves_repeats_and_never_an_old_generation(search_app, create_user,
                                                                      post_factory):
    from learncom.search import search
    from learncom.search.whoosh.backend import RESULTS

    author = create_user()
    first = post_factory(author, title="Zwerfafval opruimen")
    RESULTS.clear()
    assert [h.id for h in search("zwerfafval").hits] == [first.id]
    assert len(RESULTS) == 1
    assert [h.id for h in search("zwerfafval").hits] == [first.id]
    assert len(RESULTS) == 1  # the repeat was served from the cache
    second = post_factory(author, title="Zwerfafval in het park")
    assert {h.id for h in search("zwerfafval").hits} == {first.id, second.id}
    assert len(RESULTS) == 2


def test_members_of_the_same_teams_share_one_cached_answer(search_app, create_user,
                                                          post_factory):
    from learncom.search import search
    from learncom.search.whoosh.backend import RESULTS

    author = create_user(teams=["Wijkteam Noord"])
    colleague = create_user(teams=["Wijkteam Noord"])
    stranger = create_user(teams=["Wijkteam Zuid"])
    post = post_factory(author, title="Zwerfafval opruimen", visibility="team",
                        team="Wijkteam Noord")
    RESULTS.clear()
    assert [h.id for h in search("zwerfafval", None, 1, author).hits] == [post.id]
    assert [h.id for h in search("zwerfafval", None, 1, colleague).hits] == [post.id]
    assert len(RESULTS) == 1  # the colleague's answer was the author's, from the cache
    assert search("zwerfafval", None, 1, stranger).hits == []
    assert len(RESULTS) == 2


def test_similar_ranks_exhaustively_like_whoosh(many):
    from learncom.search.whoosh.backend import POOL, similar_query

    backend = _backend()
    text = "Buurtkamer verslag over buurtkamers en buurtkamerteams voor ouderen"
    with POOL.searcher(backend.store) as searcher:
        q = similar_query(searcher, text, Visibility(), exclude=many[0].id)
        everything = UnlimitedCollector()
        searcher.search_with_collector(q, everything)
        expected = everything.results()
        expected = [(round(expected.score(i), 6), int(expected[i]["id"]))
                    for i in range(expected.scored_length())]
    expected.sort(key=lambda x: (-x[0], x[1]))
    hits = backend.similar(text, Visibility(), exclude=many[0].id, limit=5)
    assert many[0].id not in [hit.id for hit in hits]
    ours = [(round(hit.score, 6), hit.id) for hit in hits]
    # The same scores in the same order; among equal scores either document may come first.
    assert [score for score, _id in ours] == [score for score, _id in expected[:5]]
    assert set(ours) <= set(expected)
