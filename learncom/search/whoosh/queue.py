"""Keeping the Whoosh index true: queue rows in the writer's transaction, `drain` after commit.

    service changes a post  ->  the session listener (tracking.py), before commit:
                                WhooshBackend.index -> add(session, post_ids)
                                                        (same transaction: both or neither)
    view commits            ->  after commit               (learncom/aftercommit.py; only if
                                                        this session queued rows)
                            ->  drain in the background  (web requests never wait on the index)

`drain()` takes Whoosh's writer lock without waiting. If another process holds it, that process
drains everything (it re-reads the queue after releasing the lock, so a row committed while it
was busy is never stranded), and this one returns at once: several gunicorn workers never
collide and never raise `LockError`. Queue rows are deleted only after the index committed
them, and only the rows that were processed; a crash anywhere in between loses nothing (the
next drain or `flask search sync` redoes them; indexing is idempotent).

Why a background thread and not `response.call_on_close`: a merge can take hundreds of
milliseconds on a large index, and `call_on_close` still ties up the worker that served the
request (with sync gunicorn workers the next request queues behind it). One daemon thread per
process waits on an Event, so a burst of commits coalesces into one drain. In TESTING (config
`SEARCH_SYNC_DRAIN`, default: app.testing) the drain runs synchronously in the hook, so tests are
deterministic; `SEARCH_SYNC_TIDY = False` skips the merging there (most tests
never need it); `SEARCH_DRAIN_AFTER_COMMIT = False` turns the hook off (to simulate a crash
between commit and drain, or for bulk imports followed by one `flask search sync`).

Reading the queue and posts uses its own short sessions, never the committing one (a session
may not run SQL inside its after_commit hook), and the read happens while the index lock is
held, so two drains never index different versions of the same post in the wrong order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from flask import Flask
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from learncom import aftercommit
from learncom.extensions import db
from learncom.search.documents import documents_for
from learncom.search.models import OPS, IndexQueue

log = logging.getLogger(__name__)

BATCH = 500
MAX_PER_COMMIT = 5_000
MAX_ROUNDS = 1_000


class Busy(Exception):  # noqa: N818 - reads as "the index is busy"
    """Another process holds the index writer; it drains the queue, so this one need not."""


def add(session: Session, post_ids, op: str = "upsert") -> None:
    """Queue posts for (re)indexing in the session's transaction, and drain after its commit."""
    if op not in OPS:
        raise ValueError(f"unknown index operation {op!r}")
    rows = [{"post_id": post_id, "op": op} for post_id in post_ids]
    if not rows:
        return
    session.execute(insert(IndexQueue), rows)
    aftercommit.request("search-drain", session)


@dataclass
class DrainResult:
    processed: int = 0  # queue rows handled
    busy: bool = False  # another process held the writer (and drains for us)


def drain(backend=None, *, batch: int = BATCH, tidy: bool = True) -> DrainResult:
    """Index everything in the queue; return at once if another writer holds the index. Then
    (`tidy`) merge small segments if there are many; the background drainer leaves that to
    its own thread, so a merge never delays the next drain."""
    if backend is None:
        from learncom.search.services import get_backend

        backend = get_backend()
    engine = db.engine
    result = DrainResult()
    for _round in range(MAX_ROUNDS):
        try:
            with backend.writing() as writer:
                done, posts = _index_queued(engine, writer, batch)
        except Busy:
            result.busy = True
            return result
        _forget(engine, done)
        if posts:
            # Searchable now: their similar posts are looked at (in the background).
            from learncom.search.services import similar_later

            similar_later(posts)
        result.processed += len(done)
        # Re-read after releasing the lock: a row committed while we held it, whose own drain
        # found the lock taken, is ours to do.
        if not done and not pending(engine):
            if not (tidy and result.processed and tidy_index(backend, engine)):
                break
            if not pending(engine):  # rows queued while merging
                break
    return result


def tidy_index(backend=None, engine=None) -> int:
    """Merge small segments until there is nothing left to merge; returns how many."""
    if backend is None:
        from learncom.search.services import get_backend

        backend = get_backend()
    load = partial(_load, engine or db.engine)
    merged = total = 0
    for _round in range(10):
        merged = backend.tidy(load)
        total += merged
        if not merged:
            break
        # A drain that found the writer taken while the merge swapped in left its rows to
        # the holder of the lock: that was us.
        if pending(engine):
            drain(backend, tidy=False)
    return total


def _load(engine, post_ids: list[int]) -> dict:
    with read_session(engine) as session:
        return documents_for(session, post_ids)


def read_session(engine=None) -> Session:
    """A session for long reads: a deferred BEGIN on SQLite, so it never holds the write lock
    (see `learncom.extensions.configure_sqlite`)."""
    return Session((engine or db.engine).execution_options(learncom_read_only=True))


def _index_queued(engine, writer, batch: int) -> tuple[list[int], list[int]]:
    """(queue row ids done, post ids indexed)."""
    done: list[int] = []
    indexed: list[int] = []
    last = 0
    while len(done) < MAX_PER_COMMIT:
        with read_session(engine) as session:
            rows = session.execute(
                select(IndexQueue.id, IndexQueue.post_id).where(IndexQueue.id > last)
                .order_by(IndexQueue.id).limit(batch)).all()
            if not rows:
                break
            post_ids = sorted({row.post_id for row in rows})
            documents = documents_for(session, post_ids)
        # The database says what the post is now; the queued op only said "look again".
        for post_id in post_ids:
            if post_id in documents:
                writer.upsert(documents[post_id])
                indexed.append(post_id)
            else:
                writer.delete(post_id)
        done += [row.id for row in rows]
        last = rows[-1].id
    return done, indexed


def _forget(engine, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        with Session(engine) as session:
            session.execute(delete(IndexQueue).where(IndexQueue.id.in_(ids[start:start + 500])))
            session.commit()


def visible_ids(session: Session) -> list[int]:
    """The queue rows this session's snapshot sees. A rebuild that reads the posts afterwards
    (in this snapshot or a later one) covers them, so they can be forgotten after the swap.
    Not "every id up to the highest": on PostgreSQL a smaller id may still be uncommitted."""
    return list(session.scalars(select(IndexQueue.id).order_by(IndexQueue.id)))


def forget(ids: list[int], engine=None) -> None:
    _forget(engine or db.engine, ids)


def pending(engine=None) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(IndexQueue)) or 0


def sync(backend=None, *, wait: float = 120.0) -> DrainResult:
    """Drain until the queue is empty, waiting for another writer if needed (CLI)."""
    deadline = time.monotonic() + wait
    total = DrainResult()
    while True:
        result = drain(backend)
        total.processed += result.processed
        if not result.busy and not pending():
            return total
        if time.monotonic() > deadline:
            total.busy = True
            return total
        time.sleep(0.2)


# -- after commit ----------------------------------------------------------------------------

class _Drainer:
    """The background drain of a process, and beside it the merging of small segments, in a
    thread of its own so that a merge never delays the next change."""

    def __init__(self, app: Flask):
        self.merger = aftercommit.Worker(app, "search-merge", self._merge)
        self.drainer = aftercommit.Worker(app, "search-drain", self._drain)

    def _drain(self) -> None:
        if drain(tidy=False).processed:
            self.merger.wake()

    @staticmethod
    def _merge() -> None:
        tidy_index()

    def wake(self) -> None:
        self.drainer.wake()


def drain_after_commit(app: Flask) -> None:
    if not app.config.get("SEARCH_DRAIN_AFTER_COMMIT", True):
        return
    if app.config.get("SEARCH_SYNC_DRAIN", app.testing):
        try:
            with app.app_context():
                drain(tidy=app.config.get("SEARCH_SYNC_TIDY", True))
        except Exception:
            # The data is committed and the rows stay queued; never fail the request for it.
            app.logger.exception("search: draining the index queue failed")
        return
    state = app.extensions.get("learncom_search")
    if state is not None:
        state.drainer.wake()



def install_session_hooks() -> None:
    """Drain the queue after the commit of every transaction that queued something."""
    aftercommit.register("search-drain", drain_after_commit)
