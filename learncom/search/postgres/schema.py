"""What the PostgreSQL engine keeps in the database, created only on PostgreSQL.

    search_dutch    text search configuration: PostgreSQL's `dutch` (Snowball stemmer, Dutch
                      stop words) with accents folded first (unaccent), like the Whoosh analyzer
    search_names    `simple` with accents folded: names of people and places, not stemmed
    search_documents  one row per post: the facet and filter columns, and three tsvectors:
                        document  everything, weighted: title A, tags and kind fields B, body,
                                  log, author and place C, comments D (GIN index)
                        head      title A and tags B only: small enough to stay in the row, so
                                  ranking a very large result set first by it costs no TOAST
                                  reads (see backend.py)
                        people    the author's name (the `author:` filter)
    search_vocabulary every unstemmed word of titles and bodies, for "did you mean" (pg_trgm)

Migration 0009 creates the same objects (tests/test_search_postgres.py compares them); the test
suite, which builds its schema with `create_all`, calls `install`. The tables are not models:
the models stay portable, and `migrations/env.py` leaves these tables out of autogenerate.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

DUTCH = "search_dutch"  # the configuration names, as every statement writes them out
NAMES = "search_names"
TABLES = ("search_documents", "search_vocabulary")

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'search_dutch') THEN
            CREATE TEXT SEARCH CONFIGURATION search_dutch (COPY = dutch);
            ALTER TEXT SEARCH CONFIGURATION search_dutch
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, dutch_stem;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'search_names') THEN
            CREATE TEXT SEARCH CONFIGURATION search_names (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION search_names
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
        END IF;
    END $$""",
    """CREATE TABLE IF NOT EXISTS search_documents (
        post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL,
        visibility varchar(10) NOT NULL,
        team_id integer,
        author_id integer,
        author_kind varchar(32),
        neighbourhood varchar(80),
        status varchar(20),
        tags text[] NOT NULL DEFAULT '{}',
        created_at timestamp with time zone NOT NULL,
        applied integer NOT NULL DEFAULT 0,
        head tsvector NOT NULL,
        document tsvector NOT NULL,
        people tsvector NOT NULL,
        fingerprint varchar(32) NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_document ON search_documents "
    "USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_head ON search_documents USING gin (head)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_people ON search_documents "
    "USING gin (people)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tags ON search_documents USING gin (tags)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_created_at ON search_documents (created_at)",
    """CREATE TABLE IF NOT EXISTS search_vocabulary (
        word text PRIMARY KEY
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_vocabulary_trigrams ON search_vocabulary "
    "USING gin (word gin_trgm_ops)",
)


def install(engine: Engine) -> None:
    """Create what the engine needs, if it is not there yet (idempotent)."""
    with engine.begin() as conn:
        # Two installs at once (test processes, two web machines on first start) would race
        # on the catalog: one at a time.
        conn.execute(text("SELECT pg_advisory_xact_lock(4207, 0)"))
        for statement in STATEMENTS:
            conn.execute(text(statement))


def installed(conn) -> bool:
    return bool(conn.execute(text(
        "SELECT to_regclass('search_documents') IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'search_dutch')")).scalar())


def empty(session: Session) -> None:
    """Remove every document and word (tests; a rebuild starts from the vocabulary up)."""
    session.execute(text("DELETE FROM search_documents"))
    session.execute(text("DELETE FROM search_vocabulary"))
