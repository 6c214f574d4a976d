"""log_entries.created_at indexed: "recent activity" walks the newest log entries

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:50:00

Like comments.created_at: the home page's recent activity reads the newest rows through it and
stops after ten, instead of sorting every log entry.
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


def downgrade():
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entries_created_at')
