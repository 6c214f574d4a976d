"""`flask learncom backup DIR` and `restore DIR` (issue 11, item 10): a restore into an empty
instance exports exactly what the original exported, on SQLite and (with --postgres) PostgreSQL."""

from __future__ import annotations

import itertools
import json
import stat

import pytest

from learncom import create_app
from learncom.extensions import db
from tests.conftest import make_config
from tests.postgres import drop_database, fresh_database_url

_counter = itertools.count()


@pytest.fixture
def other_url(database_url):
    """A second database beside the test run's, for the instance a backup is restored into."""
    name = f"learncom_restore_{next(_counter)}"
    yield fresh_database_url(database_url, name)
    drop_database(database_url, name)


def second_instance(url, path, *, tables: bool = True):
    app = create_app(make_config(url, path))
    if tables:
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    return app


def run(app, *args):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
        db.engine.dispose()
    return result


def export(app) -> str:
    result = run(app, "learncom", "export")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("tables", [True, False], ids=["migrated-empty", "no-tables"])
def test_restore_into_an_empty_instance_gives_the_same_export(app, runner, rich_instance,
                                                               other_url, tmp_path, tables):
    before = export(app)
    backup = tmp_path / "backup"
    made = runner.invoke(args=["learncom", "backup", str(backup)])
    assert made.exit_code == 0, made.output
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == db.engine.dialect.name
    assert manifest["counts"]["posts"] == 5 and manifest["counts"]["comments"] == 7
    assert set(manifest["files"]) == {"secret_key", "learncom.db" if manifest["database"]
                                      == "sqlite" else "learncom.pgdump"}
    assert stat.S_IMODE((backup / "secret_key").stat().st_mode) == 0o600
    assert (backup / "secret_key").read_text() == app.config["SECRET_KEY"]

    target = second_instance(other_url, tmp_path / "second", tables=tables)
    restored = run(target, "learncom", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "Indexed 5 posts." in restored.output
    assert export(target) == before
    checked = run(target, "search", "check")
    assert checked.exit_code == 0, checked.output


def test_restore_refuses_a_database_with_data_unless_forced(app, runner, rich_instance,
                                                             create_user, create_post,
                                                             tmp_path):
    backup = tmp_path / "backup"
    assert runner.invoke(args=["learncom", "backup", str(backup)]).exit_code == 0
    before = export(app)
    create_post(create_user("Later"), title="Na de backup geschreven")

    refused = runner.invoke(args=["learncom", "restore", str(backup)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert "Na de backup geschreven" in export(app)

    forced = runner.invoke(args=["learncom", "restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    assert export(app) == before


def test_a_damaged_or_incomplete_backup_is_refused(app, runner, rich_instance, other_url,
                                                   tmp_path):
    backup = tmp_path / "backup"
    assert runner.invoke(args=["learncom", "backup", str(backup)]).exit_code == 0
    target = second_instance(other_url, tmp_path / "second")
    data = next(path for path in backup.iterdir() if path.name.startswith("learncom."))
    original = data.read_bytes()
    data.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    damaged = run(target, "learncom", "restore", str(backup))
    assert damaged.exit_code == 1 and "checksum" in damaged.output
    data.write_bytes(original)
    (backup / "secret_key").unlink()
    incomplete = run(target, "learncom", "restore", str(backup))
    assert incomplete.exit_code == 1 and "secret_key is missing" in incomplete.output
    assert run(target, "learncom", "restore", str(tmp_path)).exit_code == 1  # no manifest
    with target.app_context():
        from learncom.backup.services import database_has_data

        assert not database_has_data()
        db.engine.dispose()


def test_backup_refuses_a_directory_that_holds_files(runner, tmp_path):
    (tmp_path / "old.txt").write_text("iets")
    result = runner.invoke(args=["learncom", "backup", str(tmp_path)])
    assert result.exit_code == 1 and "not an empty directory" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


def test_restore_installs_the_backups_secret_key_where_the_instance_keeps_it(
        app, runner, rich_instance, other_url, tmp_path, monkeypatch):
    backup = tmp_path / "backup"
    assert runner.invoke(args=["learncom", "backup", str(backup)]).exit_code == 0
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("the-old-key")
    monkeypatch.setenv("LEARNCOM_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("LEARNCOM_SECRET_KEY", raising=False)
    target = create_app(make_config(other_url, tmp_path / "second", SECRET_KEY="the-old-key"))
    restored = run(target, "learncom", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert (instance / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert "restart the server" in restored.output
