"""`flask learncom create-admin`."""

from __future__ import annotations

import click

from learncom.accounts import services
from learncom.cli import learncom_cli
from learncom.extensions import db
from learncom.vocab import MEMBER_KINDS


@learncom_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--kind", type=click.Choice(list(MEMBER_KINDS)), default="professional",
              show_default=True)
@click.password_option()
def create_admin(email: str, name: str, kind: str, password: str) -> None:
    """Create an admin account, or make an existing member admin (and set the password)."""
    if len(password) < services.MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"The password needs at least {services.MIN_PASSWORD_LENGTH} characters.")
    user = services.get_user_by_email(email)
    if user is None:
        user = services.create_user(email, name, password, kind=kind, role="admin")
        click.echo(f"Created admin {user.name} <{user.email}>.")
    else:
        user.role = "admin"
        services.set_password(user, password)
        click.echo(f"{user.name} <{user.email}> is now admin.")
    db.session.commit()
