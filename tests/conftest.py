"""Shared fixtures: app, client, runner, auth helper and factories.

Each test runs inside an app context (so tests can use `db.session` directly). The test client
runs every request in a fresh context, as a separate process would: its own database session,
its own `g` (Flask-Login's cached user). Before each request the test's own transaction is
committed, so the request never waits on a lock the test holds and the test re-reads fresh rows
afterwards.
"""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import settings
from jinja2 import BytecodeCache
from sqlalchemy import text

from learncom import ROOT, create_app
from learncom.extensions import db

DEFAULT_PASSWORD = "correct horse battery"
# What the browser tests keep for people to look at: screenshots, the axe lists (gitignored).
RESULTS_DIR = Path(os.environ.get("LEARNCOM_TEST_RESULTS") or ROOT / "test-results")


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true",
                     help="run the suite against a PostgreSQL server the test run starts itself")


# No per-example deadline: on a busy 2-core machine a deadline only measures the neighbours.
settings.register_profile("learncom", deadline=None)
settings.load_profile("learncom")

def _compile_each_url_builder_once() -> None:
    """The suite makes an app for every test (~3,900 in `make test`), and most of making one
    (36 of 47 ms) was werkzeug compiling two URL builders per rule with `ast`, the same rules
    every time. A builder is a function of the rule's text, parts and defaults alone (the rule
    is its first argument), so the test process compiles each one once. Tests only: a served
    app makes its rules once anyway."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder  # noqa: SLF001
    compiled: dict[tuple, object] = {}

    def compile_once(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), append_unknown,  # noqa: SLF001
               repr(sorted((self.defaults or {}).items())),
               tuple(sorted((name, type(converter).__qualname__) for name, converter
                            in self._converters.items())))  # noqa: SLF001
        builder = compiled.get(key)
        if builder is None:
            builder = compiled[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = compile_once  # noqa: SLF001


_compile_each_url_builder_once()


class _TemplateCode(BytecodeCache):
    """Each test's app has its own Jinja environment, which compiled every template it rendered
    anew: the first page of a test took ~90 ms, 80 of them compiling templates, the same ones
    every time. The compiled code of a template is the same for every app of the suite (same
    options, same extensions), so the test process keeps it here, by name and source checksum."""

    def __init__(self) -> None:
        self.code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        kept = self.code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_CODE = _TemplateCode()


def _one_engine_per_database() -> None:
    """Each test's app had an engine of its own, and with it an empty cache of compiled SQL
    and an empty pool: its first page compiled every statement again (~25 ms) and, on
    PostgreSQL, opened a new connection (~15 ms). The apps of one test process share one
    engine per database URL and options instead: statements compile once, connections stay
    in its pool between tests (each test still ends with every table empty)."""
    from flask_sqlalchemy import SQLAlchemy

    make_engine = SQLAlchemy._make_engine  # noqa: SLF001
    engines: dict[tuple, object] = {}

    def make_once(self, bind_key, options, app):
        key = (bind_key, repr(sorted(options.items(), key=lambda item: item[0])))
        engine = engines.get(key)
        if engine is None:
            engine = engines[key] = make_engine(self, bind_key, options, app)
        return engine

    SQLAlchemy._make_engine = make_once  # noqa: SLF001


_one_engine_per_database()

# Fixtures that mean a test reads the search index: such tests are marked `search`.
SEARCH_FIXTURES = frozenset({"search_app", "index", "post_factory"})


def pytest_generate_tests(metafunc):
    # Search tests run once per engine the database can run (tests/search_fixtures.py).
    from tests.search_fixtures import parametrize_engines

    parametrize_engines(metafunc)


def pytest_configure(config):
    # pytest-playwright empties its --output folder (default: test-results/) at the start of every
    # session, even one without a browser test; keep its artefacts (failure screenshots, traces)
    # in a subfolder, so what the browser tests save in test-results/ stays until they run again.
    if config.getoption("--output", default=None) == "test-results":
        config.option.output = str(RESULTS_DIR / "playwright")
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller compiled the catalogs before starting it
    # Compile the message catalogs the app reads (they are not kept in git).
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile",
                    "-d", str(ROOT / "learncom" / "translations")], check=False,
                   capture_output=True)


def pytest_ignore_collect(collection_path, config):
    # Modules that only mean something on PostgreSQL are not collected on SQLite.
    from tests.search_fixtures import ignore_postgres_only

    return True if ignore_postgres_only(collection_path, config) else None


def pytest_collection_modifyitems(config, items):
    """The search tests (`tests/test_search_*.py`, or tests using the search fixtures) are
    marked `search`: only they keep the index up to date after every commit. (A PostgreSQL-only
    module named on the command line of a SQLite run is collected anyway: drop its tests.)"""
    from tests.search_fixtures import ignore_postgres_only

    items[:] = [item for item in items if not ignore_postgres_only(item.path, config)]
    for item in items:
        if (item.path.name.startswith("test_search_")
                or SEARCH_FIXTURES & set(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.search)


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        if not has_app_context():
            # Following a redirect: already inside the request's own, empty context.
            return super().open(*args, **kwargs)
        if db.session.is_active:
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if request.config.getoption("--postgres") or os.environ.get("LEARNCOM_TEST_POSTGRES"):
        from tests.postgres import start_postgres

        server = start_postgres(tmp_path_factory.mktemp("pg"))
        request.addfinalizer(server.stop)
        return server.url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url: str, tmp_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_ENABLED": False,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "SERVER_NAME": None,
        # The test client's host, so absolute URLs read "http://localhost/...".
        "SITE_URL": "http://localhost",
        "PER_PAGE": 20,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Cheapest argon2 parameters: the suite logs in hundreds of times.
        "PASSWORD_HASH_PROFILE": "fast",
        # Rate limits (and the per-account log-in throttle) stay out of the other tests' way;
        # tests/test_ratelimit.py turns them on.
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return True


def _empty_all_tables() -> None:
    # DELETE, children first: on the few rows a test leaves, PostgreSQL deletes in ~40 ms what
    # TRUNCATE (new files per table) takes ~200 ms for. Ids restart at 1 on both engines.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))
    db.session.commit()


@pytest.fixture
def app_config(database_url, tmp_path):
    """Override in a test module to change settings (e.g. enable CSRF)."""
    return make_config(database_url, tmp_path)


@pytest.fixture
def app(request, _schema, app_config):
    # The index is drained after each commit only for tests marked `search` (the others never
    # read it, and a drain per commit was a third of the suite's time); merging small
    # segments only where a test turns it on.
    config = {"SEARCH_DRAIN_AFTER_COMMIT": request.node.get_closest_marker("search") is not None,
              "SEARCH_SYNC_TIDY": False, **app_config}
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()  # its connection goes back to the shared engine's pool


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = DEFAULT_PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/account/inloggen",
                                 data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/account/uitloggen")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# -- factories -------------------------------------------------------------------------------

_HASH_CACHE: dict[str, str] = {}


@pytest.fixture
def create_user(app):
    from learncom.accounts.models import User
    from learncom.accounts.services import get_or_create_team, hash_password

    counter = {"n": 0}

    def factory(name: str | None = None, *, kind: str = "professional", role: str = "member",
                email: str | None = None, teams: tuple[str, ...] | list[str] = (),
                organisation: str | None = None, function: str | None = None,
                password: str = DEFAULT_PASSWORD, welcomed: bool = True) -> User:
        """`welcomed=False`: a member who has not logged in yet, so the first login shows the
        welcome page (by default members have seen it, and log in straight to `next`)."""
        counter["n"] += 1
        name = name or f"Lid {counter['n']}"
        if password not in _HASH_CACHE:
            _HASH_CACHE[password] = hash_password(password)
        user = User(name=name, email=email or f"lid{counter['n']}@example.org", kind=kind,
                    role=role, organisation=organisation, function=function,
                    password_hash=_HASH_CACHE[password],
                    welcomed_at=datetime.now(UTC) if welcomed else None)
        user.teams = [get_or_create_team(team) for team in teams]
        db.session.add(user)
        db.session.commit()
        return user

    return factory


# The people most tests need, by role in the story: created on first use (a test that only needs
# a member creates one member), the same names and teams in every module.
CAST = {
    "member": ("Mira Lid", {"kind": "resident"}),
    "author": ("Aad Auteur", {"kind": "professional", "teams": ["Team Noord"]}),
    "teammate": ("Tom Teamlid", {"kind": "professional", "teams": ["Team Noord"]}),
    "outsider": ("Otto Buiten", {"kind": "volunteer", "teams": ["Team Zuid"]}),
    "commenter": ("Bea Bewoner", {"kind": "resident"}),
    "coordinator": ("Cor Coördinator", {"kind": "civil_servant", "role": "coordinator"}),
    "admin": ("Ada Beheer", {"role": "admin"}),
}


class People(dict):
    def __init__(self, create_user):
        super().__init__()
        self._create_user = create_user

    def __missing__(self, who: str):
        name, options = CAST[who]
        user = self[who] = self._create_user(name, **options)
        return user


@pytest.fixture
def people(create_user) -> People:
    """`people["coordinator"]`: the cast's member with that role, created on first use."""
    return People(create_user)


@pytest.fixture
def login_as(auth, people):
    """`login_as("coordinator")` logs the cast's coordinator in; "anonymous" does nothing."""

    def login(who: str) -> None:
        if who != "anonymous":
            auth.login(people[who])

    return login


@pytest.fixture
def create_post(app):
    from learncom.posts import services

    def factory(author, *, kind: str = "experiment", title: str = "Buurtkamer als vindplaats",
                body: str = "Een **experiment** in de wijk.", tags=("eenzaamheid",),
                visibility: str = "public", team=None, neighbourhood: str | None = None,
                created_at=None, **fields):
        team_id = None
        if team is not None:
            from learncom.accounts.services import get_or_create_team

            team_id = (team if not isinstance(team, str) else get_or_create_team(team)).id
        hood_id = services.get_or_create_neighbourhood(neighbourhood).id if neighbourhood else None
        post = services.create_post(author, services.PostInput(
            kind=kind, title=title, body=body, tags=list(tags), visibility=visibility,
            team_id=team_id, neighbourhood_id=hood_id, fields=fields), created_at=created_at)
        db.session.commit()
        return post

    return factory


@pytest.fixture
def create_comment(app):
    from learncom.discussion import services

    def factory(post, author, body: str = "Herkenbaar, bij ons ook.", parent=None):
        comment = services.add_comment(post, author, body, parent)
        db.session.commit()
        return comment

    return factory


@pytest.fixture
def member_world(app, create_user):
    """A member who posted, edited, logged, commented, was replied to and mentioned, reacted,
    followed, applied a lesson, flagged, got mail and joined a team (tests/privacy_world.py)."""
    from tests.privacy_world import build_member_world

    return build_member_world(create_user, DEFAULT_PASSWORD)


@pytest.fixture
def rich_instance(create_user, create_post, create_comment):
    """All three kinds with every field, team and members posts, an author who left the team,
    an anonymised author, a log, threaded comments with a deleted one, and every relation
    (for the export round trip and backup/restore)."""
    from learncom.discussion.services import delete_comment
    from learncom.posts.services import add_link, add_log_entry

    anke = create_user("Anke Siegers", kind="professional", role="coordinator",
                       email="anke@example.org", teams=["Buurtteam Overvecht", "Wijkteam Zuilen"],
                       organisation="Bureau X", function="adviseur")
    ria = create_user("Buurvrouw Ria", kind="resident", email="ria@example.org")
    kees = create_user("Kees", kind="expert_by_experience", email="kees@example.org",
                       teams=["Buurtteam Overvecht"])
    create_user("Sanne", kind="civil_servant", role="admin", email="sanne@example.org")
    create_user("Wim zonder posts", kind="volunteer", email="wim@example.org")

    experiment = create_post(
        kees, kind="experiment", title="Buurtkamer als vindplaats voor eenzame ouderen",
        body="## Aanpak\n\nKoffie, *elke* dinsdag.", tags=["eenzaamheid", "ouderen", "buurtkamer"],
        visibility="team", team="Buurtteam Overvecht", neighbourhood="Overvecht",
        created_at=datetime(2024, 2, 1, 9, 15, 30, 123000, tzinfo=UTC),
        hypothesis="Ouderen komen eerder binnen.", approach="Inloop met koffie.",
        target_group="Alleenwonende 75-plussers", outcome_measures="Aantal nieuwe bezoekers.",
        start_date="2024-02-05", end_date="2024-06-30", status="concluded",
        result="Twaalf nieuwe bezoekers.", evidence_level="first_indications")
    add_log_entry(experiment, kees, "Week 1: drie bezoekers.", date(2024, 2, 12))
    add_log_entry(experiment, anke, "Week 2: **zeven**.", date(2024, 2, 19))
    hood = experiment.neighbourhood
    hood.city = "Utrecht"
    # Kees has left the team since: the post and its author must still round-trip.
    kees.teams = []

    friction = create_post(
        ria, kind="friction", title="Voor elke kleine hulpvraag een nieuwe indicatie",
        tags=["indicatie", "regelreflex"], visibility="members", neighbourhood="Zuilen",
        created_at=datetime(2024, 1, 10, 12, tzinfo=UTC), obstacle_type="procedure",
        affected="Bewoners met een kleine hulpvraag", change_status="being_addressed",
        resolution_note="Pilot met een lichte toegang.")
    friction.owner = anke
    lesson = create_post(
        anke, kind="lesson", title="Vraag het de bewoner", tags=["bewonersparticipatie"],
        created_at=datetime(2024, 7, 1, 8, tzinfo=UTC), statement="Meet wat bewoners belangrijk "
        "vinden.", context="Wijkteams in Utrecht.", confidence="several_teams", curated=True)
    replica = create_post(
        anke, kind="experiment", title="Buurtkamer ook in Zuilen", tags=["buurtkamer"],
        visibility="team", team="Wijkteam Zuilen", status="idea")
    orphan = create_post(ria, kind="friction", title="Wie betaalt de koffie?", tags=["geld"],
                         obstacle_type="funding")
    orphan.author = None  # an anonymised former member

    first = create_comment(friction, anke, "Herkenbaar in **Zuilen**.")
    reply = create_comment(friction, ria, "Hoe lang duurde het?", parent=first)
    create_comment(friction, kees, "Bij ons zes weken.", parent=reply)
    removed = create_comment(friction, kees, "Iets dat weg moest.")
    create_comment(friction, ria, "Antwoord op een verwijderd bericht.", parent=removed)
    delete_comment(removed)
    create_comment(experiment, anke, "Mooi!")
    create_comment(orphan, None, "Reactie van een voormalig lid.")

    add_link(experiment, friction, "addresses", anke)
    add_link(replica, experiment, "replicates", anke)
    add_link(lesson, experiment, "learned_from", anke)
    add_link(lesson, friction, "related", anke)
    db.session.commit()
