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
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from learncom import ROOT, create_app
from learncom.extensions import db

DEFAULT_PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true",
                     help="run the suite against a PostgreSQL server the test run starts itself")


def pytest_generate_tests(metafunc):
    # Search tests run once per engine the database can run (tests/search_fixtures.py).
    from tests.search_fixtures import parametrize_engines

    parametrize_engines(metafunc)


def pytest_collection_modifyitems(config, items):
    # Tests of the PostgreSQL search engine's own machinery are not run on SQLite.
    from tests.search_fixtures import deselect_postgres_only

    deselect_postgres_only(config, items)


def pytest_configure(config):
    # Compile the message catalogs the app reads (they are not kept in git).
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile",
                    "-d", str(ROOT / "learncom" / "translations")], check=False,
                   capture_output=True)


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
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
        "PER_PAGE": 20,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Cheapest argon2 parameters: the suite logs in hundreds of times.
        "PASSWORD_HASH_PROFILE": "fast",
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
def app(_schema, app_config):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


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
                password: str = DEFAULT_PASSWORD) -> User:
        counter["n"] += 1
        name = name or f"Lid {counter['n']}"
        if password not in _HASH_CACHE:
            _HASH_CACHE[password] = hash_password(password)
        user = User(name=name, email=email or f"lid{counter['n']}@example.org", kind=kind,
                    role=role, organisation=organisation, function=function,
                    password_hash=_HASH_CACHE[password])
        user.teams = [get_or_create_team(team) for team in teams]
        db.session.add(user)
        db.session.commit()
        return user

    return factory


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
