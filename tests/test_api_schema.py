"""The OpenAPI document against the API: schemathesis loads /api/v1/openapi.json from the app
(which also validates it as OpenAPI 3.1), generates requests for every operation and checks
each answer: no server error, a documented status code and content type, and a body that
matches the response schema (whose objects all forbid undocumented properties)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from learncom.extensions import db
from learncom.posts import services as post_services

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _seed(create_user) -> None:
    """A small site: each kind, tags, a neighbourhood, a link, a nested thread with a deleted
    and a hidden comment, a reaction, and posts the anonymous requester cannot see. Built
    with the services and committed once (every commit also updates the search index)."""
    from learncom.accounts.services import get_or_create_team
    from learncom.dbtypes import utcnow
    from learncom.discussion import services as discussion_services
    from learncom.reactions.models import Reaction

    anke = create_user("Anke Siegers", kind="professional", teams=["Buurtteam Overvecht"])
    bas = create_user("Bas", kind="resident")
    hood = post_services.get_or_create_neighbourhood("Overvecht", "Utrecht")
    team = get_or_create_team("Buurtteam Overvecht")

    def post(author, kind, title, tags, **extra):
        fields = extra.pop("fields", {})
        return post_services.create_post(author, post_services.PostInput(
            kind=kind, title=title, body=f"Over *{title}*.", tags=tags, fields=fields, **extra))

    experiment = post(anke, "experiment", "Buurtkamer", ["eenzaamheid", "buurtkamer"],
                      neighbourhood_id=hood.id,
                      fields={"status": "running", "start_date": "2025-03-01",
                              "hypothesis": "Meer contact"})
    friction = post(bas, "friction", "Steeds een nieuwe indicatie", ["wmo", "regelreflex"],
                    fields={"obstacle_type": "procedure"})
    lesson = post(anke, "lesson", "Vraag eerst wat iemand wil", ["eenzaamheid"],
                  fields={"statement": "Vraag eerst."})
    post(anke, "experiment", "Alleen voor leden", ["intern"], visibility="members")
    post(anke, "friction", "Alleen het team", ["intern"], visibility="team", team_id=team.id)
    post_services.add_link(experiment, friction, "addresses", anke)
    post_services.add_link(lesson, experiment, "learned_from", anke)
    db.session.add(Reaction(user_id=bas.id, post_id=friction.id, kind="recognise"))
    first = discussion_services.add_comment(experiment, bas, "Herkenbaar!")
    reply = discussion_services.add_comment(experiment, anke, "Dank je, *Bas*.", first)
    discussion_services.add_comment(experiment, bas, "Wat kostte het?", reply)
    gone = discussion_services.add_comment(experiment, bas, "Vergissing")
    discussion_services.delete_comment(gone)
    hidden = discussion_services.add_comment(friction, bas, "Iets wat niet mag")
    hidden.hidden_at = utcnow()
    db.session.commit()


OPERATIONS = [("GET", "/posts"), ("GET", "/posts/{post_id}"), ("GET", "/posts/{post_id}/comments"),
              ("GET", "/tags"), ("GET", "/neighbourhoods"), ("GET", "/search"),
              ("GET", "/openapi.json")]


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_conforms_to_the_document(app, client, auth, create_user,
                                                  method, path, viewer):
    _seed(create_user)
    cookies = {}
    if viewer == "member":
        # A coordinator in the team: sees members-only and team posts and hidden comments.
        from learncom.accounts.models import User

        anke = db.session.scalar(db.select(User).where(User.name == "Anke Siegers"))
        anke.role = "coordinator"
        db.session.commit()
        auth.login(anke)
        cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
        cookies = {cookie.key: cookie.value}
        fresh = app.test_client()
        fresh.set_cookie(cookie.key, cookie.value)
        # The cookie works: members-only and team posts are listed.
        assert fresh.get("/api/v1/posts").get_json()["total"] == 5
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]

    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(max_examples=25, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def run(case):
        response = case.call_and_validate(cookies=cookies, checks=CHECKS)
        if path == "/tags":  # the requests really ran as this viewer
            names = {item["name"] for item in response.json()["items"]}
            assert ("intern" in names) is (viewer == "member")

    run()


def test_the_document_is_openapi_3_1_and_describes_every_endpoint(app, client):
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    document = loaded.raw_schema
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/posts", "/posts/{post_id}", "/posts/{post_id}/comments",
                                      "/tags", "/neighbourhoods", "/search", "/openapi.json"}
    assert document["servers"] == [{"url": "http://localhost/api/v1"}]
    for name, component in document["components"]["schemas"].items():
        objects = [component]
        while objects:
            current = objects.pop()
            if isinstance(current, dict):
                if current.get("type") == "object" and "properties" in current:
                    assert current["additionalProperties"] is False, name
                    assert set(current["required"]) == set(current["properties"]), name
                objects.extend(current.values())
            elif isinstance(current, list):
                objects.extend(current)
    # Every route the app serves under /api/v1 is in the document, and nothing else.
    served = {rule.rule.removeprefix("/api/v1").replace("<int:post_id>", "{post_id}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert served == set(document["paths"])
    assert {(method, path) for path in document["paths"] for method in ("GET",)} == set(OPERATIONS)


def test_the_document_rejects_a_response_with_an_undocumented_field(app, create_user,
                                                                     create_post):
    """The schema test can fail: a post item with a field the document does not list breaks
    response conformance."""
    from schemathesis.core.failures import FailureGroup

    create_post(create_user("Anke"))
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = loaded["/posts"]["GET"]
    case = operation.Case(query={})
    response = case.call()
    body = response.json()
    body["items"][0]["email"] = "anke@example.org"
    import json

    response.content = json.dumps(body).encode()
    with pytest.raises(FailureGroup):
        case.validate_response(response, checks=[response_schema_conformance])
