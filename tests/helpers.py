"""Small helpers shared by test modules."""

from __future__ import annotations

from contextlib import contextmanager
from html.parser import HTMLParser

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
    """The number of SQL statements a GET of `url` runs (which must answer 200) every time:
    counted at the second of two views, so one-time work of a first view (a post's similar
    posts ranked and kept) is not what is compared."""
    client.get(url)
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


class Elements(HTMLParser):
    """Start tags with their attributes, enough to find elements by id or class."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag=None, class_=None, **attrs) -> list[dict]:
        return [a for t, a in self.tags if (tag is None or t == tag)
                and (class_ is None or class_ in a.get("class", "").split())
                and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


def elements(response) -> Elements:
    return Elements(response.get_data(as_text=True))
