"""Load benchmark: `python -m bench.load --posts 100000 --comments 1000000 --clients 8`.

For each engine pair (SQLite + Whoosh, then PostgreSQL + PostgreSQL search) in one run:

1. a fresh database (SQLite file, or a PostgreSQL server started for the run with its default
   durability settings) migrated with `flask db upgrade`;
2. the deterministic corpus of `bench/corpus.py` with long threads (`--comments` in all, every
   500th post a thread of `--busy-thread` comments), and `--clients` bench members who can log
   in; the search index built with `flask search rebuild`;
3. SQL statements per page kind, counted in-process through the test client, for a post with a
   short thread and one with a long thread (the count must not grow with the thread); with
   `--rank-similar`, first the similar posts of every post the clients open are ranked and
   kept (a live deployment ranks a post when it is written; a fresh corpus has none);
4. gunicorn with `--workers` workers on loopback serving `bench.load_wsgi:app`, and locust
   (headless, `--duration` seconds per round) with `--clients` clients: first `/hello` only (the
   ceiling: the same app and workers, no database), then the page mix of `bench/locustfile.py`.

It prints requests/s and p50 / p95 / p99 per page kind, the mix as a ratio of the ceiling, and
the goals of the scale issue. `--json FILE` keeps the figures; `--dir DIR` keeps the work
directory (databases, indexes, locust CSVs, server logs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "learncom-bench"  # noqa: S105 - the bench accounts of a throwaway database
GOAL_RATIO = 0.30
GOAL_BUSY_POST_P95_MS = 50.0
GOAL_HOME_P95_MS = 30.0
GOAL_MAX_STATEMENTS = 15
PAGE_KINDS = ("home", "list", "post", "post (busy)", "search", "comment (POST)")
#: The lists the clients open (with the plan, to bench/locustfile.py).
LISTS = ["/experimenten", "/fricties", "/lessen", "/fricties?status=raised",
         "/experimenten?status=running", "/lessen?sort=applied"]


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- one engine pair ---------------------------------------------------------------------------

class Stack:
    """A database (and, for PostgreSQL, its server) with the app's environment for it."""

    def __init__(self, engine: str, workdir: Path, *, keep: bool = False):
        """`keep`: the PostgreSQL server's files stay in `workdir/pg` (for --reuse)."""
        self.engine = engine
        self.workdir = workdir
        self.server = None
        workdir.mkdir(parents=True, exist_ok=True)
        if engine == "postgres":
            from tests.postgres import start_postgres

            self.server = start_postgres(workdir, durability={},
                                         keep=workdir / "pg" if keep else None)
            url = self.server.url
        else:
            url = f"sqlite:///{workdir / 'learncom.db'}"
        self.env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "LEARNCOM_DATABASE_URL": url,
            "LEARNCOM_INSTANCE_PATH": str(workdir / "instance"),
            "LEARNCOM_SECRET_KEY": "bench-load",
            "LEARNCOM_SEARCH_BACKEND": "postgres" if engine == "postgres" else "whoosh",
            # Measure the pages, not the rate limiter (each client is its own member anyway).
            "LEARNCOM_RATELIMIT_ENABLED": "0",
        }

    def flask(self, *args: str) -> None:
        subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def app(self):
        """The app as the servers build it (configuration from the environment)."""
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            from learncom import create_app

            return create_app()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @contextlib.contextmanager
    def context(self, *, request: bool = False):
        """An app context (or a request context) of `app()`; its connections are closed after."""
        from learncom.extensions import db

        app = self.app()
        with app.test_request_context() if request else app.app_context():
            yield app
        with app.app_context():
            db.engine.dispose()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def busy_every(posts: int) -> int:
    """Every 500th post has a long thread; in a small corpus still about twenty posts."""
    from bench.corpus import BUSY_EVERY

    return max(2, min(BUSY_EVERY, posts // 20))


def seed(stack: Stack, posts: int, comments: int, busy_thread: int, clients: int) -> dict:
    from bench.corpus import generate
    from learncom.accounts.models import User
    from learncom.accounts.services import hash_password
    from learncom.extensions import db

    stack.flask("db", "upgrade")
    with stack.context():
        step = max(posts // 10, 1)
        done = [0]

        def progress(n: int) -> None:
            before, done[0] = done[0], done[0] + n
            if done[0] // step != before // step:
                say(f"  corpus: {done[0]:,}/{posts:,} posts")

        stats = generate(posts, progress=progress, comments_per_post=comments / posts,
                         busy_thread=busy_thread, busy_every=busy_every(posts))
        # The first members (role member) become the clients' accounts (a real hash: a real
        # log-in).
        password_hash = hash_password(PASSWORD)
        accounts = []
        members = db.session.query(User).filter(User.role == "member").order_by(User.id)
        for user in members.limit(clients * 2):
            user.password_hash, user.active = password_hash, True
            accounts.append(user.email)
        db.session.commit()
    say(f"  corpus: {stats.posts:,} posts, {stats.comments:,} comments, {stats.users:,} users "
        f"in {stats.seconds:.0f} s")
    started = time.monotonic()
    stack.flask("search", "rebuild", "--procs", "2")
    say(f"  search index built in {time.monotonic() - started:.0f} s")
    return {"posts": stats.posts, "comments": stats.comments, "users": stats.users,
            "seconds": round(stats.seconds, 1), "accounts": accounts,
            "index_seconds": round(time.monotonic() - started, 1)}


def plan(stack: Stack, accounts: list[str], busy_thread: int) -> dict:
    """Post ids (short threads and long ones), queries and comment texts for the clients."""
    from sqlalchemy import func, select

    from bench.corpus import COMMENTS
    from bench.search import MULTI_WORD, ONE_WORD, PHRASES, PREFIXES
    from learncom.extensions import db
    from learncom.posts.models import Post

    with stack.context():
        public = select(Post.id).where(Post.visibility == "public")
        every = busy_every(db.session.scalar(select(func.count()).select_from(Post)))
        busy = list(db.session.scalars(public.where(Post.id % every == 0)
                                       .order_by(Post.id).limit(200)))
        top = db.session.scalar(select(func.max(Post.id)))
        rng = random.Random(11)
        sample = sorted({rng.randint(1, top) for _ in range(3_000)} - set(busy))
        posts = list(db.session.scalars(public.where(Post.id.in_(sample))))
    return {"password": PASSWORD, "accounts": accounts, "posts": posts, "busy_posts": busy,
            "busy_thread": busy_thread, "lists": LISTS,
            "queries": ONE_WORD + MULTI_WORD + PHRASES + PREFIXES,
            "comments": [c.format(wijk="de wijk") for c in COMMENTS]}


@contextlib.contextmanager
def member_client(stack: Stack, the_plan: dict):
    """A test client of `stack`'s app, logged in as the plan's last bench member."""
    with stack.context() as app:
        app.config.update(WTF_CSRF_ENABLED=False)
        client = app.test_client()
        client.post("/account/inloggen", data={"email": the_plan["accounts"][-1],
                                               "password": PASSWORD})
        yield client


def statement_counts(stack: Stack, the_plan: dict) -> dict[str, int]:
    """SQL statements per page kind for a logged-in member, through the test client."""
    from sqlalchemy import event

    from learncom.extensions import db

    counts: dict[str, int] = {}
    with member_client(stack, the_plan) as client:
        # A short thread of the same kind as the long one: kinds show different parts.
        from sqlalchemy import select

        from learncom.posts.models import Post

        busy = the_plan["busy_posts"][0]
        short = db.session.scalar(select(Post.id).where(
            Post.id.in_(the_plan["posts"]), Post.kind == db.session.get(Post, busy).kind)
            .order_by(Post.id).limit(1))
        pages = {"home": "/", "list": "/experimenten", "post": f"/posts/{short}",
                 "post (busy)": f"/posts/{busy}",
                 "search": "/zoeken?q=buurtkamer+eenzaamheid"}
        for kind, url in pages.items():
            client.get(url)  # warm: caches and lazy imports are not what is counted
            seen: list[str] = []

            def listener(_conn, _cursor, statement, *_args, seen=seen,
                         thread=threading.get_ident()):
                # The request's own statements: not those of the background index check.
                if thread != threading.get_ident():
                    return
                if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT",
                                                               "ROLLBACK", "SAVEPOINT",
                                                               "RELEASE")):
                    seen.append(statement)

            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                status = client.get(url).status_code
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            counts[kind] = len(seen)
    return counts


def service_times(stack: Stack, the_plan: dict, n: int = 20) -> dict[str, dict]:
    """Milliseconds per page kind, one request at a time through the test client (no queue,
    no HTTP): what a page costs the worker that serves it. Each request asks for another
    post, list or query, as the clients do, so per-post caches are cold as in the run.
    "post (visitor)" is a post page for someone who is not logged in (other posts than the
    member's): not in the clients' mix, which logs every client in."""
    urls = {
        "home": ["/"] * n,
        "list": [the_plan["lists"][i % len(the_plan["lists"])] for i in range(n)],
        "post": [f"/posts/{post_id}" for post_id in the_plan["posts"][-n:]],
        "post (busy)": [f"/posts/{post_id}" for post_id in the_plan["busy_posts"][-n:]],
        "search": ["/zoeken?" + urlencode({"q": q}) for q in the_plan["queries"][:n]],
    }
    others = the_plan["posts"][:-n] or the_plan["posts"]  # a small corpus has few posts
    visitor = {"post (visitor)": [f"/posts/{post_id}" for post_id in others[-n:]]}
    times: dict[str, dict] = {}
    with member_client(stack, the_plan) as client:
        client.get("/")  # lazy imports and first connections are not what is measured
        for kind, pages in urls.items():
            times[kind] = _timed(client, pages)
        times.update({kind: _timed(client.application.test_client(), pages)
                      for kind, pages in visitor.items()})
    return times


def _timed(client, pages: list[str]) -> dict:
    took = []
    for url in pages:
        started = time.perf_counter()
        status = client.get(url).status_code
        took.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    took.sort()
    return {"mean": round(sum(took) / len(took), 1), "p50": round(took[len(took) // 2], 1),
            "max": round(took[-1], 1)}


def rank_similar(stack: Stack, the_plan: dict) -> None:
    """Rank and keep the similar posts of every post the clients open (`--rank-similar`): the
    steady state of a live deployment, where a post is ranked when it is written. Rankings
    already kept (a `--reuse`d corpus) are kept."""
    from learncom.search import services

    posts = the_plan["posts"] + the_plan["busy_posts"]
    started = time.monotonic()
    with stack.context():
        missing = set(services.posts_without_ranking())
        todo = [post_id for post_id in posts if post_id in missing]
        for start in range(0, len(todo), services.SIMILAR_BATCH):
            services.refresh_similar(todo[start:start + services.SIMILAR_BATCH], every=True)
    say(f"  similar posts kept for the {len(posts):,} posts the clients open "
        f"({len(todo):,} ranked now, in {time.monotonic() - started:.0f} s)")


class Server:
    def __init__(self, stack: Stack, workers: int, log: Path, port: int | None = None, *,
                 threads: int = 1):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--timeout", "120",
             "bench.load_wsgi:app"],
            cwd=ROOT, env=stack.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:  # noqa: S310  # nosec B310
                    self.health = json.loads(answer.read())
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log}") from None
                time.sleep(0.3)

    def worker_memory(self) -> list[float]:
        """Each worker's resident memory in MB (Linux: /proc), read while it still runs."""
        found: list[float] = []
        # Not Linux, or a worker restarted meanwhile: the figures read so far.
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            for pid in children.read_text().split():
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
                found += [round(int(line.split()[1]) / 1024, 1) for line in status
                          if line.startswith("VmRSS:")]
        return found

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def locust(url: str, user_class: str, args, prefix: Path, plan_file: Path) -> dict[str, dict]:
    """Run locust for the warm-up plus `--duration` seconds; figures per request name (and
    "all") over the requests that started after the warm-up."""
    log = Path(f"{prefix}.json")
    started = time.time()
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "--users", str(args.clients), "--spawn-rate", str(args.clients),
         "--run-time", f"{args.warmup + args.duration}s", "--host", url, "--only-summary",
         "--loglevel", "WARNING", "--stop-timeout", "10", user_class],
        cwd=ROOT, env={**os.environ, "LEARNCOM_LOAD_PLAN": str(plan_file),
                       "LEARNCOM_LOAD_LOG": str(log)},
        check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    window_start = started + args.warmup
    requests = [r for r in json.loads(log.read_text()) if r[1] >= window_start]
    window = max(1e-9, max((r[1] + r[2] / 1000 for r in requests), default=window_start)
                 - window_start)
    by_name: dict[str, list] = {"all": requests}
    for request in requests:
        by_name.setdefault(request[0], []).append(request)
    return {name: _figures(rows, window) for name, rows in by_name.items()}


def _figures(rows: list, seconds: float) -> dict:
    times = sorted(r[2] for r in rows)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, round(p / 100 * (len(times) - 1)))] if times else 0.0

    return {"requests": len(rows), "failures": sum(1 for r in rows if r[3]),
            "rps": len(rows) / seconds, "p50": pct(50), "p95": pct(95), "p99": pct(99)}


def measure(stack: Stack, args, data: dict) -> dict:
    the_plan = plan(stack, data["accounts"], args.busy_thread)
    plan_file = stack.workdir / "plan.json"
    plan_file.write_text(json.dumps(the_plan))
    if args.rank_similar:
        rank_similar(stack, the_plan)
    counts = statement_counts(stack, the_plan)
    say("  SQL statements per page: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    alone = service_times(stack, the_plan)
    say("  one request at a time (ms, mean / p50): " + ", ".join(
        f"{k} {v['mean']:.0f} / {v['p50']:.0f}" for k, v in alone.items()))
    server = Server(stack, args.workers, stack.workdir / "gunicorn.log", threads=args.threads)
    try:
        say(f"  serving: {server.health}")
        hello = locust(server.url, "HelloClient", args, stack.workdir / "hello", plan_file)
        mix = locust(server.url, "Member", args, stack.workdir / "mix", plan_file)
        memory = server.worker_memory()
    finally:
        server.stop()
    say(f"  worker memory after the mix (RSS, MB): {', '.join(map(str, memory)) or '-'}")
    return {"statements": counts, "alone_ms": alone, "hello": hello, "mix": mix,
            "health": server.health, "worker_mb": memory}


# -- report ------------------------------------------------------------------------------------

def _name(kind: str, busy_thread: int) -> str:
    return f"post ({busy_thread} comments)" if kind == "post (busy)" else kind


def report(engine: str, result: dict, busy_thread: int) -> list[str]:
    lines = []
    hello = result["hello"].get("hello", {"rps": 0.0, "p50": 0, "p95": 0, "p99": 0})
    total = result["mix"].get("all", {})
    ratio = total.get("rps", 0.0) / hello["rps"] if hello["rps"] else 0.0
    say(f"\n== {engine}: {result['health'].get('database')} + {result['health'].get('search')} ==")
    say(f"{'page kind':24} {'req/s':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5} {'SQL':>4}")
    say(f"{'hello (ceiling)':24} {hello['rps']:8.1f} {hello['p50']:6.0f} {hello['p95']:6.0f} "
        f"{hello['p99']:6.0f} {'':>5} {'0':>4}")
    for kind in PAGE_KINDS:
        row = result["mix"].get(_name(kind, busy_thread))
        if row is None:
            continue
        statements = result["statements"].get(kind, "")
        say(f"{_name(kind, busy_thread):24} {row['rps']:8.1f} {row['p50']:6.0f} "
            f"{row['p95']:6.0f} {row['p99']:6.0f} {row['failures']:5d} {statements!s:>4}")
    say(f"{'page mix (all)':24} {total.get('rps', 0):8.1f} {total.get('p50', 0):6.0f} "
        f"{total.get('p95', 0):6.0f} {total.get('p99', 0):6.0f} "
        f"{total.get('failures', 0):5d}")
    busy = result["mix"].get(_name("post (busy)", busy_thread), {}).get("p95", float("inf"))
    home = result["mix"].get("home", {}).get("p95", float("inf"))
    most = max(result["statements"].values())
    grows = result["statements"]["post (busy)"] > result["statements"]["post"]
    checks = [
        (f"page mix / ceiling = {ratio:.2f}", ratio >= GOAL_RATIO, f">= {GOAL_RATIO}"),
        (f"post with {busy_thread} comments p95 = {busy:.0f} ms", busy <= GOAL_BUSY_POST_P95_MS,
         f"<= {GOAL_BUSY_POST_P95_MS:.0f} ms"),
        (f"home p95 = {home:.0f} ms", home <= GOAL_HOME_P95_MS, f"<= {GOAL_HOME_P95_MS:.0f} ms"),
        (f"most SQL statements on a page = {most}", most <= GOAL_MAX_STATEMENTS,
         f"<= {GOAL_MAX_STATEMENTS}"),
        ("statements grow with the thread" if grows else
         "statements do not grow with the thread", not grows, "constant"),
    ]
    for text, ok, goal in checks:
        lines.append(f"{engine}: {text} (goal {goal}): {'met' if ok else 'NOT met'}")
        say(f"goal: {lines[-1]}")
    result["ratio"] = round(ratio, 3)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--busy-thread", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (gunicorn's gthread worker when more than 1)")
    parser.add_argument("--duration", type=int, default=60, help="measured seconds per round")
    parser.add_argument("--warmup", type=int, default=10,
                        help="seconds before measuring (log-ins, caches, first searchers)")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--dir", type=Path, help="keep the work directory here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--rank-similar", action="store_true",
                        help="rank the similar posts of every post the clients open before "
                             "measuring (the steady state: a live deployment ranks a post "
                             "when it is written)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --dir: measure the corpus seeded there before (after "
                             "`flask db upgrade`) instead of seeding again")
    args = parser.parse_args(argv)
    if args.reuse and args.dir is None:
        parser.error("--reuse needs --dir")

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="learncom-load-"))
    figures: dict = {"posts": args.posts, "comments": args.comments, "clients": args.clients,
                     "workers": args.workers, "threads": args.threads,
                     "duration_s": args.duration, "engines": {}}
    goals: list[str] = []
    try:
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            say(f"== {engine}: {args.posts:,} posts, {args.comments:,} comments ==")
            stack = Stack(engine, workdir / engine, keep=args.dir is not None)
            seeded = stack.workdir / "seeded.json"
            try:
                if args.reuse and seeded.exists():
                    data = json.loads(seeded.read_text())
                    stack.flask("db", "upgrade")  # what is new since it was seeded
                    say(f"  corpus: reused ({data['posts']:,} posts, "
                        f"{data['comments']:,} comments)")
                else:
                    data = seed(stack, args.posts, args.comments, args.busy_thread,
                                args.clients)
                    if args.dir is not None:
                        seeded.write_text(json.dumps(data))
                result = measure(stack, args, data)
            finally:
                stack.stop()
            result["corpus"] = {k: v for k, v in data.items() if k != "accounts"}
            goals += report(engine, result, args.busy_thread)
            figures["engines"][engine] = result
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures["goals"] = goals
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
