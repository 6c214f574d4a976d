"""Search: one interface (`services`), the Whoosh engine, and the index queue that keeps it true.

Wire it in `create_app` with `learncom.search.init_app(app)`; services call
`learncom.search.enqueue(post.id)` (or `enqueue(post.id, "delete")`) whenever a post, its
comments, tags, log or visibility change.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["Results", "drain", "enqueue", "init_app", "search", "similar", "similar_text"]

_LAZY = {"drain": "queue", "enqueue": "queue", "Results": "services", "search": "services",
         "similar": "services", "similar_text": "services"}


def __getattr__(name: str):
    """Import on first use, so `learncom.models` can import `learncom.search.models` (and the
    posts services `enqueue`) without pulling the engine in at import time."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"learncom.search.{_LAZY[name]}"), name)
    raise AttributeError(name)


class _SearchState:
    def __init__(self, app: Flask):
        from learncom.search.queue import _Drainer

        self.drainer = _Drainer(app)


def init_app(app: Flask) -> None:
    """Register the blueprint, the `flask search` commands and the after-commit drain.
    Safe to call twice."""
    if "learncom_search" in app.extensions:
        return
    import os

    from learncom.search import models  # noqa: F401  (the index_queue table on the metadata)
    from learncom.search.cli import search_cli
    from learncom.search.queue import install_session_hooks
    from learncom.search.views import bp

    app.config.setdefault("SEARCH_INDEX_DIR", os.path.join(app.instance_path, "search-index"))
    app.config.setdefault("SEARCH_SYNC_DRAIN", app.testing)
    app.config.setdefault("SEARCH_DRAIN_AFTER_COMMIT", True)
    app.config.setdefault("SEARCH_TIME_LIMIT", 2.0)
    app.extensions["learncom_search"] = _SearchState(app)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
    install_session_hooks()
