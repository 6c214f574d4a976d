"""gunicorn's access log without the secrets of e-mailed links.

A confirmation, password-reset or new-e-mail link is followed with a GET whose path carries its
token; the page moves the token into the session at once (learncom/accounts/views.py), but the
access log line for that GET would still show it. This logger (set in gunicorn.conf.py) writes
such paths as ``/account/bevestigen/[token]``, in every part of the line (request, path,
Referer).
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(
    r"(/account/(?:bevestigen|wachtwoord-herstellen|e-mailadres-bevestigen)/)[^/?#\s\"]+")


def redact(value):
    return SECRET_PATHS.sub(r"\1[token]", value) if isinstance(value, str) else value


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {key: redact(value)
                for key, value in super().atoms(resp, req, environ, request_time).items()}
