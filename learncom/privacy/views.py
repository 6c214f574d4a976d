"""Privacy pages: the plain-language pages (/privacy, /huisregels, /over) and, for
coordinators, where members posted despite the privacy guard (/beheer/privacy). The account
routes (my data, deleting an account) are in account_views.py. Views stay thin."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from learncom.privacy import guard, services

bp = Blueprint("privacy", __name__)

PAGE_LANGUAGES = ("nl", "en")


def _page(name: str):
    """A page written in full per language (templates/pages/<name>.<nl|en>.html)."""
    locale = get_locale()
    language = locale.language if locale is not None else "nl"
    language = language if language in PAGE_LANGUAGES else "nl"
    return render_template(f"pages/{name}.{language}.html")


@bp.get("/privacy")
def privacy_statement():
    return _page("privacy")


@bp.get("/huisregels")
def house_rules():
    return _page("huisregels")


@bp.get("/over")
def about():
    return _page("over")


@bp.get("/beheer/privacy")
@login_required
def overrides():
    if not services.can_read_overrides(current_user):
        abort(403)
    return render_template("privacy/overrides.html",
                           rows=services.recent_overrides(current_user),
                           kind_names=guard.kind_names, target_url=services.target_url)
