"""`flask learncom import FILE.jsonl` and `flask learncom export [-o FILE]`."""

from __future__ import annotations

import click

from learncom.cli import learncom_cli
from learncom.extensions import db
from learncom.portability import services


@learncom_cli.command("import")
@click.argument("file", type=click.File("rb"))
def import_command(file) -> None:
    """Import users, posts, comments and links from a JSONL file ("-" reads stdin).

    All or nothing: a bad line stops the import with its line number and leaves the database as
    it was."""
    try:
        report = services.import_lines(file)
    except services.ImportLineError as error:
        db.session.rollback()
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None
    db.session.commit()
    services.sync_search_index()
    click.echo(report.summary())


@learncom_cli.command("export")
@click.option("-o", "--output", type=click.File("wb"), default="-",
              help="Write to this file instead of stdout.")
def export_command(output) -> None:
    """Export every user (without passwords), post, comment and link as JSONL."""
    for line in services.export_lines():
        output.write(line.encode("utf-8") + b"\n")
    db.session.rollback()
