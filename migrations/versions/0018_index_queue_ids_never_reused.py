"""Index queue ids are never reused (AUTOINCREMENT on SQLite)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:00:00

SQLite gives a plain INTEGER PRIMARY KEY the largest id plus one, so after a drain deleted the
newest rows their ids came back for new rows. A drain deletes the rows it indexed by id after
its commit; if another drain had meanwhile indexed and deleted the same rows, and a new post's row
took one of those ids, the late delete removed the new row unread and the post never reached the
index. PostgreSQL's identity never reuses an id: nothing to do there.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('index_queue', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade():
    _recreate(True)


def downgrade():
    _recreate(False)
