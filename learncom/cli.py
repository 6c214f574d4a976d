"""The `flask learncom ...` command group; features add their commands to it."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

learncom_cli = AppGroup("learncom", help="learncom administration commands.")


@learncom_cli.command("send-mail")
def send_mail_command() -> None:
    """Deliver the mail in the outbox that is due, retrying failed mail (run it from cron, e.g.
    every 5 minutes, as a safety net; web requests deliver in the background after commit)."""
    from learncom.mail import deliver_due

    report = deliver_due()
    click.echo(f"Mail sent: {report.sent}; failed (tried again later): {report.failed}.")
    if report.failed:
        raise click.exceptions.Exit(1)
@learncom_cli.command("rerender")
@click.option("--missing", is_flag=True,
              help="Only rows stored before their HTML was (after upgrading).")
def rerender_command(missing: bool) -> None:
    """Render every stored Markdown text again (after a change to learncom/markdown.py).

    Commits after each batch of rows, so it can be stopped and run again."""
    from learncom.extensions import db
    from learncom.rendered import rerender_all

    totals: dict[str, int] = {}
    for table, done in rerender_all(db.session, db.Model.registry, missing_only=missing):
        db.session.commit()
        totals[table] = done
    db.session.commit()
    summary = ", ".join(f"{done} {table}" for table, done in totals.items()) or "nothing"
    click.echo(f"Rendered again: {summary}.")


def register_cli(app: Flask) -> None:
    from learncom.accounts import cli as _accounts_cli  # noqa: F401
    from learncom.backup import cli as _backup_cli  # noqa: F401
    from learncom.demo import cli as _demo_cli  # noqa: F401
    from learncom.portability import cli as _portability_cli  # noqa: F401
    from learncom.privacy import cli as _privacy_cli  # noqa: F401

    app.cli.add_command(learncom_cli)
