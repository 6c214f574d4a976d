"""Backup and restore of a whole instance: the database, the secret key and a manifest.

A backup is a directory:

    manifest.json    format, learncom version, schema revision, time, database kind, the rows
                     per table and a SHA-256 checksum per file
    learncom.db      SQLite: a consistent copy made with SQLite's online backup API, while the
                     site keeps running
    learncom.pgdump  PostgreSQL: `pg_dump --format=custom`, taken in the same snapshot the row
                     counts are read in
    secret_key       the key that signs sessions and links (mode 0600)

Restore checks the checksums, refuses a database that holds data unless forced, puts the
database back, checks the row counts against the manifest, upgrades the schema when the backup
is older than the code, installs the secret key where the instance keeps it, and rebuilds the
search index (which is not in the backup: it is derived from the database).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL

from learncom.extensions import db
from learncom.search import services as search_services

FORMAT = 1
MANIFEST = "manifest.json"
KEY_FILE = "secret_key"
SQLITE_FILE = "learncom.db"
PG_FILE = "learncom.pgdump"


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why."""


# -- backup --------------------------------------------------------------------------------------

def backup(directory: Path) -> dict:
    """Write a backup of this instance into `directory` (new or empty); returns the manifest."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} exists and is not an empty directory.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        counts = _sqlite_backup(_sqlite_path(), directory / SQLITE_FILE)
        files = [SQLITE_FILE]
    elif dialect == "postgresql":
        counts = _pg_dump(db.engine.url, directory / PG_FILE)
        files = [PG_FILE]
    else:
        raise BackupError(f"Backups of a {dialect} database are not supported.")
    key_file = directory / KEY_FILE
    key_file.write_text(current_app.config["SECRET_KEY"])
    key_file.chmod(0o600)
    manifest = {
        "format": FORMAT,
        "learncom_version": _version(),
        "schema_revision": counts.pop("alembic_version", None),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": dialect,
        "counts": counts,
        "files": {name: _file_facts(directory / name) for name in [*files, KEY_FILE]},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> dict:
    """Copy page by page with SQLite's online backup API (writers may go on meanwhile), then
    count the rows in the copy, so the manifest describes exactly what was saved."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    with closing(sqlite3.connect(target)) as copy:
        return _counts(copy.execute, "sqlite")


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def _counts(execute: Callable, dialect: str) -> dict:
    """Rows per table of the models (plus the schema revision under "alembic_version")."""
    def scalar(sql: str):
        return execute(sql).fetchone()[0]

    present = {row[0] for row in execute(_TABLES[dialect]).fetchall()}
    counts = {name: scalar(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - our table names
              for name in sorted(db.metadata.tables) if name in present}
    if "alembic_version" in present:
        counts["alembic_version"] = scalar("SELECT max(version_num) FROM alembic_version")
    return counts


def _pg_dump(url: URL, target: Path) -> dict:
    """pg_dump in the snapshot of a transaction that also counts the rows."""
    engine = db.engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _counts(connection.exec_driver_sql, "postgresql")
        _run_pg_tool("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges",
                     f"--snapshot={snapshot}", f"--file={target}")
        connection.rollback()
    return counts


# -- restore -------------------------------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    """The manifest, after checking that every file it names is there and unchanged."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: not a learncom backup.") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{MANIFEST} cannot be read: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    for name, facts in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if _file_facts(path) != facts:
            raise BackupError(f"{name} does not match its checksum in {MANIFEST}: "
                              "the backup is damaged or was changed.")
    return manifest


def database_has_data() -> bool:
    """Any row in any of our tables (a migrated but empty database holds none)."""
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return any(connection.scalar(select(func.count()).select_from(
            select(table).limit(1).subquery()))
            for table in db.metadata.sorted_tables if table.name in present)


def restore(directory: Path, *, force: bool = False,
            progress: Callable[[str], None] = lambda _message: None) -> dict:
    """Put the backup in `directory` into this instance's database; returns the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    dialect = db.engine.dialect.name
    if manifest.get("database") != dialect:
        raise BackupError(f"This is a {manifest.get('database')} backup and this instance uses "
                          f"{dialect}: move data between them with export and import.")
    revision = manifest.get("schema_revision")
    if revision is not None and revision not in _known_revisions():
        raise BackupError(f"The backup's schema ({revision}) is newer than this learncom: "
                          "update learncom first.")
    if not force and database_has_data():
        raise BackupError("The database is not empty. Restoring replaces everything in it: "
                          "add --force if that is what you want.")
    db.session.remove()
    db.engine.dispose()  # no open connection may hold a lock on what is replaced
    progress("Restoring the database…")
    if dialect == "sqlite":
        with closing(sqlite3.connect(directory / SQLITE_FILE)) as src, \
                closing(sqlite3.connect(_sqlite_path())) as dst:
            src.backup(dst)
    else:
        _run_pg_tool("pg_restore", db.engine.url, "--clean", "--if-exists", "--no-owner",
                     "--no-privileges", "--single-transaction", "--exit-on-error",
                     str(directory / PG_FILE))
    db.engine.dispose()
    _check_counts(manifest)
    if revision is not None and revision != _head_revision():
        progress(f"Upgrading the schema from {revision}…")
        from flask_migrate import upgrade

        upgrade()
    return manifest


def _check_counts(manifest: dict) -> None:
    with db.engine.connect() as connection:
        counts = _counts(connection.exec_driver_sql, db.engine.dialect.name)
    counts.pop("alembic_version", None)
    if counts != manifest.get("counts"):
        differ = sorted(name for name in set(counts) | set(manifest.get("counts", {}))
                        if counts.get(name) != manifest["counts"].get(name))
        raise BackupError(f"After restoring, the row counts differ from the manifest in: "
                          f"{', '.join(differ)}.")


def install_secret_key(directory: Path) -> str:
    """Make the backup's secret key this instance's, where it keeps it; returns what was done.

    Sessions and signed links made before the backup stay valid only with the same key."""
    key = (Path(directory) / KEY_FILE).read_text().strip()
    if key == current_app.config.get("SECRET_KEY"):
        return "The secret key is the backup's already."
    if os.environ.get("LEARNCOM_SECRET_KEY"):
        return (f"This instance takes its key from LEARNCOM_SECRET_KEY: set it to the contents "
                f"of {Path(directory) / KEY_FILE} and restart.")
    key_file = Path(current_app.instance_path) / KEY_FILE
    if not key_file.is_file() or key_file.read_text().strip() != current_app.config.get(
            "SECRET_KEY"):
        return (f"This instance's key does not come from {key_file}: install the key from "
                f"{Path(directory) / KEY_FILE} where it is configured.")
    key_file.write_text(key)
    key_file.chmod(0o600)
    return f"The backup's secret key is in {key_file}: restart the server to use it."


def rebuild_search_index() -> int:
    return search_services.rebuild()


# -- helpers -------------------------------------------------------------------------------------

def _file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _version() -> str:
    try:
        return metadata.version("learncom")
    except metadata.PackageNotFoundError:
        return "unknown"


def _script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _known_revisions() -> set[str]:
    return {script.revision for script in _script_directory().walk_revisions()}


def _head_revision() -> str | None:
    return _script_directory().get_current_head()


def pg_tool(name: str) -> Path:
    """pg_dump or pg_restore: from $LEARNCOM_PG_BINDIR, else the newest Debian PostgreSQL
    (a dump needs a pg_dump at least as new as the server), else PATH."""
    given = os.environ.get("LEARNCOM_PG_BINDIR")
    candidates = [Path(given)] if given else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / name).is_file():
            return bindir / name
    raise BackupError(f"{name} not found: install the PostgreSQL client "
                      "(apt-get install postgresql-client) or set LEARNCOM_PG_BINDIR.")


def _run_pg_tool(name: str, url: URL, *args: str) -> None:
    """Run a PostgreSQL client tool against `url`; the password goes by environment, never on
    the command line (where `ps` shows it)."""
    conninfo = {"host": url.query.get("host") or url.host, "port": url.port,
                "user": url.username, "dbname": url.database}
    dsn = " ".join(f"{key}={value}" for key, value in conninfo.items() if value)
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else None
    result = subprocess.run([str(pg_tool(name)), f"--dbname={dsn}", *args],  # noqa: S603
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BackupError(f"{name} failed: {result.stderr.strip() or result.stdout.strip()}")
