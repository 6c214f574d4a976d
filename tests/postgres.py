"""A throwaway PostgreSQL server for the test run (`pytest --postgres`).

`start_postgres(tmp_dir)` runs initdb into a fresh data directory, starts the server on a free
127.0.0.1 port (and a private unix socket) with durability switched off (fsync, full-page writes
and synchronous commit: a test database need not survive a crash), creates a database and waits
until it answers. `server.stop()` stops it and removes the data directory.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` system user
(`runuser -u postgres --`) on a directory that user owns. A missing PostgreSQL is an error, never
a skip: `apt-get install postgresql` (Debian) provides it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DATABASE = "learncom_test"
SUPERUSER = "postgres"
READY_TIMEOUT = 30.0


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started."""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl: $LEARNCOM_PG_BINDIR, PATH, or Debian's layout."""
    given = os.environ.get("LEARNCOM_PG_BINDIR")
    candidates = [Path(given)] if given else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                    reverse=True)
    candidates.extend(debian)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them with "
        "`apt-get install -y postgresql` or point LEARNCOM_PG_BINDIR at their directory."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path  # holds data/, the socket and the log; removed on stop()
    port: int
    run_as: str | None  # system user to run the server tools as (None: the current user)
    database: str = DATABASE
    kept: bool = False  # stop() leaves the data directory (see start_postgres's `keep`)
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    def dsn(self, database: str | None = None) -> str:
        return (f"host=127.0.0.1 port={self.port} user={SUPERUSER} "
                f"dbname={database or self.database}")

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True,
                                check=False)
        if check and result.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                f"\n{self.server_log()}"
            )
        return result

    def server_log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            # A kept server shuts down cleanly (fsync is off: only a clean stop writes it all).
            self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m",
                     "fast" if self.kept else "immediate", "-w", check=False)
        if not self.kept:
            shutil.rmtree(self.root, ignore_errors=True)


def _connect(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=2)


def _wait_until_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with _connect(server.dsn("postgres")) as conn:
                conn.execute("SELECT 1")
            return
        except Exception as error:  # noqa: BLE001 - any failure means "not yet"
            last_error = error
            time.sleep(0.1)
    raise PostgresUnavailable(
        f"PostgreSQL did not answer within {READY_TIMEOUT:.0f} s: {last_error}\n"
        f"{server.server_log()}"
    )


def _prepare_root(tmp_dir: Path, run_as: str | None) -> Path:
    """A directory the server's user owns. As root the pytest tmp dir (mode 0700, owned by root)
    is not reachable for `postgres`, so a private directory under the system temp dir is used."""
    if run_as is None:
        root = Path(tmp_dir) / "postgres"
        root.mkdir(parents=True, exist_ok=True)
        return root
    root = Path(tempfile.mkdtemp(prefix="learncom-pg-"))
    account = pwd.getpwnam(run_as)
    os.chown(root, account.pw_uid, account.pw_gid)
    root.chmod(0o700)
    return root


def _kept_root(root: Path, run_as: str | None) -> Path:
    """`root`, created if needed, owned by the server's user."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(root, account.pw_uid, account.pw_gid)
    root.chmod(0o700)
    return root


# A test database need not survive a crash: no fsync, no full-page writes, no waiting for WAL.
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}


def start_postgres(tmp_dir: Path, *, attempts: int = 3,
                   durability: dict[str, str] | None = None,
                   tuning: dict[str, str] | None = None,
                   keep: Path | None = None) -> PostgresServer:
    """Initialise and start a PostgreSQL server with a fresh `learncom_test` database.
    `durability`: settings instead of TEST_SETTINGS ({} for PostgreSQL's own defaults, as the
    load benchmark uses); `tuning`: more postgresql.conf settings (the benchmarks give it more
    memory); `keep`: a directory to hold the server's files, kept when it stops and started
    again as it is when it already holds a data directory (a benchmark's corpus, reused)."""
    bindir = find_bindir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError as error:
            raise PostgresUnavailable(
                "running as root needs the `postgres` system user (created by the Debian "
                "postgresql package) to run initdb and pg_ctl"
            ) from error
        run_as = SUPERUSER
    root = _prepare_root(Path(tmp_dir), run_as) if keep is None else _kept_root(keep, run_as)
    server = PostgresServer(bindir=bindir, root=root, port=0, run_as=run_as, kept=keep is not None)
    existing = (server.data_dir / "PG_VERSION").exists()
    try:
        if not existing:
            server.run("initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "-A", "trust",
                       "-E", "UTF8", "--no-locale", "--no-sync")
        for _attempt in range(attempts):
            server.port = _free_port()
            settings = {
                "port": str(server.port),
                "listen_addresses": "'127.0.0.1'",
                "unix_socket_directories": f"'{server.root}'",
                **(TEST_SETTINGS if durability is None else durability),
                "max_connections": "100",
                "log_min_messages": "warning",
                **(tuning or {}),
            }
            # Written anew each attempt (and each start of a kept server): the last port only.
            (server.data_dir / "postgresql.auto.conf").write_text(
                "".join(f"{key} = {value}\n" for key, value in settings.items()))
            started = server.run("pg_ctl", "start", "-D", str(server.data_dir), "-w",
                                 "-t", str(int(READY_TIMEOUT)), "-l", str(server.log_file),
                                 "-o", "-F", check=False)
            if started.returncode == 0:
                break
            # Most likely the port was taken between choosing and binding it: try another.
            with contextlib.suppress(PostgresUnavailable):
                server.run("pg_ctl", "stop", "-D", str(server.data_dir), "-m", "immediate",
                           check=False)
        else:
            raise PostgresUnavailable(
                f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{server.server_log()}"
            )
        _wait_until_ready(server)
        if not existing:
            with _connect(server.dsn("postgres")) as conn:
                conn.execute(f'CREATE DATABASE "{server.database}"')
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    return server


def fresh_database_url(database_url: str, name: str) -> str:
    """A new, empty database beside the test run's database (PostgreSQL), or a URL for a new
    SQLite file named `name` beside the test run's file. Drop it with `drop_database`."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.set(database=str(Path(url.database).with_name(f"{name}.db"))))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str, name: str) -> None:
    """Undo `fresh_database_url` (closing whatever connections are still open)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        Path(url.database).with_name(f"{name}.db").unlink(missing_ok=True)
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
