"""Error pages in the user's language, and JSON errors under /api."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, jsonify, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound, SecurityError, TooManyRequests

from learncom.extensions import db


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist, or you cannot see it."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you typed was saved; please try again."),
    }


class TooManyAttempts(TooManyRequests):
    """A 429 with a message of our own (e.g. too many wrong passwords for one address)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(description=message, retry_after=retry_after)


class NotFoundWithReason(NotFound):
    """A 404 that says why, for someone allowed to know (e.g. a post hidden by moderation)."""

    def __init__(self, message: str):
        super().__init__(description=message)


def respond(code: int, message: str | None = None, *, retry_after: int | None = None):
    """The error page (JSON under /api/); a 429 says how long to wait, also in Retry-After."""
    headers = {}
    if code == 429 and retry_after:
        retry_after = max(1, int(retry_after))
        headers["Retry-After"] = str(retry_after)
        wait = format_timedelta(timedelta(seconds=retry_after), add_direction=False)
        message = (" ".join([message, _("Try again in %(time)s.", time=wait)]) if message
                   else _("Too many requests. Try again in %(time)s.", time=wait))
    message = message or _messages().get(code, _messages()[500])
    if request.path.startswith("/api/"):
        name = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "payload_too_large", 429: "too_many_requests"}.get(code, "server_error")
        return jsonify(error={"code": name, "message": message}), code, headers
    return render_template("errors/error.html", code=code, message=message), code, headers


def register(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def untrusted_host(_error):
        # The Host header is not one of TRUSTED_HOSTS: no URL can be built for this request,
        # so answer in plain text, without the page layout and its links.
        return (_("This site does not answer to this address."), 400,
                {"Content-Type": "text/plain; charset=utf-8"})

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return respond(400, _("Your form expired or was sent from elsewhere. "
                              "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        retry_after = getattr(error, "retry_after", None)
        # Our own messages only, never Werkzeug's or Flask-Limiter's English descriptions.
        own = isinstance(error, TooManyAttempts | NotFoundWithReason)
        message = error.description if own else None
        return respond(error.code, message,
                       retry_after=retry_after if isinstance(retry_after, int) else None)

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return respond(500)
