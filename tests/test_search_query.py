"""The search box language: parsing rules, and no input ever raising (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learncom.posts.filters import parse_date
from learncom.search.query import (
    MAX_CLAUSES,
    MAX_QUERY_LENGTH,
    FieldFilter,
    Phrase,
    Word,
    clean,
    parse,
)
from tests import search_fixtures

# The search fixtures (the app with search wired in, and indexing helpers).
search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


def test_plain_words_are_and_groups():
    assert parse("buurtkamer eenzaamheid").groups == [[Word("buurtkamer")], [Word("eenzaamheid")]]


def test_or_joins_neighbours_and_lone_operators_are_ignored():
    assert parse("a OR b c").groups == [[Word("a"), Word("b")], [Word("c")]]
    assert parse("OR a OR OR b OR").groups == [[Word("a"), Word("b")]]
    assert parse("OR AND NOT").is_empty
    assert parse("a AND b").groups == [[Word("a")], [Word("b")]]


def test_phrases_including_unbalanced_quotes():
    assert parse('"vaste contactpersoon" wijk').groups == [[Phrase("vaste contactpersoon")],
                                                          [Word("wijk")]]
    assert parse('"niet afgesloten').groups == [[Phrase("niet afgesloten")]]
    assert parse('""').is_empty
    assert parse("„slimme quotes”").groups == [[Phrase("slimme quotes")]]


def test_exclusion():
    parsed = parse('buurt -jeugd NOT zorg -"vaste lasten" -tag:x')
    assert parsed.groups == [[Word("buurt")]]
    assert parsed.excluded == [Word("jeugd"), Word("zorg"), Phrase("vaste lasten"),
                               FieldFilter("tag", "x")]
    assert parse("- -").groups == [[Word("-")], [Word("-")]]  # a dash alone is just text


def test_prefixes_and_wildcards():
    assert parse("buurt*").groups == [[Word("buurt", prefix=True)]]
    assert parse("b*").groups == [[Word("b")]]  # too short to expand
    assert parse("*1*").groups == [[Word("1")]]  # leading wildcards are dropped
    assert parse("*").is_empty
    assert parse("bu?rt").groups == [[Word("bu")], [Word("rt")]]


def test_public_fields_only():
    assert parse("tag:schulden").groups == [[FieldFilter("tag", "schulden")]]
    assert parse('wijk:"Vleuten-De Meern"').groups == [
        [FieldFilter("neighbourhood", "Vleuten-De Meern")]]
    assert parse("soort:frictie auteur:anke").groups == [
        [FieldFilter("kind", "frictie")], [FieldFilter("author", "anke")]]
    assert parse("tag:").is_empty
    assert parse("tag:buurt*").groups == [[FieldFilter("tag", "buurt", prefix=True)]]
    # Anything else is text, never a field.
    assert parse("visibility:team").groups == [[Word("visibility")], [Word("team")]]
    assert parse("team_id:3").groups == [[Word("team_id")], [Word("3")]]


def test_limits():
    assert len(clean("x" * 5000)) == MAX_QUERY_LENGTH
    assert clean("a\x00b\x1fc\u202ed") == "a b c d"
    assert clean(None) == "" and clean(123) == ""
    assert sum(len(g) for g in parse(" ".join(f"w{n}" for n in range(100))).groups) == MAX_CLAUSES


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-05-01", "2024-05-01"), ("2024-05", "2024-05-01"), ("2024", "2024-01-01"),
    ("2024-13-01", None), ("gisteren", None), ("", None), (None, None),
])
def test_parse_date(raw, expected):
    found = parse_date(raw)
    assert (found.isoformat() if found else None) == expected


NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet='"-*?:()[]{}^~!+|&\\/ ORANDNOTtagkindwijk\x00\x1f\u202e\ufeffé', max_size=80),
    st.lists(st.sampled_from(['"', "-", "*", "OR", "NOT", "AND", "tag:", "kind:", "wijk:",
                              "status:", "author:", "after:", "before:", "visibility:team",
                              "buurt*", "*", "?", ":", "\x00", "\n", "buurtkamer", "é", "(",
                              ")", "x" * 60]),
             max_size=30).map(" ".join),
    st.just("a" * 5000),
)


@given(NASTY)
@settings(max_examples=300, deadline=None)
def test_the_parser_is_total(raw):
    parsed = parse(raw)
    assert sum(len(g) for g in parsed.groups) + len(parsed.excluded) <= MAX_CLAUSES


@given(query=NASTY, sort=st.sampled_from(["relevance", "newest", "x"]),
       page=st.one_of(st.integers(min_value=-5, max_value=2000), st.text(max_size=5)),
       kind=st.one_of(st.none(), st.text(max_size=20)),
       tag=st.one_of(st.none(), st.text(max_size=20)))
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_never_raises(indexed, query, sort, page, kind, tag):
    from learncom.search import search

    results = search(query, {"kind": kind, "tag": tag, "after": query[:10]}, page, None,
                     sort=sort)
    # One public post exists: the team-only one never counts for an anonymous visitor.
    assert len(results.hits) <= results.total <= 1
    assert 1 <= results.page <= 1_000
    for hit in results.hits:
        assert hit.post.visibility == "public"


@pytest.fixture
def indexed(search_app, create_user, post_factory):
    author = create_user("Anke")
    member = create_user("Teamlid", teams=["Wijkteam Noord"])
    post_factory(author, title="Buurtkamer in Overvecht", body="Vaste contactpersoon helpt.",
                 tags=["ontmoeting"], neighbourhood="Overvecht")
    post_factory(member, title="Teamgeheim buurtkamer", visibility="team", team="Wijkteam Noord")
    return author


@pytest.mark.parametrize("tag", ["\x00", "ontmoeting\x00", "\x00\x01"])
def test_control_characters_in_a_filter_are_dropped(indexed, tag):
    """A NUL in a filter reached PostgreSQL as text and failed there (hypothesis found it)."""
    from learncom.search import search

    results = search("buurtkamer", {"tag": tag, "kind": "\x00"}, 1, None)
    assert results.total == 1
    assert [hit.post.title for hit in results.hits] == ["Buurtkamer in Overvecht"]
