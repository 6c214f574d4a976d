"""How long deleting an account takes on the demo data, step by step.

    python -m bench.erasure [--database-url URL]

Loads the Dutch demo data into a fresh SQLite database in a temp dir (or the given, empty,
database), indexes it, then deletes two accounts as the route does: the member with the most
posts with "remove", and the member with the most comments with "anonymise". Prints the time
of the changes and commit, of rewriting the search index, and of cleaning the database files
(SQLite: WAL checkpoint; PostgreSQL: VACUUM FULL of the affected tables).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from learncom import create_app
    from learncom.accounts.models import User
    from learncom.demo.loader import load_demo
    from learncom.discussion.models import Comment
    from learncom.extensions import db
    from learncom.portability.services import sync_search_index
    from learncom.posts.models import Post
    from learncom.privacy import erasure, storage
    from learncom.search.services import purge_deleted

    workdir = Path(tempfile.mkdtemp(prefix="learncom-bench-erasure-"))
    app = create_app({
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(workdir / "index"), "SEARCH_SYNC_DRAIN": False,
        "PASSWORD_HASH_PROFILE": "fast", "SERVER_NAME": "localhost",
    })
    with app.app_context():
        db.create_all()
        load_demo("learncom-demo")
        db.session.commit()
        sync_search_index()
        print(f"{db.engine.dialect.name}: {db.session.scalar(select(func.count(Post.id)))} posts, "
              f"{db.session.scalar(select(func.count(Comment.id)))} comments")
        most_posts = db.session.execute(
            select(Post.author_id, func.count()).where(Post.author_id.is_not(None))
            .group_by(Post.author_id).order_by(func.count().desc()).limit(1)).one()
        most_comments = db.session.execute(
            select(Comment.author_id, func.count())
            .where(Comment.author_id.is_not(None), Comment.author_id != most_posts[0])
            .group_by(Comment.author_id).order_by(func.count().desc()).limit(1)).one()
        for (user_id, count), mode in ((most_posts, "remove"), (most_comments, "anonymise")):
            user = db.session.get(User, user_id)
            started = time.perf_counter()
            report = erasure.erase_member(user, mode, by=user)
            db.session.commit()
            changed = time.perf_counter()
            purge_deleted()
            indexed = time.perf_counter()
            storage.scrub(report.tables)
            cleaned = time.perf_counter()
            print(f"{mode:9} (a member with {count} {'posts' if mode == 'remove' else 'comments'})"
                  f": changes + commit {1000 * (changed - started):7.0f} ms, index rewritten "
                  f"{1000 * (indexed - changed):7.0f} ms, database files cleaned "
                  f"{1000 * (cleaned - indexed):7.0f} ms ({len(report.tables)} tables)")


if __name__ == "__main__":
    main()
