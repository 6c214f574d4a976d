"""Rate limits: how much one visitor, address or member may do, in one table (Flask-Limiter).

Each rule has a name (its own counter), a limit, what it counts by (the client's IP address,
the e-mail address typed in the form, or the logged-in member) and the pages it guards. A limit
can be changed per site with ``RATELIMITS = {"comments": "5 per minute"}`` in the config.
Too many requests get the Dutch 429 page (JSON under /api/) with ``Retry-After``.

Counters live in ``RATELIMIT_STORAGE_URI`` (LEARNCOM_RATELIMIT_STORAGE_URI): ``memory://`` (the
default) counts per process, so with several gunicorn workers each has its own counters; use
``redis://host:6379`` to share them between processes and machines. If that storage is down the
site keeps working without limits (and logs it). The per-account log-in throttle does not depend
on it: it lives in the database (learncom/accounts/sessions.py).

``RATELIMIT_ENABLED = False`` turns every limit off (the test suite does, except the rate-limit
tests). Behind a reverse proxy set LEARNCOM_PROXIES to the number of proxies in front, so the
client's address is read from X-Forwarded-For (else every visitor would share the proxy's).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user

from learncom import errors


def by_ip() -> str:
    return request.remote_addr or "-"


def by_address() -> str:
    """The e-mail address typed in the form (a keyed hash of it), else the client's IP."""
    email = (request.form.get("email") or "").strip().lower()
    if not email:
        return f"ip:{by_ip()}"
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return "address:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]


def by_member() -> str:
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"ip:{by_ip()}"


def succeeded(response) -> bool:
    """Count only what got through: a redirect after a saved form, not a form with errors."""
    return response.status_code in (302, 303)


@dataclass(frozen=True)
class Rule:
    limit: str
    key: Callable[[], str]
    endpoints: tuple[str, ...]
    methods: tuple[str, ...] | None = ("POST",)
    deduct_when: Callable | None = None


RULES: dict[str, Rule] = {
    "login_ip": Rule("20 per minute; 100 per hour", by_ip, ("accounts.login",)),
    "register_ip": Rule("10 per hour", by_ip,
                        ("accounts.register", "accounts.resend_confirmation")),
    "register_address": Rule("3 per hour", by_address, ("accounts.register",)),
    "reset_ip": Rule("10 per hour", by_ip, ("accounts.forgot_password",)),
    "reset_address": Rule("3 per hour", by_address, ("accounts.forgot_password",)),
    # Every attempt counts (a wrong password too); the address rule caps mail to one address.
    "email_change": Rule("10 per hour", by_member, ("accounts.change_email",)),
    "email_change_address": Rule("3 per hour", by_address, ("accounts.change_email",)),
    "posts": Rule("20 per hour", by_member, ("posts.new",), deduct_when=succeeded),
    "comments": Rule("10 per minute; 100 per hour", by_member, ("discussion.add",),
                     deduct_when=succeeded),
    "flags": Rule("20 per hour", by_member, ("moderation.flag_post", "moderation.flag_comment"),
                  deduct_when=succeeded),
    "search": Rule("60 per minute", by_ip, ("search.results",), methods=("GET",)),
    # "Similar posts" is asked while someone types a new post.
    "similar": Rule("120 per minute", by_ip, ("search.similar",), methods=None),
    "api": Rule("120 per minute", by_ip, ("api.*", "search.api_search"), methods=None),
}


def _limit_value(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get("RATELIMITS", {}).get(name, RULES[name].limit)


def _endpoints(app: Flask, patterns: tuple[str, ...]) -> list[str]:
    found = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            found += [e for e in app.view_functions if e.startswith(pattern[:-1])]
        elif pattern in app.view_functions:
            found.append(pattern)
        else:
            raise LookupError(f"rate limit for unknown endpoint {pattern!r}")
    return found


def init_app(app: Flask) -> None:
    """Guard the endpoints in RULES (call it after every blueprint is registered)."""
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "learncom")
    # A storage that is down means no limits for a while, never a site that answers 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter = Limiter(key_func=by_ip)
    limiter.init_app(app)
    app.extensions["learncom_limiter"] = limiter
    if not app.config["RATELIMIT_ENABLED"]:
        return
    for name, rule in RULES.items():
        for endpoint in _endpoints(app, rule.endpoints):
            app.view_functions[endpoint] = limiter.shared_limit(
                _limit_value(name), scope=name, key_func=rule.key,
                methods=list(rule.methods) if rule.methods else None,
                deduct_when=rule.deduct_when)(app.view_functions[endpoint])

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(_error):
        current = limiter.current_limit
        wait = math.ceil(current.reset_at - time.time()) if current is not None else 60
        return errors.respond(429, retry_after=max(1, wait))
