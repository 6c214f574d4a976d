"""Atom feeds: all posts, per kind, per tag, per neighbourhood, and per post's thread."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from werkzeug.http import is_resource_modified

from learncom.feeds import services
from learncom.posts import services as post_services
from learncom.posts.kinds import SLUG_CONVERTER

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"


def _atom(feed: services.Feed):
    """The feed as Atom, with ETag and Last-Modified. A conditional GET that still matches is
    answered 304 before the feed is written out."""
    lang = str(get_locale() or "nl")
    etag, modified = feed.etag(lang), feed.updated.replace(microsecond=0)
    if not is_resource_modified(request.environ, etag=etag, last_modified=modified):
        response = Response(status=304)
    else:
        response = Response(render_template("feeds/feed.xml", feed=feed, lang=lang,
                                            rfc3339=services.rfc3339), content_type=ATOM)
    response.set_etag(etag)
    response.last_modified = modified
    return response


@bp.get("/feeds/alles.atom")
def all_posts():
    return _atom(services.all_posts_feed())


@bp.get(f"/feeds/<{SLUG_CONVERTER}:slug>.atom")
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
