"""Page timings and SQL statement counts on the demo data, through the Flask test client.

    python -m bench.pages [--repeat 30]

Loads the Dutch demo data into a fresh SQLite database in a temp dir, then requests the main
pages as an anonymous visitor and as a logged-in member, and prints p50 / p95 and the number of
SQL statements per page. The post page is measured on the post with the most comments, and again
after its thread has grown to 50 more comments: the statement count must stay the same.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


PAGES = ["/", "/experimenten", "/fricties?status=raised", "/lessen", "/tags", "/tags/{tag}",
         "/wijken", "/wijken/{hood}", "/posts/{post}", "/leden", "/zoeken?q=schuldhulp",
         "/zoeken?q=buurtkamer+eenzaamheid"]
MEMBER = {"email": "buurvrouw.ria@demo.learncom.nl", "password": "learncom-demo"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from learncom import create_app
    from learncom.demo.loader import load_demo
    from learncom.discussion import services as discussion
    from learncom.discussion.models import Comment
    from learncom.extensions import db
    from learncom.portability.services import sync_search_index
    from learncom.posts.models import Post

    workdir = Path(tempfile.mkdtemp(prefix="learncom-bench-pages-"))
    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(workdir / "index"), "WTF_CSRF_ENABLED": False,
        "SEARCH_SYNC_DRAIN": True, "PASSWORD_HASH_PROFILE": "fast",
        "RATELIMIT_ENABLED": False,  # page timings, not rate limits
    })
    with app.app_context():
        db.create_all()
        load_demo("learncom-demo")
        db.session.commit()
        sync_search_index()  # as `flask learncom load-demo` does
        busiest = db.session.execute(
            select(Comment.post_id, func.count()).group_by(Comment.post_id)
            .order_by(func.count().desc()).limit(1)).one()[0]
        tag = db.session.get(Post, busiest).tags[0].name
        hood = db.session.scalar(select(Post).where(Post.neighbourhood_id.is_not(None))
                                 ).neighbourhood.slug
    urls = [page.format(tag=tag, hood=hood, post=busiest) for page in PAGES]

    # Requests run outside any app context, each with its own session as in production; a
    # request inside the loader's context would share its session and find every row cached.
    statements: list[str] = []
    event.listen(Engine, "before_cursor_execute",  # also engines with execution options
                 lambda _c, _cur, sql, *_a: statements.append(sql))

    def measure(client, url: str) -> tuple[float, float, int]:
        client.get(url)  # warm up
        timings = []
        for _ in range(args.repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        count = sum(1 for sql in statements
                    if not sql.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT")))
        return statistics.median(timings), _percentile(timings, 95), count

    def client_for(who: str):
        client = app.test_client()
        if who == "member":
            client.post("/account/inloggen", data=MEMBER)
        return client

    print(f"{'page':45} {'who':9} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4}")
    counts = {}
    for who in ("anonymous", "member"):
        client = client_for(who)
        for url in urls:
            p50, p95, count = measure(client, url)
            counts[url, who] = count
            print(f"{url:45} {who:9} {p50:7.1f} {p95:7.1f} {count:4d}")

    with app.app_context():
        post = db.session.get(Post, busiest)
        before = len(post.comments)
        for n in range(50):
            discussion.add_comment(post, post.author, f"Nog een reactie {n}")
        db.session.commit()
    p50, p95, count = measure(client_for("member"), f"/posts/{busiest}")
    print(f"\npost page with {before} comments: {counts[f'/posts/{busiest}', 'member']} SQL "
          f"statements; with {before + 50} comments: {count} (p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms)")


if __name__ == "__main__":
    main()
