"""Search stays bounded for hostile queries (issue 11, item 7): the spelling pass only looks at
words of a reasonable length, stops after a time limit and is cached; every nasty query answers
200 with results or the friendly "nothing found" help. Their speed is measured by
`python -m bench.search_bounds`, not here."""

from __future__ import annotations

import pytest

from bench.search_bounds import NASTY
from tests import search_fixtures

search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


@pytest.fixture
def posts(search_app, create_user, post_factory):
    author = create_user("Anke")
    made = [post_factory(author, title="Buurtkamer tegen eenzaamheid",
                         body="Een buurtkamer waar ouderen elkaar ontmoeten.",
                         tags=("eenzaamheid",)),
            post_factory(author, title="Schuldhulpverlening aan de keukentafel",
                         body="Arbeidsongeschiktheidsverzekeringspremie en andere schulden.",
                         tags=("schulden",))]
    return made


@pytest.mark.parametrize(("name", "query"), NASTY, ids=[name for name, _ in NASTY])
def test_nasty_queries_answer_with_results_or_a_friendly_message(client, posts, name, query):
    api = client.get("/api/v1/search", query_string={"q": query})
    assert api.status_code == 200, name
    found = api.get_json()
    assert found["total"] >= len(found["items"])
    page = client.get("/zoeken", query_string={"q": query})
    assert page.status_code == 200, name
    html = page.get_data(as_text=True)
    if found["total"]:
        assert 'id="search-empty"' not in html
        assert any(f'href="/posts/{item["id"]}"' in html for item in found["items"])
    else:
        assert "Niets gevonden." in html


def test_spelling_pass_skips_words_longer_than_a_real_word(posts):
    from learncom.search import search

    assert search("buurtkamr").suggestion == "buurtkamer"
    # Within edit distance 2 of an indexed 38-letter word, but longer than SUGGEST_MAX: the
    # automaton for such words is what made "ée" * 200 take seconds.
    assert search("arbeidsongeschiktheidsverzekeringspremei").suggestion is None
    assert search("ée" * 200).suggestion is None


@pytest.mark.search_engines("whoosh")  # the Whoosh engine's per-process cache of suggestions
def test_suggestions_are_cached_per_index_generation_and_viewer(posts, create_user,
                                                                 post_factory):
    from learncom.search import search
    from learncom.search.whoosh.backend import SUGGESTIONS, clear_suggestion_cache

    clear_suggestion_cache()
    assert search("buurtkamr").suggestion == "buurtkamer"
    assert len(SUGGESTIONS) == 1
    assert search("buurtkamr", page=2).suggestion == "buurtkamer"
    assert len(SUGGESTIONS) == 1  # the repeat was served from the cache
    search("buurtkamr", viewer=create_user("Bert"))
    assert len(SUGGESTIONS) == 2  # another viewer may see other words
    post_factory(posts[0].author, title="Ontmoeting", tags=("eenzaamheid",))
    assert search("buurtkamr").suggestion == "buurtkamer"
    assert len(SUGGESTIONS) == 3  # a new index generation asks again
