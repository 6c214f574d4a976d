"""learncom on several machines, as docs/deploy.md describes it, tried on loopback: two
gunicorn servers (two "machines", each with an instance folder of its own) sharing nothing but
one PostgreSQL database (data and search) and one Redis (rate limits). Migrations and the demo
data run once, from one of them. PostgreSQL only (not collected on SQLite)."""

from __future__ import annotations

import itertools
import re
import subprocess

import pytest
import requests

from learncom import ROOT
from tests.postgres import drop_database, fresh_database_url
from tests.servers import BIN, app_environment, gunicorn, redis_server

# Seconds to wait for an answer: the rest of the suite runs beside these servers, and a new
# worker's first request loads the app.
WAIT = 60

DEMO_MEMBER = "ilse.vandam@demo.learncom.nl"
DEMO_PASSWORD = "learncom-demo"  # noqa: S105 - the demo data's documented password
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_counter = itertools.count()


@pytest.fixture
def shared_database(database_url):
    name = f"learncom_deploy_{next(_counter)}"
    url = fresh_database_url(database_url, name)
    yield url
    drop_database(database_url, name)


def flask(environment: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def csrf(session: requests.Session, url: str) -> str:
    return _CSRF.search(session.get(url, timeout=WAIT).text).group(1)


def test_two_machines_share_only_postgresql_and_redis(shared_database, tmp_path):
    with redis_server(tmp_path) as redis_url:
        machines = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            machines.append(app_environment(
                shared_database, folder, SEARCH_BACKEND="postgres",
                RATELIMIT_STORAGE_URI=redis_url, SECRET_KEY="one-key-for-every-machine"))
        first_env, second_env = machines
        # Once, from one machine: the schema, the demo data and the search documents.
        flask(first_env, "db", "upgrade")
        flask(first_env, "learncom", "load-demo")
        flask(first_env, "search", "rebuild")

        with gunicorn(first_env, tmp_path / "a.log", workers=2) as first, \
                gunicorn(second_env, tmp_path / "b.log", workers=2) as second:
            browser = requests.Session()
            browser.trust_env = False  # never through a proxy
            for server in (first, second):
                health = browser.get(f"{server}/healthz", timeout=WAIT)
                assert health.status_code == 200
                assert (health.json()["database"], health.json()["search"]) == (
                    "postgresql", "postgres")

            # Log in on the first machine; the session works on the second (the sessions are
            # rows in PostgreSQL, the cookie is signed with the shared key).
            answer = browser.post(f"{first}/account/inloggen", timeout=WAIT, data={
                "csrf_token": csrf(browser, f"{first}/account/inloggen"),
                "email": DEMO_MEMBER, "password": DEMO_PASSWORD})
            assert answer.status_code == 200 and "Uitloggen" in answer.text
            assert browser.get(f"{second}/account/profiel", timeout=WAIT).status_code == 200

            # A post written through the second machine is found at once through the first:
            # the search document was written in the same transaction as the post.
            created = browser.post(f"{second}/posts/nieuw/experiment", timeout=WAIT, data={
                "csrf_token": csrf(browser, f"{second}/posts/nieuw/experiment"),
                "title": "Spreekuur in de zwembadkantine", "body": "Een proef met koffie.",
                "tags": "ontmoeting", "visibility": "public", "status": "running",
                "evidence_level": "described", "action": "publish"}, allow_redirects=False)
            assert created.status_code == 302
            found = browser.get(f"{first}/api/v1/search", params={"q": "zwembadkantine"},
                                timeout=WAIT).json()
            assert [item["title"] for item in found["items"]] == [
                "Spreekuur in de zwembadkantine"]

            # Logging out on one machine ends the session on every machine.
            browser.post(f"{first}/account/uitloggen", timeout=WAIT,
                         data={"csrf_token": csrf(browser, f"{first}/account/profiel")})
            again = browser.get(f"{second}/account/profiel", timeout=WAIT, allow_redirects=False)
            assert again.status_code == 302 and "/account/inloggen" in again.headers["Location"]

        # `flask search check` exits 1 when anything is missing or stale (flask() asserts 0).
        assert flask(first_env, "search", "check").startswith("missing: 0, stale: 0")
