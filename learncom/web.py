"""Web plumbing shared by all pages: the app class (trusted absolute URLs), security headers,
Jinja helpers, safe redirects, paging."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Flask, Request, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from learncom import vocab

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


DEFAULT_SITE_URL = "http://localhost:5000"
HSTS_SECONDS = 365 * 24 * 3600


def trusted_hosts(site_url: str, extra: str | None = None) -> list[str]:
    """The hosts the site answers to: the site URL's host, localhost and 127.0.0.1, or the
    comma-separated list `extra` (LEARNCOM_TRUSTED_HOSTS) when given. Ports never matter."""
    if extra:
        return [host.strip() for host in extra.split(",") if host.strip()]
    hosts = [urlsplit(site_url).hostname or "localhost", "localhost", "127.0.0.1"]
    return list(dict.fromkeys(hosts))


class App(Flask):
    """Flask, with every absolute URL built from the configured site address (SITE_URL),
    never from the request's Host header: a forged Host can never reach a mail, a feed or the
    API. Outside a request (the CLI) URLs are built for the same address, without SERVER_NAME
    (which would also change routing)."""

    def _site(self):
        return urlsplit(self.config.get("SITE_URL") or DEFAULT_SITE_URL)

    def create_url_adapter(self, request):
        adapter = super().create_url_adapter(request)
        if adapter is None and request is None:
            site = self._site()
            adapter = self.url_map.bind(site.netloc, script_name=site.path.rstrip("/") or "/",
                                        url_scheme=site.scheme or "http")
        return adapter

    def url_for(self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None,
                **values):
        in_request = has_request_context()
        external = _external if _external is not None else (_scheme is not None
                                                             or not in_request)
        if not external:
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _scheme=_scheme, _external=False, **values)
        site = self._site()
        path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False,
                               **values)
        root = request.script_root if in_request else site.path.rstrip("/")
        if root and path.startswith(root):
            path = path[len(root):]
        return f"{_scheme or site.scheme or 'http'}://{site.netloc}{site.path.rstrip('/')}{path}"


def _without_nul(values: ImmutableMultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict(
        [(key.replace("\x00", ""), value.replace("\x00", ""))
         for key, value in values.items(multi=True)])


class CleanRequest(Request):
    """Drops NUL characters from form fields and query arguments: PostgreSQL text cannot hold
    them, and no one types them, so removing them here keeps every form and filter safe."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _without_nul(super().args)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that only matches ids a database column can hold, so a huge number in a URL
    is a 404 instead of an overflow in the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def safe_next_url(target: str | None, default: str = "/") -> str:
    """Only redirect to a path on this site: never to another host, scheme or odd spelling."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if "//" in parts.path:  # "/.//evil.example" resolves to the path "//evil.example"
        return default
    return target


def page_arg(name: str = "page") -> int:
    """The page number from the query string; bad values mean page 1 instead of an error."""
    try:
        return max(1, min(int(request.args.get(name, 1)), 10_000))
    except (TypeError, ValueError):
        return 1


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def _url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes); page resets."""
    args = request.args.to_dict(flat=True)
    args.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    from urllib.parse import urlencode

    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Behind HTTPS (LEARNCOM_SECURE_COOKIES=1): browsers never use plain HTTP again.
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        user = g.get("_login_user")  # Flask-Login's user, if this response consulted one
        if user is not None and user.is_authenticated:
            # A member's pages are theirs alone: never kept by a browser or proxy cache (the
            # back button on a shared computer after logging out shows nothing). A response
            # that never asked who is logged in (static files) is the same for everyone.
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["iso"] = _iso
    app.jinja_env.globals.update(
        vocab=vocab,
        get_locale=get_locale,
        url_with=_url_with,
        Markup=Markup,
    )
