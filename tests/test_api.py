"""The read-only JSON API under /api/v1: shapes, paging, filters, visibility, errors."""

from __future__ import annotations

import json
import re

import pytest

from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.posts import services as post_services
from learncom.reactions.models import Reaction
from tests.helpers import queries_for

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def site(create_user, create_post, create_comment):
    """Public, members-only, team-only and hidden posts, with links, reactions and a thread."""
    anke = create_user("Anke Siegers", email="anke@example.org", teams=["Buurtteam Overvecht"],
                       organisation="Buurtteam Overvecht", function="adviseur")
    bas = create_user("Bas de Vries", kind="resident", email="bas@example.org")
    experiment = create_post(anke, title="Buurtkamer", tags=["eenzaamheid", "buurtkamer"],
                             neighbourhood="Overvecht", status="running",
                             start_date="2025-03-01", hypothesis="Meer **contact**")
    friction = create_post(bas, kind="friction", title="Steeds een nieuwe indicatie",
                           tags=["wmo"], obstacle_type="procedure")
    lesson = create_post(anke, kind="lesson", title="Vraag eerst", tags=["eenzaamheid"],
                         statement="Vraag eerst wat iemand wil.")
    members = create_post(anke, title="Voor leden", tags=["intern"], visibility="members")
    team = create_post(anke, kind="friction", title="Voor het team", tags=["intern"],
                       visibility="team", team="Buurtteam Overvecht")
    hidden = create_post(bas, title="Verborgen", tags=["eenzaamheid"])
    hidden.hidden_at = utcnow()
    post_services.add_link(experiment, friction, "addresses", anke)
    post_services.add_link(lesson, experiment, "learned_from", anke)
    post_services.add_link(experiment, members, "related", anke)
    db.session.add_all([Reaction(user_id=bas.id, post_id=friction.id, kind="recognise"),
                        Reaction(user_id=anke.id, post_id=friction.id, kind="recognise"),
                        Reaction(user_id=anke.id, post_id=friction.id, kind="useful")])
    db.session.commit()
    return {"anke": anke, "bas": bas, "experiment": experiment, "friction": friction,
            "lesson": lesson, "members": members, "team": team, "hidden": hidden}


def ids(response) -> set[int]:
    return {item["id"] for item in response.get_json()["items"]}


def no_email_in(response) -> None:
    assert not EMAIL.search(response.get_data(as_text=True))


# -- shapes ------------------------------------------------------------------------------------

def test_post_list_items_have_exactly_the_documented_fields(client, site):
    response = client.get("/api/v1/posts")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
    by_id = {item["id"]: item for item in body["items"]}
    item = by_id[site["experiment"].id]
    assert item == {
        "id": site["experiment"].id, "kind": "experiment", "title": "Buurtkamer",
        "url": f"http://localhost/posts/{site['experiment'].id}",
        "tags": ["buurtkamer", "eenzaamheid"],
        "neighbourhood": {"name": "Overvecht", "slug": "overvecht", "city": None},
        "author": {"name": "Anke Siegers", "kind": "professional"},
        "created_at": item["created_at"], "updated_at": item["updated_at"],
        "status": "running",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["created_at"])
    assert by_id[site["friction"].id]["status"] == "raised"
    assert by_id[site["lesson"].id]["status"] is None
    assert by_id[site["friction"].id]["neighbourhood"] is None
    # Newest first.
    assert [i["id"] for i in body["items"]] == sorted(by_id, reverse=True)


def test_post_detail_has_body_fields_links_reactions_and_comment_count(client, site,
                                                                       create_comment):
    experiment = site["experiment"]
    create_comment(experiment, site["bas"], "Herkenbaar")
    gone = create_comment(experiment, site["bas"], "Weg")
    from learncom.discussion import services as discussion_services

    discussion_services.delete_comment(gone)
    db.session.commit()
    body = client.get(f"/api/v1/posts/{experiment.id}").get_json()
    assert body["body_markdown"] == "Een **experiment** in de wijk."
    assert body["body_html"] == "<p>Een <strong>experiment</strong> in de wijk.</p>"
    assert body["fields"] == {
        "hypothesis": "Meer **contact**", "approach": None, "target_group": None,
        "outcome_measures": None, "start_date": "2025-03-01", "end_date": None,
        "status": "running", "result": None, "evidence_level": "described"}
    # The link to the members-only post is left out for an anonymous requester.
    assert body["links"] == [
        {"relation": "addresses", "direction": "outgoing", "post_id": site["friction"].id,
         "title": "Steeds een nieuwe indicatie"},
        {"relation": "learned_from", "direction": "incoming", "post_id": site["lesson"].id,
         "title": "Vraag eerst"},
    ]
    assert body["reactions"] == {"recognise": 0, "useful": 0}
    assert body["comment_count"] == 1
    friction = client.get(f"/api/v1/posts/{site['friction'].id}").get_json()
    assert friction["reactions"] == {"recognise": 2, "useful": 1}
    assert friction["fields"] == {"obstacle_type": "procedure", "affected": None,
                                  "change_status": "raised", "resolution_note": None}
    lesson = client.get(f"/api/v1/posts/{site['lesson'].id}").get_json()
    assert lesson["fields"] == {"statement": "Vraag eerst wat iemand wil.", "context": None,
                                "confidence": "single_observation", "curated": False}


def test_comments_are_nested_with_deleted_and_hidden_ones_kept_without_text(
        client, auth, site, create_user, create_comment):
    from learncom.discussion import services as discussion_services

    post, anke, bas = site["experiment"], site["anke"], site["bas"]
    first = create_comment(post, bas, "Eerste")
    reply = create_comment(post, anke, "Antwoord", parent=first)
    create_comment(post, bas, "Antwoord op antwoord", parent=reply)
    gone = create_comment(post, bas, "Weg")
    discussion_services.delete_comment(gone)
    hidden = create_comment(post, bas, "Niet netjes")
    hidden.hidden_at = utcnow()
    db.session.commit()

    body = client.get(f"/api/v1/posts/{post.id}/comments").get_json()
    assert body["post_id"] == post.id
    top = body["items"]
    assert [c["id"] for c in top] == [first.id, gone.id, hidden.id]
    assert top[0]["author"] == {"name": "Bas de Vries", "kind": "resident"}
    assert top[0]["body_html"] == "<p>Eerste</p>"
    assert top[0]["parent_id"] is None and top[0]["deleted"] is False
    assert top[0]["replies"][0]["id"] == reply.id
    assert top[0]["replies"][0]["parent_id"] == first.id
    assert top[0]["replies"][0]["replies"][0]["body_html"] == "<p>Antwoord op antwoord</p>"
    assert top[1] == {"id": gone.id, "parent_id": None, "author": None,
                      "created_at": top[1]["created_at"], "edited_at": None,
                      "body_html": None, "deleted": True, "hidden": False, "replies": []}
    assert top[2]["hidden"] is True and top[2]["body_html"] is None and top[2]["author"] is None
    assert "Niet netjes" not in client.get(f"/api/v1/posts/{post.id}/comments").text
    assert client.get(f"/api/v1/posts/{post.id}").get_json()["comment_count"] == 3

    # The hidden comment's author (and coordinators) still read it.
    auth.login(bas)
    mine = client.get(f"/api/v1/posts/{post.id}/comments").get_json()["items"][2]
    assert mine["body_html"] == "<p>Niet netjes</p>" and mine["hidden"] is True
    assert client.get(f"/api/v1/posts/{post.id}").get_json()["comment_count"] == 4


def test_tags_and_neighbourhoods_count_only_visible_posts(client, auth, site):
    tags = client.get("/api/v1/tags").get_json()["items"]
    assert tags == [{"name": "eenzaamheid", "post_count": 2},
                    {"name": "buurtkamer", "post_count": 1}, {"name": "wmo", "post_count": 1}]
    hoods = client.get("/api/v1/neighbourhoods").get_json()["items"]
    assert hoods == [{"name": "Overvecht", "slug": "overvecht", "city": None, "post_count": 1}]
    auth.login(site["anke"])
    tags = dict((t["name"], t["post_count"]) for t in client.get("/api/v1/tags").json["items"])
    assert tags["intern"] == 2


# -- paging and filters ------------------------------------------------------------------------

def test_pages_and_per_page_with_a_cap_of_100(client, create_user, create_post, app):
    author = create_user()
    for n in range(23):
        post_services.create_post(author, post_services.PostInput(
            kind="lesson", title=f"Les {n}", tags=["t"]))
    db.session.commit()
    first = client.get("/api/v1/posts").get_json()
    assert (len(first["items"]), first["total"], first["per_page"]) == (20, 23, 20)
    second = client.get("/api/v1/posts?page=2").get_json()
    assert len(second["items"]) == 3 and second["page"] == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    small = client.get("/api/v1/posts?per_page=5&page=3").get_json()
    assert (len(small["items"]), small["page"], small["per_page"]) == (5, 3, 5)
    capped = client.get("/api/v1/posts?per_page=1000").get_json()
    assert (len(capped["items"]), capped["per_page"]) == (23, 100)
    past_the_end = client.get("/api/v1/posts?page=9").get_json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 23


def test_filters_by_kind_tag_neighbourhood_and_status(client, site):
    experiment, friction, lesson = site["experiment"], site["friction"], site["lesson"]
    assert ids(client.get("/api/v1/posts?kind=friction")) == {friction.id}
    assert ids(client.get("/api/v1/posts?tag=eenzaamheid")) == {experiment.id, lesson.id}
    assert ids(client.get("/api/v1/posts?tag=Eenzaamheid")) == {experiment.id, lesson.id}
    assert ids(client.get("/api/v1/posts?tag=onbekend")) == set()
    assert ids(client.get("/api/v1/posts?neighbourhood=overvecht")) == {experiment.id}
    assert ids(client.get("/api/v1/posts?neighbourhood=nergens")) == set()
    assert ids(client.get("/api/v1/posts?status=running")) == {experiment.id}
    assert ids(client.get("/api/v1/posts?status=raised&kind=friction")) == {friction.id}
    assert ids(client.get("/api/v1/posts?status=raised&kind=lesson")) == set()
    assert ids(client.get("/api/v1/posts?kind=experiment&tag=eenzaamheid"
                          "&neighbourhood=overvecht")) == {experiment.id}
    assert ids(client.get("/api/v1/posts?kind=&status=&onbekend=1")) == {
        experiment.id, friction.id, lesson.id}


@pytest.mark.parametrize("query", ["kind=blog", "status=klaar", "page=0", "page=-1",
                                   "page=twee", "page=10001", "per_page=0", "per_page=1.5"])
def test_a_bad_parameter_is_a_400_json_error_naming_it(client, query):
    response = client.get(f"/api/v1/posts?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert query.split("=")[0] in error["message"]


# -- visibility --------------------------------------------------------------------------------

def test_anonymous_sees_only_public_posts_that_are_not_hidden(client, site):
    assert ids(client.get("/api/v1/posts")) == {
        site["experiment"].id, site["friction"].id, site["lesson"].id}
    for name in ("members", "team", "hidden"):
        assert client.get(f"/api/v1/posts/{site[name].id}").status_code == 404
        assert client.get(f"/api/v1/posts/{site[name].id}/comments").status_code == 404


def test_a_member_sees_members_posts_a_team_member_also_the_teams(client, auth, site,
                                                                 create_user):
    outsider = create_user("Carla", kind="volunteer")
    auth.login(outsider)
    assert ids(client.get("/api/v1/posts")) == {
        site["experiment"].id, site["friction"].id, site["lesson"].id, site["members"].id}
    assert client.get(f"/api/v1/posts/{site['team'].id}").status_code == 404
    links = client.get(f"/api/v1/posts/{site['experiment'].id}").get_json()["links"]
    assert site["members"].id in {link["post_id"] for link in links}
    auth.logout()

    auth.login(site["anke"])
    assert site["team"].id in ids(client.get("/api/v1/posts"))
    assert client.get(f"/api/v1/posts/{site['team'].id}").status_code == 200
    assert site["hidden"].id not in ids(client.get("/api/v1/posts"))
    auth.logout()

    # A hidden post stays visible to its author.
    auth.login(site["bas"])
    assert client.get(f"/api/v1/posts/{site['hidden'].id}").status_code == 200


def test_a_coordinator_outside_the_team_sees_hidden_posts_but_not_the_teams(client, auth, site,
                                                                           create_user):
    auth.login(create_user("Coördinator", role="coordinator"))
    listed = ids(client.get("/api/v1/posts"))
    assert site["hidden"].id in listed and site["team"].id not in listed


def test_no_email_address_anywhere(client, auth, site, create_comment):
    create_comment(site["experiment"], site["bas"], "Mail me niet")
    urls = ["/api/v1/posts", "/api/v1/tags", "/api/v1/neighbourhoods",
            "/api/v1/search?q=buurtkamer", "/api/v1/openapi.json"]
    for post in ("experiment", "friction", "lesson"):
        urls += [f"/api/v1/posts/{site[post].id}", f"/api/v1/posts/{site[post].id}/comments"]
    for viewer in (None, site["anke"]):
        if viewer is not None:
            auth.login(viewer)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            no_email_in(response)
            assert "anke@example.org" not in response.text


# -- errors and headers ------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "url", "status", "code"), [
    ("GET", "/api/v1/posts/999", 404, "not_found"),
    ("GET", "/api/v1/posts/999/comments", 404, "not_found"),
    ("GET", "/api/v1/posts/99999999999", 404, "not_found"),
    ("GET", "/api/v1/posts/abc", 404, "not_found"),
    ("GET", "/api/v1/onbekend", 404, "not_found"),
    ("GET", "/api/v2/posts", 404, "not_found"),
    ("POST", "/api/v1/posts", 405, "method_not_allowed"),
    ("DELETE", "/api/v1/posts/1", 405, "method_not_allowed"),
    ("PUT", "/api/v1/tags", 405, "method_not_allowed"),
])
def test_errors_are_json_with_a_code_and_message(client, site, method, url, status, code):
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and body["error"]["message"]


def test_a_server_error_is_a_500_json_error(app, client):
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/kapot", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/kapot")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert "boom" not in response.text


def test_any_origin_may_read_the_api_but_not_the_pages(client, site):
    assert client.get("/api/v1/posts").headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/nergens").headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/search?q=x").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_the_openapi_document_is_served_as_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(response.data)
    assert document["openapi"] == "3.1.0"
    assert document["paths"]["/posts"]["get"]["operationId"] == "listPosts"


# -- queries -----------------------------------------------------------------------------------

def test_lists_run_a_fixed_number_of_queries(client, create_user, create_post):
    def add(n: int) -> None:
        for i in range(n):
            author = create_user()
            create_post(author, title=f"Post {i}", tags=[f"tag-{i}", "gedeeld"],
                        neighbourhood=f"Wijk {i}")

    add(2)
    few = {url: queries_for(client, url) for url in (
        "/api/v1/posts", "/api/v1/tags", "/api/v1/neighbourhoods")}
    add(8)
    for url, count in few.items():
        assert queries_for(client, url) == count, url


def test_post_detail_and_thread_run_a_fixed_number_of_queries(client, site, create_user,
                                                              create_comment):
    post = site["experiment"]
    create_comment(post, site["bas"], "Een")
    detail, thread = (queries_for(client, f"/api/v1/posts/{post.id}"),
                      queries_for(client, f"/api/v1/posts/{post.id}/comments"))
    for n in range(6):
        parent = create_comment(post, create_user(f"Lid {n}"), f"Reactie {n}")
        create_comment(post, site["anke"], "Antwoord", parent=parent)
    assert queries_for(client, f"/api/v1/posts/{post.id}") == detail
    assert queries_for(client, f"/api/v1/posts/{post.id}/comments") == thread
