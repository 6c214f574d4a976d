"""Site-wide web behaviour: security headers, the request size limit, error pages, and that
imported posts are searchable when the import command returns."""

from __future__ import annotations

import json
import re

import pytest

from learncom.search import search


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def app_config(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 64 * 1024
    return app_config


def test_a_request_body_over_the_limit_is_refused_with_413(client, auth, create_user,
                                                           create_post):
    author = create_user("Anke")
    post = create_post(author)
    auth.login(author)
    response = client.post(f"/posts/{post.id}/reacties", data={"body": "x" * (65 * 1024)})
    assert response.status_code == 413
    assert 'lang="nl"' in response.get_data(as_text=True)  # our error page, in Dutch
    assert client.get(f"/posts/{post.id}").status_code == 200


def test_errors_under_api_are_json(client):
    response = client.get("/api/v1/search/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/bestaat-niet/echt-niet")
    assert response.status_code == 404
    assert "Fout 404" in response.get_data(as_text=True)


def test_imported_posts_are_searchable_when_the_command_returns(runner, tmp_path):
    lines = [
        {"type": "user", "email": "anke@example.org", "name": "Anke", "kind": "professional",
         "organisation": None, "function": None, "role": "member"},
        {"type": "post", "ref": "p1", "kind": "lesson", "title": "Vertrouwen via de buurtkamer",
         "body": "Schuldhulpverlening begint aan de koffietafel.", "tags": ["vertrouwen"],
         "neighbourhood": "Overvecht", "author": "anke@example.org",
         "created_at": "2026-01-10T10:00:00+01:00",
         "fields": {"statement": "Vertrouwen komt via de buurtkamer", "confidence": "measured"}},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["learncom", "import", str(path)])
    assert result.exit_code == 0, result.output
    hits = search("schuldhulp", None, 1, None).hits
    assert [hit.title for hit in hits] == ["Vertrouwen via de buurtkamer"]


def test_every_page_links_the_favicon_and_it_is_served(client):
    """Issue 13 item 14: no 404 for the icon, whether a browser asks /favicon.ico or reads the
    link in the page."""
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    for url in ("/favicon.ico", "/static/favicon.svg"):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.mimetype == "image/svg+xml"
            assert response.get_data(as_text=True).startswith("<svg")


def test_the_header_menu_folds_without_javascript(client):
    """Issue 13 item 14: the navigation sits in a <details> menu (a narrow screen folds it;
    no script needed) and the search box's placeholder is short enough to read."""
    html = client.get("/").get_data(as_text=True)
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    menu = header.split('<details class="site-menu" id="site-menu">')[1].split("</details>")[0]
    assert '<summary class="site-menu-toggle">Menu</summary>' in menu
    assert 'class="main-nav"' in menu and 'class="user-nav"' in menu
    placeholder = re.search(r'id="site-search-q" name="q" placeholder="([^"]+)"', header).group(1)
    assert placeholder == "Zoek op woord, tag of wijk" and len(placeholder) <= 28
