"""posts.edited_at: when a post last changed after it was published (the "edited" mark)

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-07 01:40:00

Filled from the revisions: the newest revision made after the post was published.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE posts SET edited_at = (SELECT max(r.created_at) FROM post_revisions r "
        "WHERE r.post_id = posts.id AND r.created_at > posts.published_at) "
        "WHERE published_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
