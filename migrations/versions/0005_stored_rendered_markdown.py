"""stored rendered markdown: excerpts and the kind fields' HTML

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:00:00

Posts, comments and log entries keep a plain-text excerpt beside their HTML, and posts the HTML
of their Markdown kind fields, so no page renders Markdown (see rendered.py). Rows that exist
already get an empty excerpt (pages read it from the stored HTML meanwhile) and no kind-field
HTML (NULL); the `rerender --missing` command fills both, and `make run` runs it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('posts', 'comments', 'log_entries'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('excerpt', sa.Text(), server_default='',
                                          nullable=False))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fields_html', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('fields_html')
    for table in ('log_entries', 'comments', 'posts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('excerpt')
