"""`flask learncom send-digests`: the notification e-mails (run it from cron, e.g. daily)."""

from __future__ import annotations

import click

from learncom.cli import learncom_cli
from learncom.follow import digests


@learncom_cli.command("send-digests")
@click.option("--frequency", type=click.Choice(digests.FREQUENCIES), default=None,
              help="Only members with this setting (default: daily and weekly).")
def send_digests_command(frequency: str | None) -> None:
    """Mail each due member one digest of their unread notifications.

    Daily members are due a day after their last digest, weekly members a week after. Running it
    again sends nothing new. Set LEARNCOM_SITE_URL so links in the mail point to your site."""
    frequencies = (frequency,) if frequency else digests.FREQUENCIES
    report = digests.send_digests(frequencies)
    click.echo(f"Digests sent: {report.sent}; members with nothing new: {report.skipped}.")
    if report.failed:
        for line in report.failed:
            click.echo(f"Failed: {line}", err=True)
        raise click.exceptions.Exit(1)
