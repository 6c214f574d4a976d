"""Flask extensions, created once and bound in create_app()."""

from __future__ import annotations

import logging
import sqlite3
import weakref

from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_CONFIGURED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _analyse(cursor) -> None:
    """Refresh SQLite's planner statistics (the first connection of each process does it).
    Without them SQLite takes every indexed equality for a rare value: an anonymous visitor's
    post page read all public posts through `ix_posts_visibility` to find the few promotions
    of one post (140-180 ms at 100,000 posts; 0.1 ms with statistics). `analysis_limit`
    samples each index, so this takes milliseconds on a database of gigabytes."""
    cursor.execute("PRAGMA busy_timeout=200")  # never hold up a first request for it
    try:
        cursor.execute("PRAGMA analysis_limit=400")
        cursor.execute("ANALYZE")
    except sqlite3.OperationalError as error:
        # Busy or read-only: the statistics the last process gathered are still there.
        logging.getLogger(__name__).info("SQLite statistics not refreshed: %s", error)
    finally:
        cursor.execute("PRAGMA busy_timeout=15000")


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, secure delete, and BEGIN IMMEDIATE for write
    transactions.

    `secure_delete` overwrites deleted content with zeros, so text removed from a row (an
    erased account, a redacted revision) does not linger in free space of the database file.

    A deferred BEGIN that reads and then writes fails with "database is locked" when another
    worker wrote in between; taking the write lock up front makes it wait instead. Read-only
    requests (GET/HEAD) keep a deferred BEGIN so readers never queue behind writers.

    Once per engine: one engine may serve several apps (the test suite shares them), and a
    second "begin" listener would issue a second BEGIN.
    """
    if engine in _CONFIGURED:
        return
    _CONFIGURED.add(engine)

    analysed: list[bool] = []

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        if not analysed:
            analysed.append(True)
            _analyse(cursor)  # after busy_timeout: it sets its own, then this one again
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Sessions on `engine.execution_options(learncom_read_only=True)` (the search index's
        # long reads) also keep a deferred BEGIN, so they never hold the write lock.
        read_only = bool(connection.get_execution_options().get("learncom_read_only")) or (
            has_request_context() and request.method in SAFE_METHODS)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
