"""Search pages: /zoeken (results), /api/v1/search (JSON), /zoeken/vergelijkbaar (similar)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from learncom.search import services
from learncom.web import page_arg

bp = Blueprint("search", __name__)


@bp.app_context_processor
def _search_helpers():
    return {"filter_chips": services.filter_chips}

FILTER_ARGS = ("kind", "tag", "neighbourhood", "status", "author_kind", "after", "before")


def _arg(name: str, limit: int = 400) -> str:
    value = request.args.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _value(name: str, limit: int) -> str:
    value = request.values.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _filters() -> dict:
    found = {name: _arg(name, 80) for name in FILTER_ARGS if _arg(name, 80)}
    if "neighbourhood" not in found and _arg("wijk", 80):
        found["neighbourhood"] = _arg("wijk", 80)
    return found


def _run():
    query = _arg("q")
    filters = _filters()
    if not query.strip() and not filters:
        return None
    return services.search(query, filters, page_arg(), current_user,
                           sort=_arg("sort", 20) or "relevance")


@bp.get("/zoeken")
def results():
    found = _run()
    return render_template("search/results.html", results=found, q=_arg("q"),
                           sort=_arg("sort", 20) or "relevance")


@bp.get("/api/v1/search")
def api_search():
    found = _run()
    if found is None:
        return jsonify({"total": 0, "page": page_arg(), "items": [],
                        "facets": {"kind": {}, "tag": {}, "neighbourhood": {}, "status": {}},
                        "suggestion": None})
    return jsonify(found.to_json())


@bp.route("/zoeken/vergelijkbaar", methods=["GET", "POST"])
def similar():
    """Posts like the title and body typed so far: JSON for the script on the new-post form,
    a small page for the no-JavaScript "check for similar posts" button (which POSTs the form,
    so its CSRF token never lands in a URL; nothing is changed)."""
    title, body = _value("title", 300), _value("body", 5000)
    posts = services.similar_text(title, body, current_user) if (title + body).strip() else []
    wants_html = (request.accept_mimetypes.best_match(["application/json", "text/html"])
                  == "text/html" and request.args.get("format") != "json")
    if wants_html:
        return render_template("search/similar.html", posts=posts, title=title)
    return jsonify({"items": [{"id": p.id, "kind": p.kind, "title": p.title,
                               "url": services.post_url(p.id)} for p in posts]})
