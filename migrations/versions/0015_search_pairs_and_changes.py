"""the PostgreSQL search engine: phrases as pair lexemes, and a change log of its documents

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:00:00

PostgreSQL only (on SQLite this migration does nothing), like 0009:
- `search_documents.pairs`, generated from `document` by `search_pairs` (one lexeme per two
  consecutive lexemes), with a GIN index: a phrase becomes a posting-list lookup instead of a
  position check of every candidate. Adding the column computes it for every document (about
  a millisecond each).
- `search_changes`, written by triggers on search_documents: which documents each transaction
  changed, so every process keeps its cached match sets and facet counts exact.
search/postgres/schema.py holds the same statements for test databases built with create_all;
tests/test_search_postgres.py checks that both give the same schema.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


STATEMENTS = (
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


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in ("inserted", "updated", "deleted", "truncated"):
        op.execute(f"DROP TRIGGER IF EXISTS search_documents_{trigger} ON search_documents")
    op.execute("DROP FUNCTION IF EXISTS search_changed()")
    op.execute("DROP TABLE IF EXISTS search_changes")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS pairs")
    op.execute("DROP FUNCTION IF EXISTS search_pairs(tsvector)")
