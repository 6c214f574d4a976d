"""Atom feeds: all posts, per kind, per tag, per neighbourhood, and per post's thread."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import get_locale

from learncom.feeds import services
from learncom.posts import services as post_services

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"


def _atom(feed: services.Feed):
    """The feed as Atom, with ETag and Last-Modified; a conditional GET may answer 304."""
    body = render_template("feeds/feed.xml", feed=feed, lang=str(get_locale() or "nl"),
                           rfc3339=services.rfc3339)
    response = make_response(body)
    response.headers["Content-Type"] = ATOM
    response.last_modified = feed.updated.replace(microsecond=0)
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/feeds/alles.atom")
def all_posts():
    return _atom(services.all_posts_feed())


@bp.get("/feeds/<any(experimenten, fricties, lessen):slug>.atom")
def kind(slug: str):
    return _atom(services.kind_feed(slug))


@bp.get("/feeds/tags/<name>.atom")
def tag(name: str):
    found = post_services.visible_tag(name, None)  # feed readers are anonymous
    if found is None:
        abort(404)
    return _atom(services.tag_feed(found))


@bp.get("/feeds/wijken/<slug>.atom")
def neighbourhood(slug: str):
    hood = post_services.visible_neighbourhood(slug, None)
    if hood is None:
        abort(404)
    return _atom(services.neighbourhood_feed(hood))


@bp.get("/posts/<int:post_id>/reacties.atom")
def thread(post_id: int):
    post = services.public_post(post_id)
    if post is None:
        abort(404)
    return _atom(services.thread_feed(post))
