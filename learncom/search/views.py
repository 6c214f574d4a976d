"""Search pages: /zoeken (results), /api/v1/search (JSON), /zoeken/vergelijkbaar (similar)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from learncom.posts import filters as post_filters
from learncom.search import services
from learncom.web import bad_parameter

bp = Blueprint("search", __name__)


@bp.app_context_processor
def _search_helpers():
    return {"filter_chips": services.filter_chips}

def _arg(name: str, limit: int = 400) -> str:
    value = request.args.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _value(name: str, limit: int) -> str:
    value = request.values.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _run(*, strict: bool = False):
    """The search the query string asks for (None without words or filters), and the
    arguments it could not use (learncom/posts/filters.py; `strict`: BadFilter)."""
    query = _arg("q")
    filters, errors = services.parse_filters(request.args, strict=strict)
    page, page_errors = services.parse_page(request.args, strict=strict)
    if not query.strip() and not filters.active():
        return None, page, {**errors, **page_errors}
    return (services.search(query, filters, page, current_user,
                            sort=_arg("sort", 20) or "relevance"),
            page, {**errors, **page_errors})


@bp.get("/zoeken")
def results():
    found, _page, errors = _run()
    return render_template("search/results.html", results=found, q=_arg("q"),
                           sort=_arg("sort", 20) or "relevance", filter_errors=errors)


@bp.get("/api/v1/search")
def api_search():
    try:
        found, page, _errors = _run(strict=True)
    except post_filters.BadFilter as error:
        return bad_parameter(error.name, error.message)
    if found is None:
        return jsonify({"total": 0, "page": page, "items": [],
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
