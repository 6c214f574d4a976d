"""Search: one interface (`services`), two engines (`whoosh/`, `postgres/`), and the session
listener that decides what to re-index (`tracking.py`).

Wire it in `create_app` with `learncom.search.init_app(app)`. Services never call the index:
they change objects and flush, and the listener hands the posts whose documents changed to the
engine before the transaction commits. `reindex(post_ids)` is for changes it cannot see (Core
statements) and for repairs.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["Results", "init_app", "reindex", "search", "similar", "similar_text"]

_LAZY = {"Results": "services", "search": "services", "similar": "services",
         "similar_text": "services", "reindex": "tracking"}


def __getattr__(name: str):
    """Import on first use, so `learncom.models` can import `learncom.search.models` without
    pulling an engine in at import time."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"learncom.search.{_LAZY[name]}"), name)
    raise AttributeError(name)


class _SearchState:
    def __init__(self, app: Flask):
        from learncom.search.services import SimilarRefresher
        from learncom.search.whoosh.queue import _Drainer

        self.drainer = _Drainer(app)
        self.similar = SimilarRefresher(app)
        self.healing_pid: int | None = None


def init_app(app: Flask) -> None:
    """Register the blueprint, the `flask search` commands, the session listener and (Whoosh)
    the after-commit drain. Safe to call twice. Refuses an engine the database cannot run."""
    if "learncom_search" in app.extensions:
        return
    import os

    from learncom import slots
    from learncom.search import (
        models,  # noqa: F401  (the index_queue table on the metadata)
        services,
        tracking,
    )
    from learncom.search.cli import search_cli
    from learncom.search.views import bp
    from learncom.search.whoosh.queue import install_session_hooks

    app.config.setdefault("SEARCH_BACKEND", "whoosh")
    app.config.setdefault("SEARCH_INDEX_DIR", os.path.join(app.instance_path, "search-index"))
    app.config.setdefault("SEARCH_SYNC_DRAIN", app.testing)
    app.config.setdefault("SEARCH_DRAIN_AFTER_COMMIT", True)
    app.config.setdefault("SEARCH_TIME_LIMIT", 2.0)
    app.config.setdefault("SEARCH_HEAL_ON_START", not app.testing)
    # Similar posts ranked and kept in a background thread after a post's text is written
    # and after a page view ranked them (False: ranked at a view, kept per process only).
    # The tests that need it turn it on.
    app.config.setdefault("SEARCH_SIMILAR_AFTER_COMMIT", not app.testing)
    services.check_engine(app)
    app.extensions["learncom_search"] = _SearchState(app)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
    # The post page's similar posts (also on a draft) and the new-post form's "does this exist
    # already?": posts know nothing of search.
    slots.add_post_context(services.post_context, drafts=True)
    slots.add_template("post.related", "search/_similar.html")
    slots.add_template("post_form.checks", "search/_similar_check.html")
    tracking.install()
    install_session_hooks()
    # Whatever a crash left behind is re-indexed in the background (issue 11 item 9).
    app.before_request(lambda: _heal_on_start(app))


def _heal_on_start(app: Flask) -> None:
    if app.config["SEARCH_HEAL_ON_START"]:
        from learncom.search.services import heal_on_start

        heal_on_start(app)
