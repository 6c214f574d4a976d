"""search index queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('index_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("op IN ('upsert', 'delete')", name=op.f('ck_index_queue_op')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_queue'))
    )
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_queue_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_queue_post_id'))

    op.drop_table('index_queue')
