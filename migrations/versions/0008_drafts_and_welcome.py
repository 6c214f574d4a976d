"""drafts and the welcome page

Posts get `published_at` (None: a draft) and `shared_with_coordinators` (a draft promoted from a
discussion, which coordinators may finish); members get `welcomed_at` (the welcome page is shown
once, after the first login). Existing posts count as published when they were created, and
existing members as welcomed.

Revision ID: 0008
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('shared_with_coordinators', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_posts_published_at'), ['published_at'],
                              unique=False)
    op.execute("UPDATE posts SET published_at = created_at")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('welcomed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET welcomed_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('welcomed_at')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_published_at'))
        batch_op.drop_column('shared_with_coordinators')
        batch_op.drop_column('published_at')
