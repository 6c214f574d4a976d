"""Fixtures for the search tests: the app with search wired in, once per engine.

`search_app` runs a test against every engine this database can run: Whoosh always, and the
PostgreSQL engine too when the suite runs on PostgreSQL (`--postgres`). On SQLite the postgres
parameter is simply not generated (`conftest.pytest_generate_tests` calls
`parametrize_engines`), so nothing is skipped. A module about one engine's own machinery (the
Whoosh queue, bulk writer, segments, evaluator) says so with `SEARCH_ENGINES = ("whoosh",)`, a
single test with `@pytest.mark.search_engines("whoosh")`.
"""

from __future__ import annotations

import os

import pytest

import learncom.search.models  # noqa: F401  (index_queue on the metadata before create_all)
from learncom.extensions import db
from learncom.search.backend import ENGINES


def on_postgres(config) -> bool:
    """The same switch as conftest's `database_url`."""
    return bool(config.getoption("--postgres") or os.environ.get("LEARNCOM_TEST_POSTGRES"))


# Modules that only mean something on PostgreSQL: the PostgreSQL search engine's own machinery,
# and learncom deployed on several machines sharing one PostgreSQL.
POSTGRES_ONLY = ("test_search_postgres.py", "test_deploy.py", "test_privacy_postgres.py")


def ignore_postgres_only(path, config) -> bool:
    """On SQLite such a module is not collected at all (not skipped, not deselected: there is
    nothing to run there, and the PostgreSQL run runs it)."""
    return path.name in POSTGRES_ONLY and not on_postgres(config)


def engines(config) -> list[str]:
    return ["whoosh", "postgres"] if on_postgres(config) else ["whoosh"]


def parametrize_engines(metafunc) -> None:
    if "search_engine" in metafunc.fixturenames:
        wanted = getattr(metafunc.module, "SEARCH_ENGINES", ENGINES)
        marker = metafunc.definition.get_closest_marker("search_engines")
        if marker is not None:  # @pytest.mark.search_engines("whoosh"): one test, one engine
            wanted = marker.args
        metafunc.parametrize("search_engine",
                             [name for name in engines(metafunc.config) if name in wanted])


def _wire(app, engine: str):
    from learncom.search import init_app
    from learncom.search.models import IndexQueue

    init_app(app)
    app.config["SEARCH_BACKEND"] = engine
    app.extensions.pop("learncom_search_backend", None)  # chosen again on first use
    # The session-wide create_all already made the table when this module was imported before
    # it ran; checkfirst keeps this a no-op then.
    IndexQueue.__table__.create(db.engine, checkfirst=True)
    if engine == "postgres":
        from learncom.search.postgres import schema

        schema.install(db.engine)
    return app


def _unwire(app, engine: str) -> None:
    db.session.rollback()
    if engine == "postgres":
        from learncom.search.postgres import schema

        schema.empty(db.session)
        db.session.commit()
    else:
        from learncom.search.whoosh.backend import POOL

        POOL.close(app.config["SEARCH_INDEX_DIR"])


@pytest.fixture
def search_app(app, search_engine):
    """The app with search on, for each engine (see the module docstring)."""
    yield _wire(app, search_engine)
    _unwire(app, search_engine)


@pytest.fixture
def index(search_app):
    """index(post, ...) asks for the posts to be re-indexed and commits (the listener already
    re-indexes what services change; this is for attributes a test sets by hand, which the
    listener sees too, and for deletions by id)."""
    from learncom.search import reindex

    def do(*posts):
        reindex([post.id if hasattr(post, "id") else post for post in posts])
        db.session.commit()

    return do


@pytest.fixture
def post_factory(search_app, create_post):
    """create_post in a search test: searchable once it returns (its commit indexes it)."""
    return create_post
