"""Cleaning PostgreSQL's files after an erasure (learncom/privacy/storage.py) waits for the
transactions that began before it: VACUUM FULL copies every row version a running transaction
may still see, so the erased text would be written into the new files. (Only collected when the
suite runs on PostgreSQL: see conftest.)"""

from __future__ import annotations

from sqlalchemy import text

from learncom.extensions import db
from learncom.privacy.storage import wait_for_older_snapshots


def test_the_cleaning_waits_for_a_transaction_that_began_before_it(app):
    reader = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        reader.execute(text("SELECT count(*) FROM users"))  # its snapshot stays until it ends
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as cleaner:
            assert wait_for_older_snapshots(cleaner, 0.3) is False
            reader.rollback()
            assert wait_for_older_snapshots(cleaner, 5.0) is True
    finally:
        reader.close()
