"""The read-only JSON API under /api/v1 (see docs/api.md and /api/v1/openapi.json).

Anonymous requests see public content; a request with a logged-in member's session cookie sees
what that member sees on the site. Errors (also 404 for unknown paths and 405 for other methods,
answered by learncom/errors.py for every path under /api/) are `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from learncom.api import openapi, serializers, services
from learncom.posts import filters
from learncom.web import bad_parameter

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_app_request
def allow_any_origin(response):
    """Any site may read the API from a browser. Browsers never send cookies with a request
    answered by `*`, so a page elsewhere only ever reads public content."""
    if request.path.startswith("/api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response





def _visible_post_or_404(post_id: int):
    post = services.get_post(post_id, current_user)
    if post is None:
        abort(404)
    return post


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(url_for("posts.home", _external=True).rstrip("/")
                                    + bp.url_prefix))


@bp.get("/posts")
def posts():
    try:
        wanted = services.parse_post_filters(request.args)
    except filters.BadFilter as error:
        return bad_parameter(error.name, error.message)
    page = services.list_posts(current_user, wanted)
    return jsonify(serializers.page([serializers.post_item(post) for post in page.items],
                                    total=page.total or 0, page=wanted.page,
                                    per_page=wanted.per_page))


@bp.get("/posts/<int:post_id>")
def post(post_id: int):
    found = _visible_post_or_404(post_id)
    links = [serializers.link(relation, direction, other)
             for relation, direction, other in services.links(found, current_user)]
    return jsonify(serializers.post_detail(
        found, links=links, reactions=services.reaction_counts(found),
        comment_count=services.comment_count(found, current_user)))


@bp.get("/posts/<int:post_id>/comments")
def comments(post_id: int):
    found = _visible_post_or_404(post_id)
    thread = services.thread(found)
    return jsonify({"post_id": found.id,
                    "items": [serializers.comment(node, current_user) for node in thread]})


@bp.get("/tags")
def tags():
    return jsonify({"items": [{"name": name, "post_count": count}
                              for name, count in services.tags(current_user)]})


@bp.get("/neighbourhoods")
def neighbourhoods():
    return jsonify({"items": [{**serializers.neighbourhood(hood), "post_count": count}
                              for hood, count in services.neighbourhoods(current_user)]})
