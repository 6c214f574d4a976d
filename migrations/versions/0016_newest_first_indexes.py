"""Indexes for the newest first: log_entries.created_at, posts (kind, created_at)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:50:00

Like comments.created_at: the home page's recent activity reads the newest log entries through
it and stops after ten, instead of sorting all of them. A kind's list and the home page's lists
walk (kind, created_at) newest first and stop after a page, instead of sorting every post of the
kind (260 ms → 1 ms at 100,000 posts on SQLite).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_log_entries_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_kind_created_at', ['kind', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_kind_created_at')
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entries_created_at')
