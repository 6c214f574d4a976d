"""What `make run` does, as separate processes on an empty database: `flask db upgrade`,
`flask learncom load-demo` (twice: the second run leaves the data alone), then gunicorn serving
`wsgi:app` with two workers. Runs on the test run's engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from learncom import ROOT
from learncom.accounts.models import User
from learncom.posts.models import Post
from tests.postgres import drop_database, fresh_database_url

BIN = Path(sys.executable).parent


@pytest.fixture
def fresh_url(database_url):
    yield fresh_database_url(database_url, "learncom_cli_smoke")
    drop_database(database_url, "learncom_cli_smoke")


@pytest.fixture
def env(fresh_url, tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEARNCOM_")}
    environment.update({
        "FLASK_APP": "wsgi",
        "LEARNCOM_DATABASE_URL": fresh_url,
        "LEARNCOM_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNCOM_SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
    })
    return environment


def flask(env, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(Post)),
                    conn.scalar(select(func.count()).select_from(User)))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def get(url: str) -> tuple[int, str]:
    with _DIRECT.open(url, timeout=10) as response:
        return response.status, response.read().decode()


def test_make_run_steps_on_an_empty_database(env, fresh_url, tmp_path):
    flask(env, "db", "upgrade")
    flask(env, "db", "check")
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600  # generated on first start, private

    flask(env, "learncom", "load-demo")
    posts, users = counts(fresh_url)
    assert posts >= 60 and users >= 15
    flask(env, "learncom", "load-demo")
    assert counts(fresh_url) == (posts, users)

    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file, subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    status, body = get(f"http://127.0.0.1:{port}/healthz")
                    break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                    time.sleep(0.2)
            assert status == 200 and '"ok"' in body
            status, home = get(f"http://127.0.0.1:{port}/")
            assert status == 200 and 'class="card' in home
        finally:
            server.terminate()
            server.wait(timeout=30)
