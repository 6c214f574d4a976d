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


# -- accessibility: axe-core on every page state the browser tests see ---------------------------

# axe-core (npm package, MPL-2.0), vendored: tests/browser/assets/axe-core/README.md says which
# version and how to update it. Never loaded from a CDN.
AXE_SCRIPT = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
BLOCKING = ("serious", "critical")


class AxeLog:
    """Every page state axe checked in this run, with its findings per impact; written to
    test-results/axe-pages.txt at the end (the list the issue's closing note asks for)."""

    def __init__(self) -> None:
        self.rows: list[str] = []

    def add(self, url: str, label: str, violations: list[dict]) -> None:
        url = "/" + url.split("/", 3)[-1] if url.count("/") >= 3 else url
        counts = {impact: sum(1 for v in violations if v["impact"] == impact)
                  for impact in ("critical", "serious", "moderate", "minor")}
        found = ", ".join(f"{n} {impact}" for impact, n in counts.items() if n) or "clean"
        self.rows.append(f"{label or '-'}\t{url}\t{found}")

    def write(self) -> None:
        if self.rows:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            with (RESULTS_DIR / "axe-pages.txt").open("w", encoding="utf-8") as out:
                out.write("\n".join(self.rows) + "\n")


@pytest.fixture(scope="session")
def axe_log():
    log = AxeLog()
    yield log
    log.write()


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])}×: {targets}]")
    return "\n".join(lines)


@pytest.fixture
def check_a11y(axe_log):
    """`check_a11y(page, label="…")`: run axe-core on the page as it is now and fail on any
    serious or critical violation of WCAG 2.0/2.1/2.2 A and AA. Evaluated through the DevTools
    protocol, so the page's Content-Security-Policy (script-src 'self') stays as it is."""
    source = AXE_SCRIPT.read_text(encoding="utf-8")

    def check(page, label: str = "") -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})", list(WCAG_TAGS))
        violations = result["violations"]
        axe_log.add(page.url, label, violations)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, (f"axe: {len(blocking)} serious or critical violations on "
                              f"{page.url} ({label}):\n{_describe(blocking)}")
        return violations

    return check
