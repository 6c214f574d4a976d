"""CSRF on every POST: each route of the app that accepts POST (found in the URL map, so a new
route is covered the day it is added) refuses a request without a token with 400."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from learncom import create_app
from tests.conftest import DEFAULT_PASSWORD, make_config


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def post_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()):
            continue
        values = {}
        for name, converter in rule._converters.items():  # noqa: SLF001 - werkzeug has no API
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "x"
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


def test_the_route_list_is_complete(tmp_path, database_url):
    urls = post_urls(create_app(make_config(database_url, tmp_path)))
    for expected in ("/account/inloggen", "/account/uitloggen", "/account/overal-uitloggen",
                     "/account/bevestigen", "/account/bevestiging-opnieuw",
                     "/account/wachtwoord-herstellen", "/posts/1/reacties"):
        assert expected in urls
    assert len(urls) > 40


def test_every_post_without_a_token_is_refused(app, client, create_user):
    admin = create_user("Beheerder", role="admin")
    login_page = client.get("/account/inloggen").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/account/inloggen", data={
        "email": admin.email, "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "logged in with the page's token"
    refused = {url: client.post(url, data={"x": "y"}).status_code for url in post_urls(app)}
    assert {url: status for url, status in refused.items() if status != 400} == {}
    assert client.get("/account/profiel").status_code == 200, "still logged in: nothing ran"
