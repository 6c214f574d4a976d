"""Cleaning the database files after personal data was erased, so the erased text is not
readable in their raw bytes.

- SQLite: every connection runs with ``secure_delete`` on (learncom/extensions.py), so deleted
  and overwritten content is zeroed in the database file; what remains is the write-ahead log,
  which still holds the pages as they were. A ``wal_checkpoint(TRUNCATE)`` copies the current
  pages into the database and empties the log file.
- PostgreSQL: a deleted or updated row stays in its table's files as a dead tuple until it is
  vacuumed, and a plain VACUUM only marks its space as free. ``VACUUM FULL`` writes each
  affected table (with its TOAST table and indexes) anew and removes the old files, so the
  live files no longer hold the text. What PostgreSQL does not clean: the write-ahead log
  (``pg_wal``, recycled after checkpoints), WAL archives, replicas' logs and backups; see
  docs/privacy.md for what the operator must do.
"""

from __future__ import annotations

import time

from sqlalchemy import text

from learncom.extensions import db

#: How long VACUUM FULL may wait for a table's lock before it gives up (it runs again at the
#: next erasure, or by hand).
LOCK_TIMEOUT = "15s"
#: How long the cleaning waits for transactions that began before it (see
#: `wait_for_older_snapshots`).
SNAPSHOT_WAIT = 15.0


def scrub(tables: set[str]) -> bool:
    """Clean the files of these tables; True when it fully succeeded."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        # On the driver's connection: outside a transaction (SQLAlchemy would begin one).
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            connection.close()
        return busy == 0
    if engine.dialect.name == "postgresql":
        known = set(db.metadata.tables)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            settled = wait_for_older_snapshots(connection, SNAPSHOT_WAIT)
            connection.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
            for table in sorted(tables & known):
                connection.exec_driver_sql(f'VACUUM FULL "{table}"')
            connection.execute(text("RESET lock_timeout"))
        return settled
    return False


def wait_for_older_snapshots(connection, seconds: float) -> bool:
    """Wait until no other transaction in this database that began before now still holds a
    snapshot or a transaction id. VACUUM FULL copies every row version some running
    transaction may still see, so while one that began before the erasure is open (another
    request, autovacuum's ANALYZE) the erased text is written into the new files too. False
    when one is still open after `seconds` (the caller's scrub then did not fully succeed)."""
    deadline = time.monotonic() + seconds
    started = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    while True:
        older = connection.execute(text("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND xact_start < :started
              AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)"""),
            {"started": started}).scalar_one()
        if not older:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
