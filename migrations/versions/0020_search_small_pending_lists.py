"""the PostgreSQL search engine: GIN pending lists of 256 kB

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:10:00

PostgreSQL only (on SQLite this migration does nothing). A GIN index first appends new entries
to a pending list, which every search through the index reads whole, and merges it into the
index when it passes `gin_pending_list_limit` (4 MB by default). A comment rewrites its post's
document, about 900 entries with the pairs, so the lists of the search indexes were always
nearly full: at 100,000 posts the search p95 was 80 ms with them and 66 ms at 256 kB, for
writes 5 ms slower at p95. The statements are copied from search/postgres/schema.py
(`PENDING_LIMIT`); tests/test_search_postgres.py checks that both give the same schema.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

INDEXES = ("ix_search_documents_document", "ix_search_documents_head",
           "ix_search_documents_people", "ix_search_documents_tags",
           "ix_search_documents_pairs", "ix_search_vocabulary_trigrams")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = 256)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")
