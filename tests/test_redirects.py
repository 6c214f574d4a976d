"""`next=` only ever leads to a path on this site: after logging in and after switching
language. Each bad value must end up as a plain same-site path in the Location header."""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.conftest import DEFAULT_PASSWORD

BAD_NEXT = [
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "http://evil.example/experimenten",
    "HTTPS://EVIL.EXAMPLE",
    "ftp://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,x",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "/%0d%0aLocation:%20http://evil.example",
    "/\r\nLocation: http://evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "evil.example",
    "evil.example/experimenten",
    "//evil.example/%2e%2e",
    "/.//evil.example",
    "/./\\evil.example",
    "/..//evil.example",
    "//evil.example@learncom.example",
    "https://learncom.example@evil.example",
    "\u3000//evil.example",
    "/\x7f/evil.example",
    "x" * 3000,
    "",
]

# The same attacks written straight into the query string, so the server decodes them.
BAD_RAW_QUERIES = [
    "next=//evil.example",
    "next=%2F%2Fevil.example",
    "next=%2f%2F%65vil.example",
    "next=/%5Cevil.example",
    "next=%5C%5Cevil.example",
    "next=/%09/evil.example",
    "next=/%0d%0aLocation:%20http://evil.example",
    "next=%00//evil.example",
    "next=/%00/evil.example",
    "next=%20//evil.example",
    "next=https:%2F%2Fevil.example",
    "next=javascript%3Aalert(1)",
    "next=/.//evil.example",
    "next=/%2e//evil.example",
    "next=//evil.example&next=/experimenten",
]

GOOD_NEXT = [
    "/experimenten?tag=x",
    "/posts/1#reactie-2",
    "/leden/3",
    "/tags/schuldhulp?page=2&kind=friction",
    "/",
]

SITE = "http://learncom.test"


def assert_same_site(location: str) -> None:
    assert "\r" not in location and "\n" not in location and "\x00" not in location
    parts = urlsplit(location)
    assert parts.scheme == "", location
    assert parts.netloc == "", location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location, location
    # How a browser resolves it: still this site, and the path does not begin with "//".
    resolved = urlsplit(urljoin(SITE + "/page", location))
    assert (resolved.scheme, resolved.netloc) == ("http", "learncom.test"), location
    assert not resolved.path.startswith("//"), location
    assert not unquote(resolved.path).startswith("//"), location


@pytest.fixture
def member(create_user):
    return create_user("Anke")


def login_with_next(client, member, **request_args):
    return client.post("/account/inloggen", data={"email": member.email,
                                                  "password": DEFAULT_PASSWORD},
                       **request_args)


# -- login ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", BAD_NEXT)
def test_login_never_redirects_off_site(client, member, target):
    response = login_with_next(client, member, query_string={"next": target})
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("query", BAD_RAW_QUERIES)
def test_login_never_redirects_off_site_raw_query(client, member, query):
    response = login_with_next(client, member, query_string=query)
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_login_keeps_a_same_site_next(client, member, target):
    response = login_with_next(client, member, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_login_next_with_non_ascii_path_is_kept_and_encoded(client, member):
    response = login_with_next(client, member, query_string={"next": "/tags/één"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert_same_site(location)
    assert unquote(location) == "/tags/één"


@pytest.mark.parametrize("target", BAD_NEXT[:6] + GOOD_NEXT[:2])
def test_logged_in_visit_to_login_redirects_safely(client, auth, member, target):
    auth.login(member)
    response = client.get("/account/inloggen", query_string={"next": target})
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    if target in GOOD_NEXT:
        assert response.headers["Location"] == target


# -- language switch -------------------------------------------------------------------------

@pytest.mark.parametrize("target", BAD_NEXT)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/taal", data={"locale": "en", "next": target})
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_language_switch_keeps_a_same_site_next(client, target):
    response = client.post("/taal", data={"locale": "nl", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_language_switch_with_unknown_locale_still_redirects_safely(client):
    response = client.post("/taal", data={"locale": "xx", "next": "//evil.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
