"""Which posts to re-index, decided in one place: a listener on every SQLAlchemy session.

Services change objects and flush; they never think about the index. At each flush this module
looks at the flushed objects of the models in `documents.sources()` (posts, comments, log
entries, tags, neighbourhoods, members' names and kinds, moderation state, and the add-ons'
contributions such as lesson applications)
and, for those whose declared attributes changed, asks the source which posts' documents hold
them. Before the transaction commits, the engine gets those posts (`backend.index`, or `delete`
for posts that are gone) *in the same transaction*: the Whoosh engine writes queue rows, the
PostgreSQL engine writes the documents. Both or neither happen.

    view commits -> before_commit: backend.index(session, posts)   (same transaction)
                 -> commit
                 -> after_commit: the Whoosh engine drains its queue (see whoosh/queue.py)

Changes made with Core statements (`session.execute(update(Post)...)`) are not seen; call
`reindex(post_ids)` after them. Sessions outside an app context are not tracked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from learncom.extensions import db
from learncom.posts.models import Post
from learncom.search import documents

_CHANGED = "learncom_search_changed"  # post ids to re-index
_DELETED = "learncom_search_deleted"  # post ids deleted in this transaction
_SIMILAR = "learncom_search_similar"  # post ids whose similar posts to look at after commit


def _sources() -> dict[type, object]:
    return {source.model: source for source in documents.sources()}


def reindex(post_ids: Iterable[int], session: Session | None = None) -> None:
    """Re-index these posts when the current transaction commits (for changes the listener
    cannot see, and for repairs)."""
    target = session if session is not None else db.session
    target.info.setdefault(_CHANGED, set()).update(post_ids)


def _changed(obj, source) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in source.attributes)


def _collect(session: Session, objects: Iterable, *, check: bool) -> set[int]:
    sources = _sources()
    rows: dict[type, list] = defaultdict(list)
    for obj in objects:
        source = sources.get(type(obj))
        if source is not None and (not check or _changed(obj, source)):
            rows[type(obj)].append(obj)
    posts: set[int] = set()
    for model, found in rows.items():
        posts.update(sources[model].posts(session, found))
    return posts


def _before_flush(session: Session, _context, _instances) -> None:
    # Deleted rows: ask while they (and what points at them) are still in the database.
    if not session.deleted:
        return
    deleted = [obj for obj in session.deleted if isinstance(obj, Post)]
    if deleted:
        session.info.setdefault(_DELETED, set()).update(post.id for post in deleted)
    others = [obj for obj in session.deleted if not isinstance(obj, Post)]
    if others:
        session.info.setdefault(_CHANGED, set()).update(_collect(session, others, check=False))


def _after_flush(session: Session, _context) -> None:
    # New and changed rows: ids and foreign keys are set now; the history is still there.
    found = _collect(session, session.new, check=False)
    found |= _collect(session, session.dirty, check=True)
    if found:
        session.info.setdefault(_CHANGED, set()).update(found)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not has_app_context():
        return
    session.flush()  # whatever is pending, so the listener has seen it all
    changed = session.info.pop(_CHANGED, set())
    deleted = session.info.pop(_DELETED, set())
    if not (changed or deleted):
        return
    from learncom.search.services import get_backend  # services imports this module

    backend = get_backend(current_app)
    if deleted:
        backend.delete(session, sorted(deleted))
    changed -= deleted
    if changed:
        backend.index(session, sorted(changed))
        if backend.name == "postgres":
            # Searchable at the commit: their similar posts are looked at after it (the
            # Whoosh engine's drain does that once it has indexed them).
            session.info.setdefault(_SIMILAR, set()).update(changed)


def _after_commit(session: Session) -> None:
    posts = session.info.pop(_SIMILAR, None)
    if posts and has_app_context():
        from learncom.search.services import similar_later

        similar_later(posts)


def _forget(session: Session, previous) -> None:
    # The whole transaction was rolled back (not a savepoint): nothing of it is to be indexed.
    if previous.parent is None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_DELETED, None)
        session.info.pop(_SIMILAR, None)


_installed = False


def install() -> None:
    """Listen on every SQLAlchemy session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _forget)
    _installed = True
