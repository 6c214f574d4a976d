"""`flask learncom scrub`: make what was deleted unreadable on disk, by hand.

Deleting an account does this itself, right after (learncom/privacy/erasure.py); run it when the
log says that did not finish (for example a worker restarted meanwhile), or from cron."""

from __future__ import annotations

import click
from sqlalchemy import JSON, String

from learncom.cli import learncom_cli
from learncom.extensions import db
from learncom.privacy import storage
from learncom.search.services import purge_deleted


@learncom_cli.command("scrub")
def scrub_command() -> None:
    """Rewrite the search index where it holds deleted documents, and clean the database
    files (SQLite: WAL checkpoint; PostgreSQL: VACUUM FULL of the tables holding text)."""
    index = purge_deleted()
    tables = {table.name for table in db.metadata.sorted_tables
              if any(isinstance(column.type, String | JSON) for column in table.columns)}
    database = storage.scrub(tables)
    click.echo(f"Search index: {'clean' if index else 'still busy, run again'}. "
               f"Database files: {'clean' if database else 'not fully, run again'}.")
    if not (index and database):
        raise click.exceptions.Exit(1)
