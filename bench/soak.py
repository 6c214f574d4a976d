"""Soak test: `python -m bench.soak` (`make soak`): no acknowledged write is lost and the search
index heals, when a worker or the whole server is killed under write load.

For each engine pair (SQLite + Whoosh, PostgreSQL + PostgreSQL search), on a fresh database with
a small corpus and `--clients` members:

- round "worker": gunicorn with `--workers` workers; the clients (threads, each its own member
  and session) write for `--seconds`: a new experiment, a log entry on their own experiment, a
  comment on a random post, over and over; half way one worker is SIGKILLed (the master starts
  another);
- round "server": the same, but half way the master and every worker are SIGKILLed, and the
  server is started again a moment later (the clients' writes meanwhile fail: not acknowledged).

A write counts as *acknowledged* when the server answered it with its redirect. Each write
carries a unique word. After each round the database must hold every acknowledged write, and the
search must find every acknowledged experiment, log entry and comment by its word; after the
restart, `flask search check` must be clean within 10 seconds. It prints attempted /
acknowledged / found / lost per kind of write and the check, and exits 1 when anything
acknowledged is missing.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.load import BIN, PASSWORD, ROOT, Server, Stack, say

CHECK_WITHIN_S = 10.0
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_POST_ID = re.compile(r"/posts/(\d+)")


@dataclass
class Tally:
    attempted: Counter = field(default_factory=Counter)
    acknowledged: dict[str, list[str]] = field(default_factory=dict)  # kind -> words
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, kind: str, word: str) -> None:
        with self.lock:
            self.acknowledged.setdefault(kind, []).append(word)


def word(client: int, n: int, kind: str) -> str:
    """A word no other text contains (letters only: digits would look like personal data)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    code = "".join(letters[(client * 7919 + n * 104729 + i * 31) % 26] for i in range(6))
    return f"soak{kind[0]}{code}{letters[client % 26]}{letters[n % 26]}{letters[(n // 26) % 26]}"


class Client(threading.Thread):
    def __init__(self, number: int, email: str, base: str, tally: Tally, stop: threading.Event,
                 posts: list[int]):
        super().__init__(name=f"soak-client-{number}", daemon=True)
        self.number, self.email, self.base, self.tally = number, email, base, tally
        self.stop_event, self.posts = stop, posts
        self.session: requests.Session | None = None
        self.csrf = ""
        self.mine: int | None = None
        self.rng = random.Random(number)
        self.n = 0

    def login(self) -> None:
        session = requests.Session()
        page = session.get(f"{self.base}/account/inloggen", timeout=10)
        self.csrf = _CSRF.search(page.text).group(1)
        answer = session.post(f"{self.base}/account/inloggen", timeout=10, allow_redirects=False,
                              data={"csrf_token": self.csrf, "email": self.email,
                                    "password": PASSWORD})
        if answer.status_code != 302:
            raise RuntimeError(f"log-in answered {answer.status_code}")
        # Logging in starts a new session, with a CSRF token of its own.
        self.csrf = _CSRF.search(session.get(f"{self.base}/", timeout=10).text).group(1)
        self.session = session

    def write(self, kind: str, url: str, data: dict) -> requests.Response | None:
        self.n += 1
        marker = word(self.number, self.n, kind)
        for key, value in data.items():
            data[key] = value.replace("{word}", marker)
        with self.tally.lock:
            self.tally.attempted[kind] += 1
        try:
            answer = self.session.post(f"{self.base}{url}", data={"csrf_token": self.csrf,
                                                                  **data},
                                       timeout=30, allow_redirects=False)
        except requests.RequestException:
            self.session = None  # the server went away: log in again when it is back
            return None
        if answer.status_code == 302 and "inloggen" not in answer.headers.get("Location", ""):
            self.tally.ack(kind, marker)
            return answer
        return None

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if self.session is None:
                    self.login()
                self.step()
            except (requests.RequestException, RuntimeError, AttributeError):
                self.session = None
                time.sleep(0.2)

    def step(self) -> None:
        roll = self.rng.random()
        if self.mine is None or roll < 0.3:
            answer = self.write("experiment", "/posts/nieuw/experiment", {
                "title": "Soaktest {word} in de wijk", "body": "Wat we proberen: {word}.",
                "tags": "soaktest", "visibility": "public", "status": "running",
                "evidence_level": "described", "neighbourhood": ""})
            if answer is not None:
                found = _POST_ID.search(answer.headers["Location"])
                if found:
                    self.mine = int(found.group(1))
        elif roll < 0.6:
            self.write("log entry", f"/posts/{self.mine}/logboek", {
                "log-date": time.strftime("%Y-%m-%d"), "log-text": "Logboek: {word} gedaan."})
        else:
            self.write("comment", f"/posts/{self.rng.choice(self.posts)}/reacties",
                       {"body": "Herkenbaar, bij ons {word} ook."})


def kill_one_worker(server: Server) -> int:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)],
                              capture_output=True, text=True, check=False).stdout.split()
    victim = int(children[0])
    subprocess.run(["kill", "-9", str(victim)], check=False)
    return victim


def kill_server(server: Server) -> None:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)],
                              capture_output=True, text=True, check=False).stdout.split()
    server.process.send_signal(signal.SIGKILL)
    for pid in children:
        subprocess.run(["kill", "-9", pid], check=False)
    server.process.wait()
    server.log.close()


def soak_round(stack: Stack, args, accounts: list[str], posts: list[int], mode: str) -> dict:
    server = Server(stack, args.workers, stack.workdir / f"gunicorn-{mode}.log")
    tally = Tally()
    stop = threading.Event()
    clients = [Client(i, accounts[i % len(accounts)], server.url, tally, stop, posts)
               for i in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(args.seconds / 2)
    if mode == "worker":
        say(f"  SIGKILL worker {kill_one_worker(server)}")
    else:
        say("  SIGKILL the whole server")
        kill_server(server)
        time.sleep(1)
        port = server.port
        server = Server(stack, args.workers, stack.workdir / f"gunicorn-{mode}-restarted.log",
                        port=port)
        say("  server restarted")
    time.sleep(args.seconds / 2)
    stop.set()
    for client in clients:
        client.join(timeout=60)
    # The running server must heal the index by itself (after a restart too): `search check`
    # until clean, at most 10 s.
    check = wait_for_clean_check(stack, args.check_within)
    found = verify(stack, tally)
    server.stop()
    return {"attempted": dict(tally.attempted),
            "acknowledged": {k: len(v) for k, v in tally.acknowledged.items()},
            "found": found, "check": check}


def wait_for_clean_check(stack: Stack, within: float) -> dict:
    started = time.monotonic()
    while True:
        result = subprocess.run([str(BIN / "flask"), "search", "check"], cwd=ROOT,
                                env=stack.env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        if result.returncode == 0 or elapsed > within:
            return {"clean": result.returncode == 0, "seconds": round(elapsed, 1),
                    "output": (result.stdout + result.stderr).strip()[-500:]}
        time.sleep(0.5)


def verify(stack: Stack, tally: Tally) -> dict:
    """Per kind of write: acknowledged words found in the database, and found by search."""
    from sqlalchemy import select

    from learncom.discussion.models import Comment
    from learncom.extensions import db
    from learncom.posts.models import LogEntry, Post
    from learncom.search.services import search

    columns = {"experiment": Post.title, "log entry": LogEntry.body, "comment": Comment.body}
    result = {}
    with stack.context(request=True):
        for kind, words in tally.acknowledged.items():
            column = columns[kind]
            stored = " ".join(db.session.scalars(
                select(column).where(column.like("%soak%"))))
            in_db = [w for w in words if w in stored]
            in_search = [w for w in in_db if search(w).total >= 1]
            result[kind] = {"in_database": len(in_db), "searchable": len(in_search),
                            "lost": sorted(set(words) - set(in_db))[:10],
                            "not_searchable": sorted(set(in_db) - set(in_search))[:10]}
    return result


def print_round(engine: str, mode: str, figures: dict) -> bool:
    ok = figures["check"]["clean"]
    say(f"\n== {engine}, kill the {mode} ==")
    say(f"{'write':12} {'attempted':>10} {'acknowledged':>13} {'in database':>12} "
        f"{'searchable':>11}")
    for kind in ("experiment", "log entry", "comment"):
        acked = figures["acknowledged"].get(kind, 0)
        found = figures["found"].get(kind, {"in_database": 0, "searchable": 0})
        say(f"{kind:12} {figures['attempted'].get(kind, 0):10d} {acked:13d} "
            f"{found['in_database']:12d} {found['searchable']:11d}")
        ok = ok and found["in_database"] == acked and found["searchable"] == acked
    check = figures["check"]
    say(f"search check {'clean' if check['clean'] else 'NOT clean'} after "
        f"{check['seconds']} s" + ("" if check["clean"] else f": {check['output']}"))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--posts", type=int, default=200, help="the corpus to start from")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check-within", type=float, default=CHECK_WITHIN_S,
                        help="seconds the index may take to heal after the last write")
    args = parser.parse_args(argv)

    from bench.load import seed

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="learncom-soak-"))
    figures: dict = {}
    ok = True
    try:
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            say(f"== {engine}: {args.clients} clients, {args.workers} workers, "
                f"{args.seconds} s per round ==")
            stack = Stack(engine, workdir / engine)
            try:
                data = seed(stack, args.posts, args.posts * 3, 20, args.clients)
                posts = public_posts(stack)
                for mode in ("worker", "server"):
                    result = soak_round(stack, args, data["accounts"], posts, mode)
                    ok = print_round(engine, mode, result) and ok
                    figures[f"{engine}/{mode}"] = result
            finally:
                stack.stop()
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    say("\nsoak: " + ("nothing acknowledged was lost, the index healed" if ok else "FAILED"))
    return 0 if ok else 1


def public_posts(stack: Stack) -> list[int]:
    from sqlalchemy import select

    from learncom.extensions import db
    from learncom.posts.models import Post

    with stack.context():
        return list(db.session.scalars(select(Post.id).where(Post.visibility == "public")
                                       .order_by(Post.id).limit(100)))


if __name__ == "__main__":
    sys.exit(main())
