"""Configuration from LEARNCOM_* environment variables; secrets never live in the repo."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from learncom.web import DEFAULT_SITE_URL, trusted_hosts


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LEARNCOM_{name}", default)


def _secret_key(instance_path: Path) -> str:
    """Use LEARNCOM_SECRET_KEY, else a random key kept in instance/ so sessions survive restarts."""
    given = _env("SECRET_KEY")
    if given:
        return given
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict:
    """Build the settings dict for a normal (non-test) app."""
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance_path / 'learncom.db'}"
    site_url = _env("SITE_URL", DEFAULT_SITE_URL)
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": _env("SEARCH_INDEX_DIR") or str(instance_path / "search-index"),
        # "whoosh" (an index on this machine's disk) or "postgres" (in the database itself;
        # needs a PostgreSQL LEARNCOM_DATABASE_URL, for several web machines).
        "SEARCH_BACKEND": _env("SEARCH_BACKEND", "whoosh"),
        "MAX_CONTENT_LENGTH": int(_env("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env("SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env("SECURE_COOKIES", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "SITE_NAME": _env("SITE_NAME", "learncom"),
        "PER_PAGE": int(_env("PER_PAGE", "20")),
        "WTF_CSRF_TIME_LIMIT": None,
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": int(_env("SMTP_PORT", "587")),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env("SMTP_STARTTLS", "1") == "1",
        "MAIL_FROM": _env("MAIL_FROM", "learncom@localhost"),
        # The site's address: every absolute URL (mail, feeds, API) is built from it, never
        # from the request's Host header. E.g. "https://learncom.example.nl".
        "SITE_URL": site_url,
        # Requests for any other Host are answered 400 (default: the site's host, localhost
        # and 127.0.0.1; LEARNCOM_TRUSTED_HOSTS="a.example,b.example" to list them).
        "TRUSTED_HOSTS": trusted_hosts(site_url, _env("TRUSTED_HOSTS")),
        # Rate-limit counters: memory:// per process; redis://host:6379 shared by every worker
        # and machine (see learncom/ratelimit.py).
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        # "0" turns every limit off (load benchmarks; never on a public site).
        "RATELIMIT_ENABLED": _env("RATELIMIT_ENABLED", "1") != "0",
        # How many reverse proxies stand in front (their X-Forwarded-For gives the client).
        "PROXIES": int(_env("PROXIES", "0")),
    }


SUPPORTED_LOCALES = ("nl", "en")
