"""A newcomer on `make run` (gunicorn, no mail server): the confirmation mail is printed in the
server log, the link in it works, and gunicorn's access log never shows a link's token."""

from __future__ import annotations

import re
import runpy
import time

import requests

from learncom import ROOT
from learncom.accesslog import redact
from tests.servers import app_environment, free_port, gunicorn

PASSWORD = "een lange zin als wachtwoord"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def wait_for_log(log, pattern: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} in the server log:\n{log.read_text()}")


def test_register_and_confirm_from_the_server_log(app, database_url, tmp_path):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    environment = app_environment(database_url, tmp_path, SITE_URL=site)
    server_log, access_log = tmp_path / "server.log", tmp_path / "access.log"
    with gunicorn(environment, server_log, port=port, access_log=access_log):
        browser = requests.Session()
        browser.trust_env = False  # never through a proxy
        form = browser.get(f"{site}/account/registreren", timeout=10).text
        response = browser.post(f"{site}/account/registreren", timeout=30, data={
            "csrf_token": csrf_token(form), "name": "Nieuwkomer", "kind": "resident",
            "email": "nieuw@example.org", "password": PASSWORD, "password_again": PASSWORD})
        assert response.status_code == 200 and 'id="register-sent"' in response.text

        link = wait_for_log(server_log, re.escape(site) + r"/account/bevestigen/\S+")
        printed = server_log.read_text()
        assert "To: nieuw@example.org" in printed and "Bevestig je account" in printed
        token = link.rsplit("/", 1)[1]

        moved = browser.get(link, allow_redirects=False, timeout=10)
        assert moved.status_code == 303 and moved.headers["Location"] == "/account/bevestigen"
        page = browser.get(f"{site}/account/bevestigen", timeout=10).text
        assert 'id="confirm-form"' in page and token not in page
        done = browser.post(f"{site}/account/bevestigen", data={"csrf_token": csrf_token(page)},
                            allow_redirects=False, timeout=30)
        assert done.status_code == 302 and done.headers["Location"] == "/welkom?next=/"
        assert browser.get(f"{site}/account/profiel", timeout=10).status_code == 200

        browser.get(f"{site}/account/wachtwoord-herstellen/geheim-token-123", timeout=10)
        browser.post(f"{site}/account/bevestigen/{token}", timeout=10,
                     data={"csrf_token": csrf_token(page)})
    lines = access_log.read_text()
    assert "GET /account/bevestigen/[token]" in lines
    assert "POST /account/bevestigen/[token]" in lines
    assert "GET /account/wachtwoord-herstellen/[token]" in lines
    assert token not in lines and "geheim-token-123" not in lines
    assert "GET /account/profiel" in lines, "the rest of the log is as it was"


def test_redact_leaves_other_paths_alone():
    assert redact("GET /posts/12?q=bevestigen HTTP/1.1") == "GET /posts/12?q=bevestigen HTTP/1.1"
    assert redact("/account/bevestigen") == "/account/bevestigen"
    assert redact("https://x.nl/account/wachtwoord-herstellen/abc.def?x=1") == (
        "https://x.nl/account/wachtwoord-herstellen/[token]?x=1")


def test_each_worker_tunes_its_garbage_collector(app, database_url, tmp_path):
    """gunicorn.conf.py's `post_worker_init` runs in every worker: what the app left after
    loading is frozen and the young generation is collected less often (at Python's 700 a full
    collection of 120-150 ms came every few dozen pages)."""
    thresholds_set = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["GC_THRESHOLDS"]
    log = tmp_path / "server.log"
    with gunicorn(app_environment(database_url, tmp_path), log, workers=2) as site:
        assert requests.get(f"{site}/healthz", timeout=30).status_code == 200
        wait_for_log(log, r"(?s)garbage collector.*garbage collector")
    lines = [line for line in log.read_text().splitlines() if "garbage collector" in line]
    assert len(lines) == 2, lines
    for line in lines:
        frozen, thresholds = re.search(r"(\d+) objects frozen, thresholds (\(.*\))", line).groups()
        assert int(frozen) > 10_000  # the app, its blueprints and templates' loaders
        assert thresholds == str(thresholds_set)
