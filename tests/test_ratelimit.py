"""Rate limits (learncom/ratelimit.py): requests until 429 for every rule at its default limit,
the Dutch 429 page and the API's JSON error with Retry-After, counters per IP / address /
member, and counters shared by two server processes through a real redis-server."""

from __future__ import annotations

import itertools

import pytest
import requests

from learncom.ratelimit import RULES
from tests.conftest import DEFAULT_PASSWORD, make_config
from tests.servers import app_environment, gunicorn, redis_server

pytestmark = pytest.mark.search  # the search rules ask the index

EXPERIMENT = {"body": "We openen een **buurtkamer**.", "tags": "eenzaamheid",
              "visibility": "public", "hypothesis": "Ouderen komen vaker",
              "approach": "Open inloop",
              "target_group": "Ouderen 75+", "outcome_measures": "Bezoekers per week",
              "start_date": "2025-01-06", "end_date": "2025-06-30", "status": "running",
              "result": "", "evidence_level": "substantiated"}


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, RATELIMIT_ENABLED=True)


def until_429(send, most: int = 400) -> int:
    """How many requests `send(n)` answers before the first 429."""
    for n in range(most):
        response = send(n)
        if response.status_code == 429:
            return n
        assert response.status_code < 400, (n, response.status_code)
    raise AssertionError(f"no 429 within {most} requests")


@pytest.fixture
def member_client(client, create_user):
    member = create_user("Lid", email="lid@example.org")
    client.post("/account/inloggen", data={"email": member.email, "password": DEFAULT_PASSWORD})
    return client


def test_every_rule_is_measured():
    assert set(RULES) == set(MEASURED)


MEASURED = {
    # rule: requests answered before the first 429, at the default limits
    "login_ip": 20, "register_ip": 10, "register_address": 3, "reset_ip": 10,
    "reset_address": 3, "posts": 20, "comments": 10, "flags": 20, "search": 60,
    "similar": 120, "api": 120, "email_change": 10, "email_change_address": 3,
}


def test_log_in_per_ip(client):
    count = until_429(lambda n: client.post("/account/inloggen", data={
        "email": f"iemand{n}@example.org", "password": "geen goed wachtwoord"}))
    assert count == MEASURED["login_ip"]


def registration(email: str) -> dict:
    return {"name": f"Naam {email[:12]}", "kind": "resident", "email": email,
            "password": "een lange zin als wachtwoord",
            "password_again": "een lange zin als wachtwoord"}


def test_registration_per_ip_and_per_address(app, client):
    count = until_429(lambda n: client.post("/account/registreren",
                                            data=registration(f"nieuw{n}@example.org")))
    assert count == MEASURED["register_ip"]
    other_ip = {"REMOTE_ADDR": "192.0.2.7"}
    count = until_429(lambda n: client.post("/account/registreren", environ_base=other_ip,
                                            data=registration("doelwit@example.org")))
    assert count == MEASURED["register_address"]
    fresh_ip = {"REMOTE_ADDR": "192.0.2.8"}
    blocked = client.post("/account/registreren", environ_base=fresh_ip,
                          data=registration("DOELWIT@example.org "))
    assert blocked.status_code == 429, "the address counts, whichever IP asks"


def test_password_reset_per_ip_and_per_address(client, create_user):
    create_user(email="doelwit@example.org")
    count = until_429(lambda n: client.post("/account/wachtwoord-vergeten",
                                            data={"email": f"iemand{n}@example.org"}))
    assert count == MEASURED["reset_ip"]
    other_ip = {"REMOTE_ADDR": "192.0.2.7"}
    count = until_429(lambda n: client.post("/account/wachtwoord-vergeten", environ_base=other_ip,
                                            data={"email": "doelwit@example.org"}))
    assert count == MEASURED["reset_address"]


def test_email_change_per_member_and_per_address(app, client, create_user, member_client):
    """Wrong passwords count too (no password guessing through this form); three mails at most
    to one address, whoever asks."""
    count = until_429(lambda n: member_client.post("/account/e-mailadres", data={
        "email": f"nieuw{n}@example.org", "email_password": "niet het wachtwoord"}))
    assert count == MEASURED["email_change"]
    other = app.test_client()
    other.post("/account/inloggen", data={"email": create_user("Ander").email,
                                          "password": DEFAULT_PASSWORD})
    count = until_429(lambda n: other.post("/account/e-mailadres", data={
        "email": "doelwit@example.org", "email_password": DEFAULT_PASSWORD}))
    assert count == MEASURED["email_change_address"]


def test_posts_per_member(member_client):
    count = until_429(lambda n: member_client.post("/posts/nieuw/experiment", data={
        **EXPERIMENT, "title": f"Buurtkamer nummer {n}"}))
    assert count == MEASURED["posts"]


def test_a_form_with_errors_does_not_count(member_client):
    for _n in range(30):
        response = member_client.post("/posts/nieuw/experiment", data={**EXPERIMENT,
                                                                      "title": ""})
        assert response.status_code == 200
    saved = member_client.post("/posts/nieuw/experiment", data={**EXPERIMENT, "title": "Goed"})
    assert saved.status_code == 302


def test_comments_per_member(member_client, create_user, create_post):
    post = create_post(create_user("Auteur"))
    count = until_429(lambda n: member_client.post(f"/posts/{post.id}/reacties",
                                                   data={"body": f"Reactie {n}"}))
    assert count == MEASURED["comments"]


def test_flags_per_member(member_client, create_user, create_post):
    post = create_post(create_user("Auteur"))
    count = until_429(lambda n: member_client.post(f"/posts/{post.id}/melden",
                                                   data={"reason": "spam"}))
    assert count == MEASURED["flags"]


def test_search_similar_and_api_per_ip(client):
    assert until_429(lambda n: client.get(f"/zoeken?q=buurt{n}")) == MEASURED["search"]
    assert until_429(lambda n: client.get(f"/zoeken/vergelijkbaar?title=buurt{n}")) == (
        MEASURED["similar"])
    paths = itertools.cycle(["/api/v1/tags", "/api/v1/posts", "/api/v1/search?q=buurt"])
    assert until_429(lambda n: client.get(next(paths))) == MEASURED["api"]
    other_ip = {"REMOTE_ADDR": "192.0.2.9"}
    assert client.get("/api/v1/tags", environ_base=other_ip).status_code == 200


def test_the_429_page_is_dutch_with_retry_after(app, client):
    app.config["RATELIMITS"] = {"search": "2 per minute"}
    client.get("/zoeken?q=a")
    client.get("/zoeken?q=b")
    response = client.get("/zoeken?q=c")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 61
    html = response.get_data(as_text=True)
    assert "Te veel verzoeken. Probeer het over 1 minuut opnieuw." in html
    assert '<html lang="nl">' in html


def test_the_api_answers_429_in_json(app, client):
    app.config["RATELIMITS"] = {"api": "1 per minute"}
    assert client.get("/api/v1/tags").status_code == 200
    response = client.get("/api/v1/tags")
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) > 0


def test_reading_pages_is_never_limited(client):
    for _n in range(150):
        assert client.get("/account/inloggen").status_code == 200


def test_two_processes_share_the_limit_through_redis(app, database_url, tmp_path):
    """Two gunicorn servers (separate processes, as two machines would be) with one redis-server:
    the API limit counts every request, whichever process answers it."""
    with redis_server(tmp_path) as redis_url:
        environment = app_environment(database_url, tmp_path,
                                      RATELIMIT_STORAGE_URI=redis_url)
        with gunicorn(environment, tmp_path / "a.log") as first, \
                gunicorn(environment, tmp_path / "b.log") as second:
            session = requests.Session()
            session.trust_env = False  # never through a proxy
            answers = {first: [], second: []}
            for n in range(130):
                server = (first, second)[n % 2]
                answers[server].append(
                    session.get(f"{server}/api/v1/tags", timeout=10).status_code)
            statuses = [s for pair in zip(answers[first], answers[second], strict=True)
                        for s in pair]
            assert statuses[:120] == [200] * 120
            assert set(statuses[120:]) == {429}
            assert answers[first].count(200) == answers[second].count(200) == 60, (
                "each process alone stayed under 120: only the shared count can say 429")
