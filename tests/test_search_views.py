"""/zoeken, /api/v1/search and /zoeken/vergelijkbaar through the test client."""

from __future__ import annotations

import re

import pytest

from tests import search_fixtures

# The search fixtures (the app with search wired in, and indexing helpers).
search_app = search_fixtures.search_app
index = search_fixtures.index
post_factory = search_fixtures.post_factory


def hit_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="hit-(\d+)"', html)]


@pytest.fixture
def world(search_app, create_user, post_factory):
    member = create_user("Teamlid", teams=["Wijkteam Noord"])
    outsider = create_user("Buitenstaander")
    public = post_factory(member, title="Buurtkamer als vindplaats", tags=["ontmoeting"],
                          neighbourhood="Overvecht", body="Bewoners drinken koffie.")
    friction = post_factory(member, kind="friction", title="Buurtkamer sluit om vijf uur",
                            tags=["openingstijden"])
    team = post_factory(member, title="Buurtkamer teamevaluatie", tags=["teamgeheim"],
                        visibility="team", team="Wijkteam Noord")
    return {"member": member, "outsider": outsider, "public": public, "friction": friction,
            "team": team}


def test_results_page_with_hits_facets_and_sort(client, world):
    response = client.get("/zoeken?q=buurtkamer")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert set(hit_ids(html)) == {world["public"].id, world["friction"].id}
    assert 'id="result-count"' in html
    assert 'data-facet="kind" data-value="friction"' in html
    assert 'data-facet="tag" data-value="teamgeheim"' not in html
    assert "<mark>Buurtkamer</mark>" in html
    assert 'href="/zoeken?q=buurtkamer&amp;sort=newest"' in html

    filtered = client.get("/zoeken?q=buurtkamer&kind=friction").get_data(as_text=True)
    assert hit_ids(filtered) == [world["friction"].id]
    assert 'data-filter="kind"' in filtered  # removable active filter


def test_active_filter_chips_read_as_labels_not_stored_values(client, world):
    """Issue 13 item 6: a chip says "Schrijver: Ervaringsdeskundige" and "Vanaf
    1 jan 2026", never `expert_by_experience` or `2026-01-01`; also when nothing matches."""
    html = client.get("/zoeken?q=buurtkamer&author_kind=expert_by_experience"
                      "&after=2026-01-01&before=2026-02-28&kind=friction&status=raised"
                      "&neighbourhood=overvecht").get_data(as_text=True)
    chips = dict(re.findall(r'data-filter="(\w+)" href="[^"]*">([^<]*) <span', html))
    assert chips == {"kind": "Frictie", "status": "Gemeld", "neighbourhood": "Overvecht",
                     "author_kind": "Schrijver: Ervaringsdeskundige",
                     "after": "Vanaf 1 jan 2026", "before": "Tot en met 28 feb 2026"}


def test_team_members_find_team_posts(client, auth, world):
    auth.login(world["outsider"])
    assert world["team"].id not in hit_ids(client.get("/zoeken?q=buurtkamer").get_data(True))
    auth.logout()
    auth.login(world["member"])
    html = client.get("/zoeken?q=buurtkamer").get_data(as_text=True)
    assert world["team"].id in hit_ids(html)


def test_start_empty_state_and_suggestion(client, world):
    start = client.get("/zoeken").get_data(as_text=True)
    assert 'id="search-start"' in start and 'id="search-hits"' not in start
    empty = client.get("/zoeken?q=zwembadrooster").get_data(as_text=True)
    assert 'id="search-empty"' in empty
    typo = client.get("/zoeken?q=vindplaatz").get_data(as_text=True)
    assert 'id="search-suggestion"' in typo
    assert 'href="/zoeken?q=vindplaats"' in typo


def test_pagination(client, create_user, post_factory, search_app):
    author = create_user()
    for n in range(12):
        post_factory(author, title=f"Wijkwandeling {n}")
    first = client.get("/zoeken?q=wijkwandeling").get_data(as_text=True)
    assert len(hit_ids(first)) == 10
    assert 'rel="next" href="/zoeken?q=wijkwandeling&amp;page=2"' in first
    second = client.get("/zoeken?q=wijkwandeling&page=2").get_data(as_text=True)
    assert len(hit_ids(second)) == 2


@pytest.mark.parametrize("query", [
    "q=%00%01", "q=" + "x" * 5000, "q=buurtkamer&page=abc", "q=buurtkamer&page=-3",
    "q=buurtkamer&page=99999", "q=buurtkamer&sort=<script>", "q=tag:&kind=<b>",
    "q=%22unbalanced&after=gisteren&before=2024-99-99", "q=*1*", "q=visibility:team",
    "kind=friction", "q=OR&status=x&author_kind=y&neighbourhood=%00",
    "q[]=a&q=b", "q=buurtkamer&neighbourhood=overvecht&tag=ontmoeting",
])
def test_bad_input_never_errors(client, world, query):
    """The page leaves a bad filter out; the API refuses it with a 400 naming it."""
    refused = {"q=buurtkamer&page=abc": "page", "q=buurtkamer&page=-3": "page",
               "q=buurtkamer&page=99999": "page", "q=tag:&kind=<b>": "kind",
               "q=%22unbalanced&after=gisteren&before=2024-99-99": "after",
               "q=OR&status=x&author_kind=y&neighbourhood=%00": "status"}
    for path in ("/zoeken", "/api/v1/search"):
        response = client.get(f"{path}?{query}")
        if path != "/zoeken" and query in refused:
            assert response.status_code == 400, query
            assert response.get_json()["error"]["code"] == "bad_request"
            assert refused[query] in response.get_json()["error"]["message"]
            continue
        assert response.status_code == 200, (path, query)
        if path == "/zoeken":
            assert world["team"].id not in hit_ids(response.get_data(as_text=True))
        else:
            assert world["team"].id not in [i["id"] for i in response.get_json()["items"]]


def test_json_api_shape(client, world):
    data = client.get("/api/v1/search?q=buurtkamer&page=1").get_json()
    assert set(data) == {"total", "page", "items", "facets", "suggestion"}
    assert data["total"] == 2 and data["page"] == 1 and data["suggestion"] is None
    assert set(data["facets"]) == {"kind", "tag", "neighbourhood", "status"}
    assert data["facets"]["kind"] == {"experiment": 1, "friction": 1}
    assert data["facets"]["neighbourhood"] == {"overvecht": 1}
    item = next(i for i in data["items"] if i["id"] == world["public"].id)
    assert set(item) == {"id", "kind", "title", "url", "score", "highlights"}
    assert item["url"] == f"/posts/{world['public'].id}"
    assert item["kind"] == "experiment" and isinstance(item["score"], float)
    assert all(isinstance(h, str) for h in item["highlights"])

    filtered = client.get("/api/v1/search?q=buurtkamer&kind=friction&tag=openingstijden")
    assert [i["id"] for i in filtered.get_json()["items"]] == [world["friction"].id]
    typo = client.get("/api/v1/search?q=vindplaatz").get_json()
    assert typo["total"] == 0 and typo["suggestion"] == "vindplaats"
    nothing = client.get("/api/v1/search").get_json()
    assert nothing["total"] == 0 and nothing["items"] == []


def test_similar_endpoint_json_and_html(client, auth, world):
    data = client.get("/zoeken/vergelijkbaar?title=Buurtkamer+evaluatie&body=").get_json()
    found = [item["id"] for item in data["items"]]
    assert world["public"].id in found and world["team"].id not in found
    assert set(data["items"][0]) == {"id", "kind", "title", "url"}
    assert client.get("/zoeken/vergelijkbaar").get_json() == {"items": []}

    auth.login(world["member"])
    found = [i["id"] for i in
             client.get("/zoeken/vergelijkbaar?title=Buurtkamer+teamevaluatie").get_json()["items"]]
    assert world["team"].id in found

    page = client.get("/zoeken/vergelijkbaar?title=Buurtkamer", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'id="similar-posts"' in page.get_data(as_text=True)


def test_author_kind_and_date_filters_on_the_page(client, create_user, post_factory, search_app):
    from datetime import UTC, datetime

    resident = create_user("Bewoner", kind="resident")
    pro = create_user("Prof", kind="professional")
    old = post_factory(resident, title="Tuinproject", created_at=datetime(2023, 5, 1, tzinfo=UTC))
    new = post_factory(resident, title="Tuinproject twee",
                       created_at=datetime(2025, 5, 1, tzinfo=UTC))
    other = post_factory(pro, title="Tuinproject drie", created_at=datetime(2025, 6, 1, tzinfo=UTC))
    html = client.get("/zoeken?q=tuinproject&author_kind=resident").get_data(as_text=True)
    assert set(hit_ids(html)) == {old.id, new.id}
    assert 'id="search-filters"' in html and 'value="resident" selected' in html
    html = client.get("/zoeken?q=tuinproject&after=2025-01-01&before=2025-05-31").get_data(True)
    assert hit_ids(html) == [new.id]
    assert 'name="after" value="2025-01-01"' in html
    assert other.id not in hit_ids(html)


def test_similar_partials_render(search_app, world):
    from flask import render_template

    from learncom.search import similar

    with search_app.test_request_context("/"):
        html = render_template("search/_similar.html",
                               similar_posts=similar(world["public"], None))
        assert f'href="/posts/{world["friction"].id}"' in html
        assert f'href="/posts/{world["team"].id}"' not in html
        assert f'href="/posts/{world["public"].id}"' not in html  # never itself
        html = render_template("search/_similar.html",
                               similar_posts=similar(world["public"], world["member"]))
        assert f'href="/posts/{world["team"].id}"' in html
        assert render_template("search/_similar.html", similar_posts=[]).strip() == ""
        check = render_template("search/_similar_check.html")
        assert 'formaction="/zoeken/vergelijkbaar"' in check and "data-similar-results" in check
