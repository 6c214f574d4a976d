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
                        pairs     generated from `document` (`search_pairs`): one lexeme per
                                  two consecutive lexemes, 'sociaal team', with one space per
                                  position between them ('wal  schip': a stop word between).
                                  A phrase is looked up in its GIN index like a word, instead
                                  of `<->` re-reading each candidate's positions from TOAST
                        people    the author's name (the `author:` filter)
    search_vocabulary every unstemmed word of titles and bodies, for "did you mean" (pg_trgm)
    search_changes    which documents changed, by which transaction (`xid`): written by a
                      trigger on search_documents (whatever writes it: the engine, a cascade, a
                      TRUNCATE), read by each process to keep its match sets and facet bitmaps
                      exact (census.py); rows of transactions that ended over a day ago are
                      dropped by the trigger

Every GIN index keeps a pending list of at most 256 kB (`PENDING_LIMIT`) instead of
PostgreSQL's 4 MB: a write appends its entries there, and every search reads all of them. A
comment rewrites its post's whole document (~900 entries with the pairs), so the 4 MB list was
always nearly full; at 100,000 posts after 400 comments the search p95 was 80 ms with it and
66 ms at 256 kB, the writes' p95 31 and 36 ms (bench/README.md).

Migrations 0009, 0015 and 0020 create the same objects (tests/test_search_postgres.py
compares them); the test suite, which builds its schema with `create_all`, calls `install`. The
tables are not models: the models stay portable, and `migrations/env.py` leaves these tables
out of autogenerate.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

DUTCH = "search_dutch"  # the configuration names, as every statement writes them out
NAMES = "search_names"
TABLES = ("search_documents", "search_vocabulary", "search_changes")

# Added by migration 0015 (copied there): phrases as pair lexemes, and the change log.
PAIRS_AND_CHANGES = (
    # The pairs of a vector's consecutive positions ("a b", "a  b" two positions apart):
    # exactly the steps `<->`/`<N>` of phraseto_tsquery check. Positions shared by two lexemes
    # (only past PostgreSQL's 16,383rd position) make no pair.
    """CREATE OR REPLACE FUNCTION search_pairs(vector tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT pair)), ''::tsvector)
        FROM (SELECT lexeme || repeat(' ', lead(position) OVER w - position)
                     || lead(lexeme) OVER w AS pair,
                     lead(position) OVER w - position AS gap
              FROM unnest(vector) AS u(lexeme, positions, weights),
                   unnest(positions) AS position
              WINDOW w AS (ORDER BY position)) steps
        WHERE gap > 0
    $$""",
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS pairs tsvector "
    "GENERATED ALWAYS AS (search_pairs(document)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_pairs ON search_documents USING gin (pairs)",
    """CREATE TABLE IF NOT EXISTS search_changes (
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        horizon xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
        at timestamp with time zone NOT NULL DEFAULT clock_timestamp(),
        post_ids integer[]
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_changes_xid ON search_changes (xid)",
    "CREATE INDEX IF NOT EXISTS ix_search_changes_at ON search_changes (at)",
    # post_ids NULL: every document (a TRUNCATE). A row goes once its transaction is known
    # to have ended more than a day ago: every transaction older than the horizon of a row
    # written a day ago had ended when that row was written (a row's own `at` says when it
    # was written, not when it committed, and every process reads rows it has not seen).
    """CREATE OR REPLACE FUNCTION search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO search_changes (post_ids) VALUES (NULL);
        ELSIF TG_OP = 'INSERT' THEN
            INSERT INTO search_changes (post_ids)
            SELECT array_agg(post_id) FROM new_rows HAVING count(*) > 0;
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO search_changes (post_ids)
            SELECT array_agg(post_id) FROM (SELECT post_id FROM new_rows
                                            UNION SELECT post_id FROM old_rows) c
            HAVING count(*) > 0;
        ELSE
            INSERT INTO search_changes (post_ids)
            SELECT array_agg(post_id) FROM old_rows HAVING count(*) > 0;
        END IF;
        DELETE FROM search_changes WHERE xid < (
            SELECT max(horizon) FROM search_changes
            WHERE at < clock_timestamp() - interval '1 day');
        RETURN NULL;
    END $$""",
    "CREATE OR REPLACE TRIGGER search_documents_inserted AFTER INSERT ON search_documents "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_changed()",
    "CREATE OR REPLACE TRIGGER search_documents_updated AFTER UPDATE ON search_documents "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_changed()",
    "CREATE OR REPLACE TRIGGER search_documents_deleted AFTER DELETE ON search_documents "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_changed()",
    "CREATE OR REPLACE TRIGGER search_documents_truncated AFTER TRUNCATE ON search_documents "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_changed()",
)

# Added by migration 0020 (copied there): small GIN pending lists, see the module docstring.
PENDING_LIMIT = tuple(
    f"ALTER INDEX {index} SET (gin_pending_list_limit = 256)"
    for index in ("ix_search_documents_document", "ix_search_documents_head",
                  "ix_search_documents_people", "ix_search_documents_tags",
                  "ix_search_documents_pairs", "ix_search_vocabulary_trigrams"))

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
    *PAIRS_AND_CHANGES,
    *PENDING_LIMIT,
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
        "SELECT to_regclass('search_changes') IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'search_dutch')")).scalar())


def empty(session: Session) -> None:
    """Remove every document and word (tests; a rebuild starts from the vocabulary up)."""
    session.execute(text("DELETE FROM search_documents"))
    session.execute(text("DELETE FROM search_vocabulary"))
