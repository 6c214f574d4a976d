"""Trusted links: every absolute URL (mail, feeds, API, OpenAPI servers) is built from SITE_URL,
never from the request's Host; a request for a host outside TRUSTED_HOSTS is answered 400."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from learncom.config import load_config
from learncom.extensions import db
from learncom.mail import OutboxMessage
from learncom.web import trusted_hosts
from tests.conftest import make_config

SITE = "https://learncom.example.nl"


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, SITE_URL=SITE, TRUSTED_HOSTS=None)


def mails() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))


def urls_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def test_a_forged_host_gets_400_and_no_mail(client, create_user):
    """The probe from outside: GET and POST /account/wachtwoord-vergeten with `Host:
    evil.example` put http://evil.example/account/wachtwoord-herstellen/<token> in the mail."""
    create_user(email="slachtoffer@example.org")
    evil = {"Host": "evil.example"}
    page = client.get("/account/wachtwoord-vergeten", headers=evil)
    assert page.status_code == 400
    response = client.post("/account/wachtwoord-vergeten", headers=evil,
                           data={"email": "slachtoffer@example.org"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    assert mails() == []


@pytest.mark.parametrize("headers", [
    {"Host": "127.0.0.1:8123"},
    {"Host": "localhost", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
])
def test_mail_links_use_the_site_address_whatever_the_host(client, create_user, headers):
    create_user(email="lid@example.org")
    response = client.post("/account/wachtwoord-vergeten", headers=headers,
                           data={"email": "lid@example.org"})
    assert response.status_code == 200
    [body] = mails()
    links = urls_in(body)
    assert links and all(link.startswith(f"{SITE}/account/") for link in links), links
    assert "evil.example" not in body and "127.0.0.1" not in body


def test_registration_mails_use_the_site_address(client, create_user):
    create_user(email="bestaand@example.org")
    for email in ("nieuw@example.org", "bestaand@example.org"):
        client.post("/account/registreren", headers={"Host": "127.0.0.1:5000"}, data={
            "name": f"Naam {email[:5]}", "kind": "resident", "email": email,
            "password": "een lange zin als wachtwoord",
            "password_again": "een lange zin als wachtwoord"})
    bodies = mails()
    assert len(bodies) == 2
    for body in bodies:
        links = urls_in(body)
        assert links and all(link.startswith(f"{SITE}/") for link in links), links


def test_feeds_api_and_openapi_use_the_site_address(client, create_user, create_post):
    post = create_post(create_user())
    host = {"Host": "127.0.0.1:8123"}
    feed = client.get("/feeds/alles.atom", headers=host).get_data(as_text=True)
    assert f"{SITE}/posts/{post.id}" in feed
    assert "127.0.0.1" not in feed
    api = client.get(f"/api/v1/posts/{post.id}", headers=host).get_json()
    assert api["url"] == f"{SITE}/posts/{post.id}"
    document = client.get("/api/v1/openapi.json", headers=host).get_json()
    assert document["servers"] == [{"url": f"{SITE}/api/v1"}]
    page = client.get("/", headers=host).get_data(as_text=True)
    assert f'href="{SITE}/feeds/alles.atom"' in page


@pytest.mark.parametrize("host", ["evil.example", "learncom.example.nl.evil.example",
                                  "sub.learncom.example.nl", "127.0.0.2"])
def test_untrusted_hosts_answer_400_everywhere(client, host):
    for path in ("/", "/api/v1/tags", "/feeds/alles.atom", "/account/inloggen", "/nope"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, path
        assert host not in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["learncom.example.nl", "localhost:5000", "127.0.0.1:39123"])
def test_trusted_hosts_by_default(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_outside_a_request_urls_use_the_site_address(app):
    from flask import url_for

    assert url_for("posts.show", post_id=3) == f"{SITE}/posts/3"
    assert url_for("follow.settings", _external=True) == f"{SITE}/meldingen/instellingen"


def test_trusted_hosts_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNCOM_SECRET_KEY", "x")
    monkeypatch.setenv("LEARNCOM_SITE_URL", "https://wijk.example.nl:8443/leren")
    monkeypatch.delenv("LEARNCOM_TRUSTED_HOSTS", raising=False)
    config = load_config(tmp_path)
    assert config["TRUSTED_HOSTS"] == ["wijk.example.nl", "localhost", "127.0.0.1"]
    monkeypatch.setenv("LEARNCOM_TRUSTED_HOSTS", " a.example , .b.example,")
    assert load_config(tmp_path)["TRUSTED_HOSTS"] == ["a.example", ".b.example"]
    assert trusted_hosts("http://localhost:5000") == ["localhost", "127.0.0.1"]


def test_a_site_url_with_a_path(app, client, create_user, create_post):
    app.config["SITE_URL"] = "https://wijk.example.nl/leren/"
    post = create_post(create_user())
    api = client.get(f"/api/v1/posts/{post.id}").get_json()
    assert api["url"] == f"https://wijk.example.nl/leren/posts/{post.id}"
