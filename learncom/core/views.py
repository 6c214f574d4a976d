from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session
from flask_login import current_user
from sqlalchemy import text

from learncom.config import SUPPORTED_LOCALES
from learncom.extensions import db
from learncom.web import safe_next_url

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/taal")
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next"), default="/"))
