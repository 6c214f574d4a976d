"""Work that waits for a commit: a transaction asks for it (`request(name)`) while it writes,
and it runs once the commit is done, never after a rollback. Mail delivery and the Whoosh index
drain are such work: the outbox row or the queue row is written in the transaction, and sending
or indexing it happens after the commit (in a daemon thread of the process, or at once where
the feature says so: tests, command-line runs).

One pair of session listeners serves every kind of work; `Worker` is the thread a feature wakes
for it (one per process and app, started again in a forked gunicorn worker).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_REQUESTED = "learncom_after_commit"
#: name -> fn(app): what runs after a commit that asked for `name`.
_HANDLERS: dict[str, Callable[[Flask], None]] = {}


def register(name: str, handler: Callable[[Flask], None]) -> None:
    """`handler(app)` runs after every commit whose transaction asked for `name`."""
    _HANDLERS[name] = handler
    _install()


def request(name: str, session: Session | None = None) -> None:
    """Ask for `name`'s work after the current transaction of `session` (default: the app's
    session) commits. Asking twice in one transaction runs it once."""
    from learncom.extensions import db

    target = session if session is not None else db.session
    app = current_app._get_current_object() if has_app_context() else None  # noqa: SLF001
    target.info.setdefault(_REQUESTED, {})[name] = app


def _after_commit(session: Session) -> None:
    requested = session.info.pop(_REQUESTED, None)
    if not requested:
        return
    for name, app in requested.items():
        app = app or (current_app._get_current_object() if has_app_context() else None)  # noqa: SLF001
        handler = _HANDLERS.get(name)
        if app is not None and handler is not None:
            handler(app)


def _after_rollback(session: Session) -> None:
    session.info.pop(_REQUESTED, None)


_installed = False


def _install() -> None:
    """Listen on every SQLAlchemy session (once per process)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        _installed = True


class Worker:
    """A daemon thread per process and app that runs `job()` in an app context whenever it is
    woken (a burst of wakes runs it once or twice, never in parallel). `job` may return a number
    of seconds after which to run again by itself (e.g. mail waiting for its retry), or None."""

    def __init__(self, app: Flask, name: str, job: Callable[[], float | None]):
        self.app = app
        self.name = name
        self.job = job
        self.event = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None
        self.lock = threading.Lock()

    def wake(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()  # a forked worker starts its own thread
                self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self.thread.start()
        self.event.set()

    def _run(self) -> None:
        again: float | None = None
        while True:
            self.event.wait(again)
            self.event.clear()
            try:
                with self.app.app_context():
                    again = self.job()
            except Exception:
                self.app.logger.exception("%s failed", self.name)
                again = None
