"""Language choice: Dutch by default, English on request (kept in the session and profile)."""

from __future__ import annotations

from flask import has_request_context, session
from flask_login import current_user

from learncom.config import SUPPORTED_LOCALES


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background work
        return "nl"
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return current_user.locale
    return "nl"
