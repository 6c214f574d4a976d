"""Similar posts ranked once per version of a post's text, kept in the database

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:30:00

Ranking the posts most like a post costs 100-300 ms at 100,000 posts, and a post page showed
it on the first view in every process. The ranking does not depend on the viewer, so it is
kept here for every process and machine (ids only) and made again when the text changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'similar_rankings',
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=32), nullable=False),
        sa.Column('ranked', sa.Text(), nullable=False),
        sa.Column('ranked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_similar_rankings_post_id_posts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', name=op.f('pk_similar_rankings')),
    )


def downgrade():
    op.drop_table('similar_rankings')
