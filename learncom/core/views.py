from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, send_from_directory, session
from flask_login import current_user
from sqlalchemy import text

from learncom.config import SUPPORTED_LOCALES
from learncom.extensions import db
from learncom.search.services import engine_name, get_backend
from learncom.web import safe_next_url

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """What runs, and whether it answers: 200 only when the database and the search engine
    both do. Names the engines, never a URL, path or error text."""
    found = {"status": "ok", "database": db.engine.dialect.name,
             "search": engine_name(current_app)}
    failed = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        failed.append("database")
    else:
        try:
            get_backend().ping()
        except Exception:  # the same for the search engine
            db.session.rollback()
            failed.append("search")
    if failed:
        return jsonify({**found, "status": "error", "failed": failed}), 503
    return jsonify(found)


@bp.post("/taal")
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next"), default="/"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: the same SVG icon."""
    response = send_from_directory(current_app.static_folder, "favicon.svg",
                                   mimetype="image/svg+xml", max_age=86400)
    return response
