"""Small helpers shared by test modules."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from learncom.extensions import db


@contextmanager
def counted():
    """Collect the SQL statements run inside the block (transaction control excluded)."""
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def queries_for(client, url: str) -> int:
    """The number of SQL statements one GET of `url` runs (which must answer 200)."""
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)
