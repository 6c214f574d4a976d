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
import re
import shutil
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from learncom.extensions import db
from tests.conftest import DEFAULT_PASSWORD, RESULTS_DIR, make_config

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


def _closing(app):
    """The app with every response body read and closed before it is sent. Werkzeug's
    development server closes the body after discarding what is left of the request, and when
    the browser has already dropped the connection (a page it left while a style sheet was
    still loading) that read raises first: the static file stays open, and its
    ResourceWarning failed whichever test was running."""

    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
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
        # Journey.step reads it: axe cannot run in a page without JavaScript.
        context.learncom_javascript = kwargs.get("java_script_enabled", True)
        return context

    return factory


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    return RESULTS_DIR


def screenshots_wanted(config) -> bool:
    """Screenshots are for people to look at, and the pages are the same on both databases:
    `make test` saves them in its SQLite run, and its PostgreSQL run (which would overwrite them
    with the same pictures, ~10 % of a browser test's time) only checks the pages."""
    return not config.getoption("--postgres")


class Screenshots:
    """`screenshot(page, path)`: a full-page screenshot, unless this run keeps none."""

    def __init__(self, wanted: bool):
        self.wanted = wanted

    def __call__(self, page: Page, path: Path) -> None:
        if self.wanted:
            page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def screenshot(pytestconfig) -> Screenshots:
    return Screenshots(screenshots_wanted(pytestconfig))


# -- accessibility: axe-core on every page state the browser tests see ------------------------

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
        # A step may follow a click whose page is on screen before its style sheets have
        # loaded: unstyled links are small, and axe would judge them so (target-size).
        page.wait_for_load_state("load")
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


# -- what every journey does: log in, read a mail, know where it is ----------------------------

PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}


def log_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/account/inloggen")
    form = page.locator("#login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page.locator("#login-form")).to_have_count(0)
    expect(page.locator("form[action='/account/uitloggen']")).to_have_count(1)


def post_id_from(page: Page) -> int:
    match = re.fullmatch(r".*/posts/(\d+)(?:[?#].*)?", page.url)
    assert match, page.url
    return int(match.group(1))


def confirmation_link(email: str) -> str:
    """The activation link from the one mail the registration queued (the outbox table)."""
    from learncom.mail import OutboxMessage

    bodies = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
    ).all()
    end_transaction()
    assert len(bodies) == 1, bodies
    match = re.search(r"https?://\S+/account/bevestigen/\S+", bodies[0])
    assert match, bodies[0]
    return match.group(0)


def open_menu(page: Page) -> None:
    """On a narrow screen the header menu is folded behind "Menu": open it, as a person would."""
    toggle = page.locator("#site-menu > summary")
    if toggle.is_visible() and page.locator("#site-menu[open]").count() == 0:
        toggle.click()
    expect(page.locator(".main-nav")).to_be_visible()


# -- the keyboard: Tab, Shift+Tab, Enter, typing; never the mouse --------------------------------

_FOCUS_STATE = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body) return {matches: false, tag: 'body', marked: true, seen: true};
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    matches: el.matches(selector),
    tag: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' +
         (el.textContent || el.value || '').trim().slice(0, 40),
    marked: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== 'none',
    seen: box.width > 0 && box.height > 0,
  };
}"""


def tab_to(page: Page, selector: str, *, back: bool = False, limit: int = 80) -> int:
    """Press Tab (Shift+Tab with `back`) until the element matching `selector` has the focus,
    as a keyboard user walks through a page, and return how many presses it took. Every element
    passed on the way must show where the focus is (WCAG 2.4.7) and take up room on the page
    (no invisible tab stops)."""
    passed = []
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        state = page.evaluate(_FOCUS_STATE, selector)
        assert state["marked"] and state["seen"], (
            f"the focus is not visible on {state['tag']!r} (after {passed[-3:]})")
        if state["matches"]:
            return presses
        passed.append(state["tag"])
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab: "
                         f"{passed[:limit]}")


def type_into(page: Page, selector: str, text: str, *, back: bool = False) -> None:
    """Tab to a field and type into it (what is in it already stays, as for a person)."""
    tab_to(page, selector, back=back)
    page.keyboard.type(text)


def choose(page: Page, selector: str, label: str, *, back: bool = False) -> None:
    """Tab to a <select> and pick the option `label` with the arrow keys (a closed select
    changes with ArrowDown/ArrowUp, as on Windows and Linux)."""
    tab_to(page, selector, back=back)
    select_box = page.locator(selector)
    labels = select_box.locator("option").all_inner_texts()
    assert label in [text.strip() for text in labels], (label, labels)
    target = [text.strip() for text in labels].index(label)
    current = select_box.evaluate("el => el.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    expect(select_box.locator("option:checked")).to_have_text(label)


# -- journeys: each step is checked by axe-core and kept as a screenshot -------------------------

JOURNEYS_DIR = RESULTS_DIR / "journeys"
AXE_SUMMARY = RESULTS_DIR / "axe-journeys.txt"
_IMPACTS = ("critical", "serious", "moderate", "minor")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


def _page_kind(url: str) -> str:
    """A page as the summary counts it: the path with numbers as <id>, the query's names."""
    path = "/" + url.split("/", 3)[-1] if url.count("/") >= 3 else url
    path, _sep, query = path.split("#")[0].partition("?")
    path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    if query:
        path += "?" + "&".join(sorted({part.split("=")[0] for part in query.split("&")}))
    return path


class Journey:
    """One person's way through the site. `step(page, "what they see")` runs axe-core on the page
    as it is now (zero serious or critical violations) and saves a full-page screenshot as
    test-results/journeys/<name>/NN-<step>.png. A page without JavaScript cannot run axe (its
    timers never fire), so axe checks a copy of that page's HTML, at the same size, in a page
    that runs scripts, with the page's own scripts left out."""

    def __init__(self, name: str, check, open_context, screenshot: Screenshots):
        self.name = name
        self.folder = JOURNEYS_DIR / name
        self._screenshot = screenshot
        if screenshot.wanted:  # else the last run's pictures stay
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._check = check
        self._open_context = open_context
        self._mirror = None
        self._copy: tuple[str, str] = ("", "")
        self._served = False
        self.rows: list[tuple[str, str, str, str]] = []

    def step(self, page: Page, label: str) -> None:
        number = f"{len(self.rows) + 1:02d}"
        javascript = getattr(page.context, "learncom_javascript", True)
        violations = (self._check(page, f"{self.name}: {label}") if javascript
                      else self._check_copy(page, f"{self.name}: {label} (no JavaScript)"))
        counts = Counter(v["impact"] for v in violations)
        found = ", ".join(f"{counts[i]} {i}" for i in _IMPACTS if counts[i]) or "clean"
        self.rows.append((number, label, page.url, found))
        self._screenshot(page, self.folder / f"{number}-{_slug(label)}.png")

    def _check_copy(self, page: Page, label: str) -> list[dict]:
        if self._mirror is None:
            self._mirror = self._open_context().new_page()
            self._mirror.route("**/*", self._serve_copy)
        url = page.url.split("#")[0]
        self._copy = (url, page.content())
        self._served = False
        self._mirror.set_viewport_size(page.viewport_size)
        self._mirror.goto(url)
        assert self._served, f"axe did not get the copy of {url}"
        return self._check(self._mirror, label)

    def _serve_copy(self, route) -> None:
        request = route.request
        if request.resource_type == "document" and request.url == self._copy[0]:
            self._served = True
            route.fulfill(status=200, body=self._copy[1], content_type="text/html; charset=utf-8")
        elif request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    def finish(self) -> None:
        lines = [f"{number}\t{label}\t{_page_kind(url)}\t{found}"
                 for number, label, url, found in self.rows]
        stamp = datetime.now().isoformat(timespec="seconds")
        (self.folder / "axe.txt").write_text("\n".join([f"# {self.name} {stamp}", *lines]) + "\n",
                                             encoding="utf-8")
        write_axe_summary()


def write_axe_summary() -> None:
    """test-results/axe-journeys.txt from every journey's axe.txt (the journeys may run in
    several pytest-xdist workers; each rewrites the summary when it ends): the pages axe
    checked with how often and what it found, then every journey's steps."""
    per_page: dict[str, Counter] = {}
    journeys = []
    for path in sorted(JOURNEYS_DIR.glob("*/axe.txt")):
        text = path.read_text(encoding="utf-8").splitlines()
        journeys.append(text)
        for line in text[1:]:
            _number, _label, page_kind, found = line.split("\t")
            counter = per_page.setdefault(page_kind, Counter())
            counter["checks"] += 1
            for part in found.split(", "):
                if part != "clean":
                    amount, impact = part.split(" ")
                    counter[impact] += int(amount)
    total = sum(c["checks"] for c in per_page.values())
    blocking = sum(c["serious"] + c["critical"] for c in per_page.values())
    out = [f"axe-core on the user journeys (WCAG 2.0/2.1/2.2 A and AA): {total} page states on "
           f"{len(per_page)} pages, {blocking} serious or critical violations", "",
           f"{'page':<46} {'checks':>6}  findings (moderate/minor are allowed)"]
    for page_kind, counter in sorted(per_page.items()):
        found = ", ".join(f"{counter[i]} {i}" for i in _IMPACTS if counter[i]) or "clean"
        out.append(f"{page_kind:<46} {counter['checks']:>6}  {found}")
    for text in journeys:
        out += ["", text[0].lstrip("# ")] + [f"  {line}" for line in text[1:]]
    tmp = AXE_SUMMARY.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, AXE_SUMMARY)


@pytest.fixture
def journey(check_a11y, open_context, screenshot):
    """`journey("resident")`: a Journey whose steps are checked and saved (see Journey)."""
    started: list[Journey] = []

    def start(name: str) -> Journey:
        started.append(Journey(name, check_a11y, open_context, screenshot))
        return started[-1]

    yield start
    for item in started:
        item.finish()
