"""Fixtures for the search tests: the app with search wired in, and a helper that indexes posts
the way the services will (enqueue in the transaction, commit, drain after commit)."""

from __future__ import annotations

import pytest

import learncom.search.models  # noqa: F401  (index_queue on the metadata before create_all)
from learncom.extensions import db


@pytest.fixture
def search_app(app):
    from learncom.search import init_app
    from learncom.search.models import IndexQueue
    from learncom.search.whoosh_backend import POOL

    init_app(app)
    # The session-wide create_all already made the table when this module was imported before
    # it ran; checkfirst keeps this a no-op then.
    IndexQueue.__table__.create(db.engine, checkfirst=True)
    yield app
    POOL.close(app.config["SEARCH_INDEX_DIR"])


@pytest.fixture
def index(search_app):
    """index(post, ...) queues the posts and commits: the after-commit hook drains them."""
    from learncom.search import enqueue

    def do(*posts, op: str = "upsert"):
        for post in posts:
            enqueue(post.id if hasattr(post, "id") else post, op)
        db.session.commit()

    return do


@pytest.fixture
def post_factory(search_app, create_post):
    """create_post in a search test: its commit queues the post and drains the queue."""
    return create_post
