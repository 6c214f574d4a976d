"""Browser tests: the app served on a real port, driven by Debian's Chromium through Playwright.

- `live_server`: the test's own app (same settings and database as the rest of the run: the SQLite
  file or the PostgreSQL server) served by werkzeug in a background thread, with CSRF on as in
  production. Yields the base URL. Pages opened with the `page` fixture resolve relative URLs
  against it; `new_context()` opens another browser (a second member).
- Chromium is the system one (`apt-get install chromium`); Playwright's own browser downloads are
  never used. A missing Chromium is an error, not a skip.

The test's database session must not hold a transaction while the browser works (on SQLite a
write lock, on PostgreSQL row locks): factories commit; after reading the database, call
`end_transaction()`.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from learncom import ROOT
from learncom.extensions import db
from tests.conftest import make_config

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000
# Screenshots the journeys keep for people to look at (gitignored).
RESULTS_DIR = Path(os.environ.get("LEARNCOM_TEST_RESULTS") or ROOT / "test-results")


def pytest_configure(config):
    # pytest-playwright empties its --output folder (default: test-results/) at the start of every
    # session; keep its artefacts (failure screenshots, traces) in a subfolder so what the
    # journeys save in test-results/ stays until the next browser run.
    if config.getoption("--output", default=None) == "test-results":
        config.option.output = str(RESULTS_DIR / "playwright")


def chromium_path() -> str:
    given = os.environ.get("LEARNCOM_CHROMIUM")
    candidates = [given] if given else [*CHROMIUM_CANDIDATES, shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "Chromium not found (looked for "
        f"{', '.join(c for c in candidates if c) or 'LEARNCOM_CHROMIUM'}). Install it with "
        "`apt-get install -y chromium` or set LEARNCOM_CHROMIUM to its path. Browser tests are "
        "never skipped.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's own `base_url` fixture (a method on a plugin class, which
    pytest 9 deprecates: an error under filterwarnings=error). Contexts get the live server's
    URL instead (see `context`)."""
    return None


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, WTF_CSRF_ENABLED=True)


def end_transaction() -> None:
    """Release what the test's session holds, so the server's requests never wait on it."""
    db.session.commit()


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="learncom-live-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    end_transaction()
    server = LiveServer(app)
    # Links in mail and feeds point at the server the browser uses (random port on 127.0.0.1,
    # a trusted host by default).
    app.config["SITE_URL"] = server.url
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def context(new_context, live_server):
    context = new_context(base_url=live_server, locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def open_context(new_context, live_server):
    """Another browser context (another person), e.g. `open_context(java_script_enabled=False)`."""

    def factory(**kwargs):
        context = new_context(base_url=live_server, locale="nl-NL",
                              timezone_id="Europe/Amsterdam", **kwargs)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        return context

    return factory


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    return RESULTS_DIR
