"""What the load benchmark's clients do (`bench/load.py` runs locust with this file).

Members browse as people do: the home page 20 %, the lists 20 %, post pages 35 % (one in ten a
post with a long thread), search 20 % and writing a comment 5 %. Each client logs in once as its
own bench member (so the comment rate limit per member is not what is measured). The plan (post
ids, queries, accounts) comes from the JSON file in $LEARNCOM_LOAD_PLAN, written by
`bench/load.py` from the seeded database.

`HelloClient` requests only `/hello`, a route that returns a fixed string from the same app in
the same gunicorn workers: the ceiling the page mix is compared with.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LEARNCOM_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
# Every request as (name, start time, milliseconds, failed), written when the run stops: the
# benchmark computes exact percentiles over the measured window (log-ins fall in the warm-up).
_requests: list[tuple[str, float, float, bool]] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_kwargs):
    _requests.append((name, time.time() - response_time / 1000, response_time,
                      exception is not None))


@events.quitting.add_listener
def _write(**_kwargs):
    with open(os.environ["LEARNCOM_LOAD_LOG"], "w", encoding="utf-8") as log:  # noqa: PTH123
        json.dump(_requests, log)
_accounts = itertools.cycle(PLAN["accounts"])
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


class Member(HttpUser):
    wait_time = between(0, 0)  # as fast as the server answers: throughput, not a user model

    def on_start(self) -> None:
        self.rng = random.Random()
        email = next(_accounts)
        page = self.client.get("/account/inloggen", name="login (form)")
        self.csrf = _CSRF.search(page.text).group(1)
        answer = self.client.post("/account/inloggen", name="login",
                                  data={"csrf_token": self.csrf, "email": email,
                                        "password": PLAN["password"]}, allow_redirects=False)
        if answer.status_code != 302:
            raise RuntimeError(f"bench login failed for {email}: {answer.status_code}")
        # Logging in starts a new session, with a CSRF token of its own.
        self.csrf = _CSRF.search(self.client.get("/", name="home").text).group(1)

    @task(20)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(20)
    def lists(self) -> None:
        self.client.get(self.rng.choice(PLAN["lists"]), name="list")

    @task(31)
    def post(self) -> None:
        self.client.get(f"/posts/{self.rng.choice(PLAN['posts'])}", name="post")

    @task(4)
    def busy_post(self) -> None:
        self.client.get(f"/posts/{self.rng.choice(PLAN['busy_posts'])}",
                        name=f"post ({PLAN['busy_thread']} comments)")

    @task(20)
    def search(self) -> None:
        self.client.get("/zoeken", params={"q": self.rng.choice(PLAN["queries"])},
                        name="search")

    @task(5)
    def comment(self) -> None:
        post_id = self.rng.choice(PLAN["posts"])
        with self.client.post(f"/posts/{post_id}/reacties", name="comment (POST)",
                              data={"csrf_token": self.csrf, "body": self._text()},
                              allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302:
                answer.failure(f"comment answered {answer.status_code}")

    def _text(self) -> str:
        return self.rng.choice(PLAN["comments"])


class HelloClient(HttpUser):
    wait_time = between(0, 0)

    @task
    def hello(self) -> None:
        self.client.get("/hello", name="hello")
