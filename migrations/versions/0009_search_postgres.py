"""the PostgreSQL search engine's documents and vocabulary (PostgreSQL only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:30:00

The tables are not models (the models stay portable): on SQLite this migration does nothing.
search/postgres/schema.py holds the same statements for test databases built with
create_all; tests/test_search_postgres.py checks that both give the same schema.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


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


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_vocabulary")
    op.execute("DROP TABLE IF EXISTS search_documents")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS search_names")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS search_dutch")
