"""The `flask learncom ...` command group; features add their commands to it."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

learncom_cli = AppGroup("learncom", help="learncom administration commands.")


def register_cli(app: Flask) -> None:
    from learncom.accounts import cli as _accounts_cli  # noqa: F401
    from learncom.demo import cli as _demo_cli  # noqa: F401
    from learncom.portability import cli as _portability_cli  # noqa: F401
    from learncom.privacy import cli as _privacy_cli  # noqa: F401

    app.cli.add_command(learncom_cli)
