"""The Whoosh engine through `learncom.search.search`: Dutch analysis, compounds, the query
language, visibility, facets, suggestions, highlighting, sorting and similar posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learncom.extensions import db
from learncom.search import search, similar, similar_text
from tests import search_fixtures

# The search fixtures (the app with search wired in, and indexing helpers).
search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


def ids(query: str, viewer=None, filters=None, **kwargs) -> list[int]:
    return [hit.id for hit in search(query, filters, 1, viewer, **kwargs).hits]


@pytest.fixture
def corpus(create_user, post_factory, create_comment, index):
    anke = create_user("Anke Siegers", kind="professional")
    bewoner = create_user("Joost de Vries", kind="resident")
    day = datetime(2025, 3, 1, tzinfo=UTC)
    posts = {
        "buurtkamer": post_factory(
            anke, title="Buurtkamer als vindplaats", tags=["eenzaamheid", "ontmoeting"],
            body="In de buurtkamer ontmoeten bewoners elkaar. Een vaste contactpersoon helpt.",
            neighbourhood="Overvecht", created_at=day, status="running"),
        "buurtkamers": post_factory(
            anke, title="Drie buurtkamers vergeleken", tags=["ontmoeting"],
            body="We vergeleken het buurtkamerproject in drie wijken.",
            neighbourhood="Kanaleneiland", created_at=day + timedelta(days=1)),
        "schulden": post_factory(
            bewoner, kind="friction", title="Wachtlijst bij de schuldhulpverlening",
            body="Bewoners met schulden wachten maanden op hulp.", tags=["schulden"],
            neighbourhood="Overvecht", created_at=day + timedelta(days=2)),
        "jeugd": post_factory(
            anke, kind="lesson", title="Eén vast aanspreekpunt werkt",
            body="De jeugdzorgaanbieder en het wijkteam werken samen.", tags=["jeugd"],
            statement="Eén gezicht voor het gezin", created_at=day + timedelta(days=3)),
        "geinterviewd": post_factory(
            bewoner, title="Ouderen geïnterviewd over mantelzorg", tags=["mantelzorg"],
            body="We hebben twintig ouderen geïnterviewd.", created_at=day + timedelta(days=4)),
    }
    create_comment(posts["jeugd"], bewoner, "Bij ons hielp de moestuinploeg enorm.")
    index(posts["jeugd"])
    return posts


# -- Dutch analysis and compounds --------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("buurtkamers", {"buurtkamer", "buurtkamers"}),  # plural -> singular stem
    ("wijk", {"buurtkamers"}),  # "wijken" stems to "wijk"
    ("geinterviewd", {"geinterviewd"}),  # accent folding
    ("geïnterviewd", {"geinterviewd"}),
    ("eén vast aanspreekpunt", {"jeugd"}),
    ("schuldhulp", {"schulden"}),  # compound: schuldhulp -> schuldhulpverlening
    ("buurtkamer", {"buurtkamer", "buurtkamers"}),  # -> buurtkamers, buurtkamerproject
    ("jeugdzorg", {"jeugd"}),  # -> jeugdzorgaanbieder
    ("de het een", set()),  # stop words only: nothing to search
])
def test_dutch_stemming_accents_and_compounds(corpus, query, expected):
    assert set(ids(query)) == {corpus[key].id for key in expected}


def test_the_word_itself_ranks_above_a_compound(corpus):
    found = ids("buurtkamer")
    assert found[0] == corpus["buurtkamer"].id


def test_comment_only_match_finds_the_post_and_shows_the_comment(corpus):
    found = search("moestuinploeg", None, 1, None)
    assert [h.id for h in found.hits] == [corpus["jeugd"].id]
    snippet = str(found.hits[0].highlights[-1])
    assert 'class="snippet-comment"' in snippet
    assert "<mark>moestuinploeg</mark>" in snippet


def test_author_and_neighbourhood_names_are_searched(corpus):
    assert set(ids("joost")) == {corpus["schulden"].id, corpus["geinterviewd"].id}
    assert set(ids("kanaleneiland")) == {corpus["buurtkamers"].id}


# -- query language ----------------------------------------------------------------------------

def test_words_are_and_with_an_or_fallback(corpus):
    assert ids("buurtkamer contactpersoon") == [corpus["buurtkamer"].id]
    either = search("contactpersoon mantelzorg", None, 1, None)
    assert either.fallback
    assert {h.id for h in either.hits} == {corpus["buurtkamer"].id, corpus["geinterviewd"].id}


def test_phrases_exclusion_prefix_and_or(corpus):
    assert ids('"vaste contactpersoon"') == [corpus["buurtkamer"].id]
    assert ids('"contactpersoon vaste"') == []
    assert set(ids("buurtkamer -vergeleken")) == {corpus["buurtkamer"].id}
    assert set(ids("mantel*")) == {corpus["geinterviewd"].id}
    assert set(ids("wachtlijst OR mantelzorg")) == {corpus["schulden"].id,
                                                    corpus["geinterviewd"].id}


def test_field_syntax_for_public_fields(corpus):
    assert set(ids("tag:ontmoeting")) == {corpus["buurtkamer"].id, corpus["buurtkamers"].id}
    assert ids("kind:frictie") == [corpus["schulden"].id]
    assert set(ids("wijk:overvecht")) == {corpus["buurtkamer"].id, corpus["schulden"].id}
    assert ids("buurtkamer status:running") == [corpus["buurtkamer"].id]
    assert set(ids("author:joost")) == {corpus["schulden"].id, corpus["geinterviewd"].id}
    assert set(ids("author_kind:bewoner")) == {corpus["schulden"].id, corpus["geinterviewd"].id}
    assert set(ids("after:2025-03-04")) == {corpus["jeugd"].id, corpus["geinterviewd"].id}
    assert set(ids("before:2025-03-01")) == {corpus["buurtkamer"].id}
    assert ids("kind:onbekend") == []
    assert set(ids("tag:ontmoet*")) == {corpus["buurtkamer"].id, corpus["buurtkamers"].id}


def test_ui_filters_match_the_syntax(corpus):
    assert ids("", filters={"kind": "friction"}) == [corpus["schulden"].id]
    assert set(ids("bewoners", filters={"neighbourhood": "overvecht"})) == {
        corpus["buurtkamer"].id, corpus["schulden"].id}
    assert ids("", filters={"tag": "jeugd", "after": "2025-01-01"}) == [corpus["jeugd"].id]
    assert ids("", filters={"author_kind": "resident", "kind": "experiment"}) == [
        corpus["geinterviewd"].id]
    # Bad filter values never error; an unknown kind matches nothing, a bad date is ignored.
    assert ids("", filters={"kind": "<script>"}) == []
    assert len(ids("", filters={"tag": "ontmoeting", "after": "gisteren"})) == 2


def test_internal_fields_cannot_be_addressed(search_app, create_user, post_factory):
    member = create_user("Teamlid", teams=["Wijkteam Noord"])
    secret = post_factory(member, title="Teamoverleg over visibility team", tags=["intern"],
                          visibility="team", team="Wijkteam Noord")
    outsider = create_user("Buitenstaander")
    for query in ("visibility:team", "team_id:1", f"author_id:{member.id}", "visibility:*",
                  "id:*", f"id:{secret.id}", "fingerprint:*", "teamoverleg"):
        assert ids(query) == []
        assert ids(query, outsider) == []
    assert ids("teamoverleg", member) == [secret.id]


def test_leading_wildcards_are_dropped(search_app, create_user, post_factory):
    author = create_user()
    words = " ".join(f"proef{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(60))
    post = post_factory(author, title="Veel proeven", body=words)
    assert ids("*1*") == []
    assert ids("*proefaa") == [post.id]  # the leading wildcard is ignored
    assert ids("proef*") == [post.id]


# -- visibility --------------------------------------------------------------------------------

@pytest.fixture
def team_world(create_user, create_post, index):
    member = create_user("Teamlid", teams=["Wijkteam Noord"])
    outsider = create_user("Buitenstaander", teams=["Wijkteam Zuid"])
    coordinator = create_user("Coördinator", role="coordinator")
    public = create_post(member, title="Openbaar verslag over de voedselbank",
                         tags=["voedsel"], neighbourhood="Overvecht")
    members = create_post(member, title="Ledenverslag over de voedselbank", tags=["voedsel"],
                          visibility="members")
    team = create_post(member, title="Teamverslag over de voedselbank en kwetsbaarheid",
                       body="Onze geheime zorgkaart van de wijk", tags=["teamgeheim"],
                       neighbourhood="Zuilen", visibility="team", team="Wijkteam Noord",
                       kind="friction")
    # One drain, one segment: documents share a segment as they do in a real index.
    index(public, members, team)
    return {"member": member, "outsider": outsider, "coordinator": coordinator,
            "public": public, "members": members, "team": team}


def test_visibility_is_enforced_inside_the_query(team_world):
    w = team_world
    assert set(ids("voedselbank")) == {w["public"].id}
    for viewer in (w["outsider"], w["coordinator"]):
        assert set(ids("voedselbank", viewer)) == {w["public"].id, w["members"].id}
    assert set(ids("voedselbank", w["member"])) == {w["public"].id, w["members"].id,
                                                    w["team"].id}


def test_team_posts_never_count_in_facets_or_totals_for_outsiders(team_world):
    w = team_world
    outside = search("voedselbank", None, 1, w["outsider"])
    assert outside.total == 2
    assert "teamgeheim" not in outside.facets["tag"]
    assert "zuilen" not in outside.facets["neighbourhood"]
    assert "friction" not in outside.facets["kind"]
    assert outside.facets["tag"] == {"voedsel": 2}
    inside = search("voedselbank", None, 1, w["member"])
    assert inside.total == 3
    assert inside.facets["tag"]["teamgeheim"] == 1
    assert inside.facets["neighbourhood"]["zuilen"] == 1
    assert search("", {"tag": "teamgeheim"}, 1, w["outsider"]).total == 0


def test_an_author_still_finds_their_team_post_after_leaving_the_team(team_world, create_user):
    """Members of the same teams search with one visibility (and share cached answers); the
    author clause comes back for a member who wrote a team post outside their teams."""
    from learncom.search.services import viewer_visibility

    w = team_world
    colleague = create_user("Collega", teams=["Wijkteam Noord"])
    assert viewer_visibility(colleague) == viewer_visibility(w["member"])
    assert viewer_visibility(w["outsider"]).user_id is None
    w["member"].teams = []
    db.session.commit()
    assert viewer_visibility(w["member"]).user_id == w["member"].id
    assert set(ids("voedselbank", w["member"])) == {w["public"].id, w["members"].id,
                                                    w["team"].id}
    assert set(ids("teamgeheim", w["member"])) == {w["team"].id}
    assert set(ids("voedselbank", colleague)) == {w["public"].id, w["members"].id,
                                                  w["team"].id}
    assert set(ids("voedselbank", w["outsider"])) == {w["public"].id, w["members"].id}


def test_suggestions_never_reveal_team_only_words(team_world):
    w = team_world
    # "zorgkaart" occurs only in the team post.
    assert search("zorgkaartt", None, 1, w["member"]).suggestion == "zorgkaart"
    for viewer in (None, w["outsider"], w["coordinator"]):
        assert search("zorgkaartt", None, 1, viewer).suggestion is None
    # A word in a visible post is suggested to everyone.
    assert search("voedselbnk", None, 1, None).suggestion == "voedselbank"


def test_similar_posts_respect_visibility_and_exclude_the_post(team_world):
    w = team_world
    found = similar(w["public"], w["outsider"])
    assert w["public"] not in found
    assert w["team"] not in found
    assert w["members"] in found
    assert w["team"] in similar(w["public"], w["member"])
    assert similar(w["public"], None) == []  # the others are not public
    typed = similar_text("Verslag voedselbank", "", w["member"])
    assert {p.id for p in typed} == {w["public"].id, w["members"].id, w["team"].id}
    assert similar_text("", "", None) == []


def test_a_shared_similar_ranking_is_cut_per_viewer_and_ranked_again_when_too_little_is_left(
        team_world, create_post, index, monkeypatch):
    """The post page ranks similar posts once for all viewers (search/services.py
    `similar`): each viewer gets what they may see of it, in the same order as a ranking of
    their own, and a ranking of their own when too little of the shared one is left."""
    from learncom.search import services

    w = team_world
    shared = services.similar(w["public"], w["member"], limit=5)
    assert shared == services._similar(  # the viewer's own ranking  # noqa: SLF001
        "\n".join([w["public"].title, w["public"].title, services.plain_text(w["public"].body)]),
        w["member"],
        exclude=w["public"].id, limit=5, cards=False)
    twins = [create_post(w["member"], title="Openbaar verslag over de voedselbank",
                         body=w["public"].body, visibility="team", team="Wijkteam Noord")
             for _ in range(2)]
    index(*twins)
    # Only two are shared: the team's twins of the post rank first, so an outsider has
    # nothing left of them and gets a ranking of their own (the members' post).
    monkeypatch.setattr(services, "SIMILAR_SHARED", 2)
    services._similar_cache().clear()  # noqa: SLF001
    assert services.similar(w["public"], w["member"], limit=2) == twins
    assert services.similar(w["public"], w["outsider"]) == [w["members"]]


def test_visitors_share_one_ranking_of_what_they_may_see(team_world, create_post, index,
                                                         monkeypatch):
    """When the shared ranking leaves too little for a viewer, the ranking of what they may
    see is kept (per process) for everyone who sees the same posts: visitors who are not
    logged in do not each rank the post again."""
    from learncom.search import services

    w = team_world
    monkeypatch.setattr(services, "SIMILAR_SHARED", 2)
    twins = [create_post(w["member"], title="Openbaar verslag over de voedselbank",
                         body=w["public"].body, visibility="team", team="Wijkteam Noord")
             for _ in range(2)]
    index(*twins)
    services._similar_cache().clear()  # noqa: SLF001
    first = services.similar(w["public"], None)  # the two kept are team posts: its own
    assert first == [] or all(p.visibility == "public" for p in first)
    later = create_post(w["member"], title="Verslag over de voedselbank voor iedereen",
                        body=w["public"].body)
    index(later)
    # The second visitor gets the ranking the first one made (kept for everyone who sees the
    # same posts); a ranking made afresh would have the new public post.
    assert services.similar(w["public"], None) == first
    services._similar_cache().clear()  # noqa: SLF001
    assert later in services.similar(w["public"], None)


# -- results -----------------------------------------------------------------------------------

def test_highlights_escape_the_users_text(search_app, create_user, post_factory,
                                          create_comment, index):
    author = create_user()
    post = post_factory(author, title="<script>alert(1)</script> Taalcafé",
                        body='Het taalcafé <img src=x onerror="alert(2)"> groeit & bloeit '
                             '<3 "echt"')
    create_comment(post, author, "Het taalcafé > de bieb & <3")
    index(post)
    hit = search("taalcafé", None, 1, None).hits[0]
    assert str(hit.title_html) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Taalcafé</mark>"
    body, comment = (str(h) for h in hit.highlights)
    assert "<img" not in body and "onerror" not in body  # markup is not shown at all
    assert "&amp; bloeit &lt;3 &#34;echt&#34;" in body
    assert "<mark>taalcafé</mark>" in body
    assert "<mark>taalcafé</mark> &gt; de bieb &amp; &lt;3" in comment


def test_sort_by_newest_and_pagination(search_app, create_user, post_factory):
    author = create_user()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    posts = [post_factory(author, title=f"Koffieochtend {n}",
                          body="koffieochtend " * (12 - n), created_at=start + timedelta(days=n))
             for n in range(12)]
    newest = search("koffieochtend", None, 1, None, sort="newest")
    assert newest.total == 12 and newest.pages == 2 and newest.has_next
    assert [h.id for h in newest.hits] == [p.id for p in reversed(posts)][:10]
    second = search("koffieochtend", None, 2, None, sort="newest")
    assert [h.id for h in second.hits] == [posts[1].id, posts[0].id]
    assert second.has_prev and not second.has_next
    relevant = search("koffieochtend", None, 1, None)
    assert len(relevant.hits) == 10 and relevant.total == 12
    assert search("koffieochtend", None, 99, None).hits == []


def test_rollback_of_the_test_session_does_not_leak_between_tests(search_app):
    # Each test has its own index directory: a fresh index is empty.
    assert search("koffieochtend", None, 1, None).total == 0
    db.session.commit()


def test_the_postgres_engine_refuses_a_sqlite_database(tmp_path):
    from learncom import create_app
    from learncom.search.services import EngineMisconfigured
    from tests.conftest import make_config

    with pytest.raises(EngineMisconfigured, match="PostgreSQL"):
        create_app(make_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path,
                               SEARCH_BACKEND="postgres"))
    with pytest.raises(EngineMisconfigured, match="whoosh, postgres"):
        create_app(make_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path,
                               SEARCH_BACKEND="elastic"))


def test_healthz_names_the_engines_and_fails_when_search_cannot_answer(client, search_app,
                                                                      search_engine):
    from sqlalchemy import text

    from learncom.search.services import get_backend

    database = db.engine.dialect.name
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": database,
                                   "search": search_engine}
    if search_engine == "whoosh":
        from learncom.search.whoosh.backend import POOL

        store = get_backend().store
        POOL.close(store.root)
        live = store.live_path()
        live.rename(live.with_name("elders"))  # the live index is gone
        broken = client.get("/healthz")
        live.with_name("elders").rename(live)
    else:
        db.session.execute(text("ALTER TABLE search_documents RENAME TO elders"))
        db.session.commit()
        broken = client.get("/healthz")
        db.session.execute(text("ALTER TABLE elders RENAME TO search_documents"))
        db.session.commit()
    assert broken.status_code == 503
    assert broken.get_json() == {"status": "error", "database": database,
                                 "search": search_engine, "failed": ["search"]}
    assert client.get("/healthz").status_code == 200
