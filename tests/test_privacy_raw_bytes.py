"""After an account is deleted, its name, e-mail address (and, when removed, the words only its
content held) are in no raw bytes of the instance directory: the SQLite database with its
-wal and -shm files, and the search index. On PostgreSQL: in no file of the database's tables,
TOAST tables and indexes in the server's data directory (after a CHECKPOINT; the write-ahead
log in pg_wal is not checked, see docs/privacy.md), in no text column (SELECT), and in no file
of the search index.

Each test has an instance directory and a database of its own; the data is checked before the
deletion too, so a scan that cannot see it fails.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, cast, event, func, select, text

from learncom import create_app
from learncom.extensions import db
from learncom.privacy.erasure import erase_member
from learncom.search.whoosh import queue
from tests.conftest import DEFAULT_PASSWORD, make_config
from tests.postgres import drop_database, fresh_database_url

pytestmark = pytest.mark.search

_counter = itertools.count()


@pytest.fixture
def instance(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def app_config(database_url, instance, search_engine):
    """learncom as `make run` lays it out: the database and the index under instance/ (on
    PostgreSQL also with the PostgreSQL search engine: its tables are in the database)."""
    postgres = not database_url.startswith("sqlite")
    name = f"learncom_raw_{next(_counter)}"
    url = (fresh_database_url(database_url, name) if postgres
           else f"sqlite:///{instance / 'learncom.db'}")
    config = make_config(url, instance, SEARCH_INDEX_DIR=str(instance / "search-index"),
                         SEARCH_BACKEND=search_engine)
    schema = create_app(config)
    with schema.app_context():
        db.create_all()
        if search_engine == "postgres":
            from learncom.search.postgres import schema as search_schema

            search_schema.install(db.engine)
        db.engine.dispose()
    yield config
    if postgres:
        drop_database(database_url, name)


@pytest.fixture(autouse=True)
def sqlite_as_built_elsewhere(app):
    """Debian builds SQLite with `secure_delete` on by default, most other builds do not:
    start every connection with it off, as they would, before learncom's own settings."""
    if db.engine.dialect.name == "sqlite":
        event.listen(db.engine, "connect",
                     lambda dbapi, _record: dbapi.execute("PRAGMA secure_delete=OFF"),
                     insert=True)
        db.engine.dispose()


def _forms(needle: str) -> set[bytes]:
    lowered = needle.lower()
    return {lowered.encode("utf-8"), lowered.encode("utf-16-le")}


def scan_files(files: list[Path], needles: list[str]) -> dict[str, list[str]]:
    """{needle: [files holding it]}, case-insensitive, over the files' raw bytes."""
    hits: dict[str, list[str]] = {}
    for path in files:
        data = path.read_bytes().lower()
        for needle in needles:
            if any(form in data for form in _forms(needle)):
                hits.setdefault(needle, []).append(str(path))
    return hits


def instance_files(instance: Path) -> list[Path]:
    return sorted(p for p in instance.rglob("*") if p.is_file())


def postgres_files() -> list[Path]:
    """The files of every table, TOAST table and index of the database (after a CHECKPOINT,
    so what the server holds in memory is on disk)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))
        data_dir = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        paths = connection.execute(text("""
            WITH ours AS (SELECT oid, reltoastrelid FROM pg_class
                          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i'))
            SELECT pg_relation_filepath(oid) FROM ours
            UNION SELECT pg_relation_filepath(reltoastrelid) FROM ours WHERE reltoastrelid <> 0
            UNION SELECT pg_relation_filepath(indexrelid) FROM pg_index
                  WHERE indrelid IN (SELECT reltoastrelid FROM ours WHERE reltoastrelid <> 0)
        """)).scalars().all()
    files = []
    for relative in paths:
        if relative is None:
            continue
        base = data_dir / relative
        files += [p for p in base.parent.glob(base.name + "*") if p.is_file()
                  and (p.name == base.name or p.name[len(base.name):].lstrip(".").isdigit())]
    return files


def postgres_text_hits(needles: list[str]) -> dict[str, list[str]]:
    """{needle: ["table.column", …]}: every text-like column of every table, by SELECT."""
    hits: dict[str, list[str]] = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            for needle in needles:
                found = db.session.scalar(select(func.count()).select_from(table).where(
                    cast(column, Text).icontains(needle, autoescape=True)))
                if found:
                    hits.setdefault(needle, []).append(f"{table.name}.{column.name}")
    db.session.rollback()
    return hits


def scan(instance: Path, needles: list[str]) -> tuple[int, dict[str, list[str]]]:
    """(files scanned, hits) over the instance directory and, on PostgreSQL, the database."""
    files = instance_files(instance)
    if db.engine.dialect.name == "postgresql":
        files += postgres_files()
    hits = scan_files(files, needles)
    if db.engine.dialect.name == "postgresql":
        for needle, columns in postgres_text_hits(needles).items():
            hits.setdefault(needle, []).extend(columns)
    return len(files), hits


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_nothing_of_a_deleted_account_stays_in_the_raw_files(client, auth, member_world,
                                                            instance, mode, search_engine):
    world = member_world
    needles = world.needles(content=mode == "remove")
    before_files, before = scan(instance, needles)
    assert set(before) == set(needles), before  # the scan sees the data while it is there
    if search_engine == "whoosh":
        assert any("search-index" in path for path in before[world.surname])
    assert any("search-index" not in path for path in before[world.email])  # the database

    auth.login(world.member)
    response = client.post("/account/verwijderen",
                           data={"mode": mode, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200 and 'id="account-deleted"' in response.get_data(
        as_text=True)

    files, hits = scan(instance, needles)
    print(f"\nraw bytes after '{mode}' on {db.engine.dialect.name} + {search_engine}: "
          f"{files} files scanned "
          f"({before_files} before), hits: {sum(len(v) for v in hits.values())}")
    assert hits == {}
    if db.engine.dialect.name == "sqlite":
        assert (instance / "learncom.db-wal").stat().st_size == 0  # checkpointed


def test_scrub_by_hand_cleans_what_a_deletion_left(app, runner, member_world, instance,
                                                  search_engine):
    """`flask learncom scrub` for when the cleaning after a deletion did not finish."""
    world = member_world
    needles = world.needles(content=True)
    erase_member(world.member, "remove", by=world.member)  # without the cleaning afterwards
    db.session.commit()
    if search_engine == "whoosh":
        queue.sync()
    _files, hits = scan(instance, needles)
    assert hits  # the index and the log still hold it
    result = runner.invoke(args=["learncom", "scrub"])
    assert result.exit_code == 0, result.output
    assert "Search index: clean. Database files: clean." in result.output
    assert scan(instance, needles)[1] == {}
