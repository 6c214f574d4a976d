"""`flask learncom backup DIR` and `flask learncom restore DIR [--force]`."""

from __future__ import annotations

from pathlib import Path

import click

from learncom.backup import services
from learncom.cli import learncom_cli
from learncom.extensions import db


@learncom_cli.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path) -> None:
    """Back up the database and the secret key into DIRECTORY (new or empty), with a manifest.

    SQLite is copied with its online backup API and PostgreSQL dumped with pg_dump, both while
    the site keeps running. The directory holds the secret key: keep it safe."""
    try:
        manifest = services.backup(directory)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.session.rollback()
    rows = sum(manifest["counts"].values())
    click.echo(f"Backed up {rows} rows in {len(manifest['counts'])} tables "
               f"({manifest['database']}, schema {manifest['schema_revision'] or '-'}) "
               f"to {directory}.")


@learncom_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(directory: Path, force: bool) -> None:
    """Restore a backup made by `flask learncom backup` into this instance's database, then
    rebuild the search index. Refuses a database that holds data unless --force is given."""
    try:
        manifest = services.restore(directory, force=force, progress=click.echo)
    except services.BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {sum(manifest['counts'].values())} rows from the backup of "
               f"{manifest['created_at']} (learncom {manifest['learncom_version']}).")
    click.echo(services.install_secret_key(directory))
    click.echo("Rebuilding the search index…")
    click.echo(f"Indexed {services.rebuild_search_index()} posts.")
