"""`flask learncom create-admin`."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email

from learncom import events
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
    """Create an admin account, or make an existing member admin (reactivate it and set the
    password): the way back in when no admin can log in."""
    if len(password) < services.MIN_PASSWORD_LENGTH:
        raise click.UsageError(
            f"The password needs at least {services.MIN_PASSWORD_LENGTH} characters.")
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise click.UsageError(f"Not a valid e-mail address: {error}") from error
    user = services.get_user_by_email(email)
    if user is None:
        name = name.strip()
        if not 2 <= len(name) <= 80:
            raise click.UsageError("The display name needs 2 to 80 characters.")
        if services.display_name_taken(name):
            raise click.UsageError(f"The display name {name!r} is already in use.")
        user = services.create_user(email, name, password, kind=kind, role="admin")
        events.emit("member.created", user=user, actor=None)
        click.echo(f"Created admin {user.name} <{user.email}>.")
    else:
        services.change_role(user, "admin", by=None)
        if not user.active:
            user.active = True
            events.emit("member.activation_changed", user=user, actor=None, active=True)
        services.set_password(user, password)
        click.echo(f"{user.name} <{user.email}> is now admin.")
    db.session.commit()  # with the audit rows: the log shows who was made admin, and when
