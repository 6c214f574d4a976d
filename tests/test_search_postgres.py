"""The PostgreSQL engine's own machinery: its schema from the migration and from `install` are
the same; two transactions changing one post never leave its document stale; a rebuild starts
the vocabulary afresh. (Only collected when the suite runs on PostgreSQL: see conftest.)"""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from learncom import create_app
from learncom.extensions import db
from learncom.posts.models import Post
from learncom.search.services import check, get_backend
from tests import search_fixtures
from tests.conftest import make_config
from tests.postgres import drop_database, fresh_database_url

search_app = search_fixtures.search_app
SEARCH_ENGINES = ("postgres",)


def _catalog(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            columns = conn.execute(text(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_name LIKE 'search_%' "
                "ORDER BY 1, 2")).all()
            indexes = conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'search_%' "
                "ORDER BY 1")).all()
            mappings = conn.execute(text(
                "SELECT c.cfgname, m.maptokentype, m.mapseqno, d.dictname "
                "FROM pg_ts_config c JOIN pg_ts_config_map m ON m.mapcfg = c.oid "
                "JOIN pg_ts_dict d ON d.oid = m.mapdict "
                "WHERE c.cfgname LIKE 'search_%' ORDER BY 1, 2, 3")).all()
        return {"columns": [tuple(r) for r in columns], "indexes": [tuple(r) for r in indexes],
                "mappings": [tuple(r) for r in mappings]}
    finally:
        engine.dispose()


def test_the_migration_and_install_build_the_same_schema(database_url, tmp_path):
    from alembic import command

    from learncom.search.postgres import schema

    migrated_url = fresh_database_url(database_url, "search_migrated")
    installed_url = fresh_database_url(database_url, "search_installed")
    try:
        app = create_app(make_config(migrated_url, tmp_path / "a"))
        with app.app_context():
            command.upgrade(app.extensions["migrate"].migrate.get_config(), "head")
            db.engine.dispose()
        app = create_app(make_config(installed_url, tmp_path / "b"))
        with app.app_context():
            db.create_all()
            schema.install(db.engine)
            schema.install(db.engine)  # idempotent
            db.engine.dispose()
        migrated, installed = _catalog(migrated_url), _catalog(installed_url)
        assert migrated == installed
        assert {name for name, _def in migrated["indexes"]} >= {
            "ix_search_documents_document", "ix_search_vocabulary_trigrams"}
    finally:
        drop_database(database_url, "search_migrated")
        drop_database(database_url, "search_installed")


def test_two_transactions_changing_one_post_leave_its_document_whole(search_app, create_user,
                                                                   create_post,
                                                                   create_comment):
    """A comment in one transaction and a new title in another, both writing the post's
    document: the second waits for the first (advisory lock) and builds on what it committed.
    Without the lock the last writer's document missed the other's change."""
    from learncom.discussion.models import Comment

    author = create_user("Anke")
    post = create_post(author, title="Buurtkamer als vindplaats")
    post_id, author_id = post.id, author.id
    db.session.commit()
    backend = get_backend()
    first = Session(db.engine)
    first.add(Comment(post_id=post_id, author_id=author_id, body="De moestuinploeg hielp."))
    first.flush()
    backend.index(first, [post_id])  # holds the post's lock until it commits
    written = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with search_app.app_context(), Session(db.engine) as session:
                session.get(Post, post_id).title = "Buurtkamer als ontmoetingsplek"
                session.flush()
                written.set()
                session.commit()  # the listener writes the document: waits for the first
        except BaseException as error:  # reported below
            errors.append(error)
            written.set()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        written.wait(10)
        thread.join(0.3)
        assert thread.is_alive()  # waiting for the first transaction's lock
        first.commit()
    finally:
        first.close()
        thread.join(10)
    assert not errors, errors
    db.session.expire_all()
    assert check().ok
    from learncom.search import search

    assert [hit.id for hit in search("moestuinploeg ontmoetingsplek").hits] == [post_id]


def test_a_rebuild_starts_the_vocabulary_afresh(search_app, create_user, create_post):
    from learncom.posts import services as post_services
    from learncom.search import search

    author = create_user("Anke")
    post = create_post(author, title="Zwerfafvalactie in het park")
    keep = create_post(author, title="Voedselbank")
    assert search("zwerfafvalaktie", None, 1, None).suggestion == "zwerfafvalactie"
    post_services.delete_post(db.session.get(Post, post.id))
    db.session.commit()
    words = set(db.session.scalars(text("SELECT word FROM search_vocabulary")))
    assert "zwerfafvalactie" in words  # nobody can see it suggested (no post holds it) ...
    assert search("zwerfafvalaktie", None, 1, None).suggestion is None
    assert get_backend().rebuild() == 1  # ... and a rebuild forgets it
    words = set(db.session.scalars(text("SELECT word FROM search_vocabulary")))
    assert "zwerfafvalactie" not in words and "voedselbank" in words
    assert [hit.id for hit in search("voedselbank").hits] == [keep.id]
    assert check().ok


def test_the_query_reaches_the_database_as_one_bound_tsquery(search_app, create_user,
                                                             create_post):
    """Quotes, backslashes and tsquery operators in the search box are words, never syntax."""
    from learncom.search import search

    author = create_user("Anke")
    post = create_post(author, title="Koffie's & thee | vrijdag")
    for query in ("koffie's", "'koffie", "koffie\\'", "thee | !vrijdag", "(koffie", "koffie:*",
                  "koffie & !thee", "vrijdag <-> thee", "'; DROP TABLE posts; --"):
        found = search(query, None, 1, None)
        assert found.total >= 0
    assert [hit.id for hit in search("koffie thee").hits] == [post.id]
    assert db.session.scalar(text("SELECT count(*) FROM posts")) == 1


def test_the_benchmark_runs_both_engines(database_url, tmp_path, capsys):
    """`python -m bench.search --engine both` end to end on a tiny corpus: the same queries on
    Whoosh, on the PostgreSQL engine (a database of its own on this server) and on FTS5."""
    import json

    from bench.search import main

    out_json = tmp_path / "figures.json"
    assert main(["--posts", "60", "--queries", "10", "--procs", "1", "--changes", "2",
                 "--engine", "both", "--pg-url", database_url, "--dir", str(tmp_path / "b"),
                 "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "goal (postgres): <= 1.5x FTS5" in printed and "goal (whoosh): p95" in printed
    figures = json.loads(out_json.read_text())
    postgres = figures["engines"]["postgres"]
    assert postgres["rebuild"]["posts"] == 60 and postgres["check"]["ok"]
    assert postgres["change"]["missed"] == 0 and postgres["timed_out"] == 0
    assert figures["queries"]["all"]["postgres"]["n"] == 10
    # The same corpus: both engines find posts for the same queries.
    assert figures["mean_total"]["postgres"] > 0 and figures["mean_total"]["whoosh"] > 0
