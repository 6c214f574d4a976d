"""Web plumbing shared by all pages: the app class (trusted absolute URLs), security headers,
Jinja helpers, safe redirects, paging."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from babel.dates import get_datetime_format, parse_pattern
from flask import Flask, Request, g, has_request_context, jsonify, request, session
from flask_babel import (
    format_date,
    format_decimal,
    format_time,
    get_locale,
    get_translations,
    gettext,
    to_user_timezone,
)
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
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


def bad_parameter(name: str, why: str):
    """The API's answer to a query parameter it cannot use (learncom/posts/filters.py): 400
    with a JSON error naming the parameter and saying why."""
    message = gettext("The parameter %(name)s has a value this API does not accept: %(why)s",
                      name=name, why=why)
    return jsonify(error={"code": "bad_request", "message": message}), 400


def page_arg(name: str = "page") -> int:
    """The page number from the query string; bad values mean page 1 instead of an error."""
    try:
        return max(1, min(int(request.args.get(name, 1)), 10_000))
    except (TypeError, ValueError):
        return 1


def format_when(value: date | datetime | None, *, time: bool = False) -> str:
    """The one date style of the site: the locale's medium date ("13 jan 2026", "Jan 13,
    2026"), with the short time where a time matters ("13 jan 2026, 11:38"), in the site's
    time zone. Templates use it as `|date` and `|datetime`, code calls it directly.

    In a request, the locale's patterns are parsed once (`_patterns`) and the value is moved
    to the site's time zone once: a thread of 200 comments formats 400 times per view
    (41 -> ~17 µs each, the same text as Flask-Babel's `format_date`/`format_time`)."""
    if value is None or value == "":
        return ""
    locale = get_locale() if has_request_context() else None
    if locale is None:
        return _format_when_babel(value, time=time)
    date_pattern, time_pattern, joined = _patterns(str(locale))
    if not isinstance(value, datetime):
        return date_pattern.apply(value, locale)
    local = to_user_timezone(value)
    day = date_pattern.apply(local.date(), locale)
    if not time:
        return day
    clock = time_pattern.apply(local.timetz(), locale, reference_date=local.date())
    return joined.replace("{1}", day).replace("{0}", clock)


@lru_cache(maxsize=16)
def _patterns(locale: str):
    """The parsed medium date and short time patterns of `locale`, and how it joins them."""
    from babel import Locale

    parsed = Locale.parse(locale)
    return (parse_pattern(parsed.date_formats["medium"]),
            parse_pattern(parsed.time_formats["short"]), get_datetime_format("medium", parsed))


def _format_when_babel(value: date | datetime, *, time: bool) -> str:
    """`format_when` through Flask-Babel's formatters (outside a request)."""
    if not time or not isinstance(value, datetime):
        return format_date(value, "medium")
    pattern = get_datetime_format("medium", locale=get_locale())
    return pattern.replace("{1}", format_date(value, "medium")).replace(
        "{0}", format_time(value, "short"))


def format_count(value: int | float) -> str:
    """A number in the locale's style (1.234 in Dutch, 1,234 in English)."""
    return format_decimal(value)


def _datetime(value: datetime | None, *_ignored) -> str:
    return format_when(value, time=True)


def _date(value: date | datetime | None, *_ignored) -> str:
    return format_when(value)


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


# -- refused forms: post/redirect/get --------------------------------------------------------------

_KEPT_FORM = "kept_form"


def keep_refused_form(form, page: str) -> None:
    """Remember what was typed in a refused form, and why it was refused, for the page the view
    redirects to (`page`, a path: post/redirect/get): reloading that page then shows it again
    instead of sending the form a second time. The page restores it with `restore_form`."""
    fields = {field.name for field in form if field.type != "CSRFTokenField"}
    session[_KEPT_FORM] = {
        "page": page,
        "form": f"{type(form).__name__}:{form._prefix}",
        "data": [[key, value] for key, value in request.form.items(multi=True)
                 if key in fields],
        "errors": {field.name: [str(error) for error in field.errors]
                   for field in form if field.errors},
    }


def restore_form(form_class, *, prefix: str = "", **kwargs):
    """A fresh `form_class` form, or the refused one `keep_refused_form` kept for this page
    (with its input and errors; shown once, and only on the page it was kept for)."""
    kept = session.get(_KEPT_FORM)
    wtforms_prefix = f"{prefix}-" if prefix and prefix[-1] not in "-_;:/." else prefix
    if (not kept or kept.get("page") != request.path
            or kept.get("form") != f"{form_class.__name__}:{wtforms_prefix}"):
        return form_class(formdata=None, prefix=prefix, **kwargs)
    session.pop(_KEPT_FORM)
    form = form_class(formdata=MultiDict(kept["data"]), prefix=prefix, **kwargs)
    for field in form:
        field.errors = list(kept["errors"].get(field.name, ()))
    return form


def first_invalid(form):
    """The first field with an error: it gets the focus (`autofocus`), so keyboard and screen
    reader users land where the fixing starts, with or without JavaScript."""
    return next((field for field in form if field.errors), None)


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


def _translations():
    """Flask-Babel's translations of the request's locale, looked up once per request and
    locale (its own lookup costs ~8 µs, and a long thread asks a few thousand times). A
    `force_locale` block or a `refresh()` changes the locale object, so the cache follows it."""
    try:
        ctx = g.get("_flask_babel")
    except RuntimeError:  # outside an app context
        ctx = None
    cached = getattr(ctx, "learncom_translations", None)
    if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
        return cached[1]
    translations = get_translations()  # sets g._flask_babel.babel_locale in a request
    ctx = g.get("_flask_babel") if g else None
    if getattr(ctx, "babel_locale", None) is not None:
        ctx.learncom_translations = (ctx.babel_locale, translations)
    return translations


def _install_gettext(app: Flask) -> None:
    """Flask-Babel's template gettext, with the count of a plural message (`%(num)d`) written
    as the locale writes numbers: "1.234 berichten", not "1234 berichten"."""
    def ngettext(singular: str, plural: str, num):
        text = _translations().ungettext(singular, plural, num)
        return text.replace("%(num)d", format_decimal(num)) if isinstance(num, int) else text

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=ngettext,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


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

    _install_gettext(app)
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["iso"] = _iso
    app.jinja_env.filters["number"] = format_count
    from learncom.rendered import excerpt

    app.jinja_env.globals.update(
        vocab=vocab,
        get_locale=get_locale,
        url_with=_url_with,
        first_invalid=first_invalid,
        Markup=Markup,
        excerpt=excerpt,  # a row's stored plain-text excerpt, cut to a length
    )
