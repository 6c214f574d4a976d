"""Real servers for tests that need processes of their own: gunicorn serving `wsgi:app` (as
`make run` does) and a redis-server. Both listen on 127.0.0.1 only and are stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from learncom import ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a server process: no LEARNCOM_* from outside, the test's database,
    its own instance folder, and `settings` as LEARNCOM_<NAME>."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEARNCOM_")}
    environment.update({
        "FLASK_APP": "wsgi",
        "LEARNCOM_DATABASE_URL": database_url,
        "LEARNCOM_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNCOM_SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "LEARNCOM_SECRET_KEY": "server-test-secret",
    })
    environment.update({f"LEARNCOM_{name}": value for name, value in settings.items()})
    return environment


def _wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert process.poll() is None, f"{what} stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"{what} did not listen within 60 s"
            time.sleep(0.1)


@contextmanager
def gunicorn(environment: dict[str, str], log: Path, *, port: int | None = None,
             workers: int = 1, access_log: Path | None = None):
    """gunicorn serving wsgi:app from the repository (so gunicorn.conf.py applies); yields its
    base URL. Its stdout and stderr (the server log) go to `log`."""
    port = port or free_port()
    args = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--no-control-socket"]
    if access_log is not None:
        args += ["--access-logfile", str(access_log)]
    with log.open("w") as log_file:
        process = subprocess.Popen([*args, "wsgi:app"], cwd=ROOT, env=environment,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, process, log, "gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def redis_server(tmp_path: Path):
    """A throw-away redis-server (Debian's package); yields its redis:// URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not found: apt-get install -y redis-server", pytrace=False)
    port = free_port()
    log = tmp_path / "redis.log"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        log.touch()
        _wait_for(port, process, log, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
