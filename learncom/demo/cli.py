"""`flask learncom load-demo [--password TEXT]`."""

from __future__ import annotations

import click

from learncom.accounts.services import MIN_PASSWORD_LENGTH
from learncom.cli import learncom_cli
from learncom.demo import loader
from learncom.extensions import db
from learncom.portability.services import ImportLineError, sync_search_index


@learncom_cli.command("load-demo")
@click.option("--password", default=loader.DEFAULT_PASSWORD, show_default=True,
              help="The password every demo account gets (for a local demo only).")
def load_demo_command(password: str) -> None:
    """Load the Dutch demo data, only when the database holds no posts yet."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    try:
        report = loader.load_demo(password)
    except (ImportLineError, OSError) as error:
        db.session.rollback()
        click.echo(f"{loader.DEMO_FILE}: {error}", err=True)
        raise click.exceptions.Exit(1) from None
    if not report.loaded:
        db.session.rollback()
        click.echo("The database already holds posts: demo data not loaded.")
        if report.accounts:
            click.echo(f"Demo accounts to try (password {password!r}, unless you changed it):")
            _print_accounts(report.accounts)
        return
    db.session.commit()
    sync_search_index()
    click.echo(f"Demo data loaded. {report.imported.summary()}")
    click.echo(f"Every demo account has the password {password!r}. Try:")
    _print_accounts(report.accounts)


def _print_accounts(accounts) -> None:
    for label, user in accounts:
        teams = ", ".join(team.name for team in user.teams)
        about = f"{user.name}, team {teams}" if teams else user.name
        click.echo(f"  {label:<22} {user.email}  ({about})")
