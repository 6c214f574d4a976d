"""Alembic environment for learncom (run through Flask-Migrate: `flask db upgrade`, ...).

- The engine is the app's own (`db.engine`), so SQLite gets the same pragmas as at run time.
- SQLite cannot ALTER most things: migrations are written in batch mode (table rebuilds on
  SQLite, plain ALTERs on PostgreSQL), so one generated on either engine runs on both. While
  they run on SQLite, foreign keys are switched off (a table rebuild drops the old table, which
  with foreign keys on would fire ON DELETE CASCADE on its children) and checked afterwards.
- Column types are compared, so a changed type or length shows up in `flask db check`.
- Our own column types render as plain SQLAlchemy types, so migration files import nothing from
  the application and stay valid when the application's code moves on.
- The PostgreSQL search engine's tables (learncom/search/postgres/schema.py) are not models: they
  exist only on PostgreSQL and autogenerate leaves them alone.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from learncom.dbtypes import UTCDateTime
from learncom.search.postgres.schema import TABLES as SEARCH_ENGINE_TABLES

config = context.config

# Configure logging from alembic.ini only when nobody configured it before (a test run or an
# embedding application keeps its own handlers).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_metadata():
    return target_db.metadata


def include_name(name, type_, parent_names):
    """Leave out the tables only the PostgreSQL search engine has (and their indexes)."""
    if type_ == "table":
        return name not in SEARCH_ENGINE_TABLES
    if type_ == "index":
        return parent_names.get("table_name") not in SEARCH_ENGINE_TABLES
    return True


def render_item(type_, obj, autogen_context):
    """Render application-defined types as the SQLAlchemy types they are stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    """Emit SQL to stdout (`flask db upgrade --sql`) instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        literal_binds=True,
        compare_type=True,
        render_item=render_item,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def _set_sqlite_foreign_keys(connection, enabled: bool) -> None:
    # Must run outside a transaction (SQLite ignores the pragma inside one), so it goes to the
    # DBAPI connection directly instead of through SQLAlchemy's autobegin.
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    finally:
        cursor.close()


def run_migrations_online():
    # Do not write an empty revision when autogenerate finds no changes.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["compare_type"] = True
    conf_args["render_item"] = render_item
    conf_args["include_name"] = include_name
    # Batch operations on every engine: they are plain ALTERs on PostgreSQL and table rebuilds on
    # SQLite, so a migration generated against either runs on both.
    conf_args["render_as_batch"] = True

    engine = get_engine()
    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if is_sqlite:
            _set_sqlite_foreign_keys(connection, False)
        try:
            context.configure(
                connection=connection,
                target_metadata=get_metadata(),
                **conf_args,
            )
            with context.begin_transaction():
                context.run_migrations()
                if is_sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"foreign key violations after migration: {problems}")
        finally:
            if is_sqlite:
                connection.rollback()
                _set_sqlite_foreign_keys(connection, True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
