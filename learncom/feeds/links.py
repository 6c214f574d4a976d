"""Which feed belongs to the page being rendered, for `<link rel="alternate">` in `<head>`
and the visible "Atom feed" links (template slots, see learncom/slots.py)."""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for
from flask_babel import gettext as _
from jinja2 import pass_context

from learncom.posts.kinds import BY_SLUG, KINDS


def _site(suffix: str) -> str:
    return f"{current_app.config.get('SITE_NAME', 'learncom')}: {suffix}"


def all_posts_link() -> dict | None:
    if not has_request_context():  # a template rendered outside a request (e.g. an e-mail)
        return None
    return {"url": url_for("feeds.all_posts", _external=True), "title": _site(_("All posts"))}


@pass_context
def page_feed(context) -> dict | None:
    """`{"url", "title"}` of the feed for this page (home: none beyond the site-wide feed;
    a kind's list, a tag, a neighbourhood, a public post's thread), or None."""
    if not has_request_context() or context.get("code") is not None:
        return None  # outside a request, or an error page rendered under the page's endpoint
    endpoint = request.endpoint
    args = request.view_args or {}
    if endpoint == "posts.list_kind" and args.get("slug") in BY_SLUG:
        kind = KINDS[BY_SLUG[args["slug"]]]
        return {"url": url_for("feeds.kind", slug=args["slug"], _external=True),
                "title": _site(str(kind.plural))}
    if endpoint == "posts.tag" and isinstance(context.get("tag"), str):
        name = context["tag"]
        return {"url": url_for("feeds.tag", name=name, _external=True),
                "title": _site(_("Tag %(name)s", name=name))}
    hood = context.get("neighbourhood")
    if endpoint == "posts.neighbourhood" and getattr(hood, "slug", None):
        return {"url": url_for("feeds.neighbourhood", slug=hood.slug, _external=True),
                "title": _site(hood.name)}
    post = context.get("post")
    if (endpoint == "posts.show" and post is not None and post.visibility == "public"
            and not post.is_hidden):
        return {"url": url_for("feeds.thread", post_id=post.id, _external=True),
                "title": _site(_("Comments on %(title)s", title=post.title))}
    return None


def register(app) -> None:
    app.jinja_env.globals["page_feed"] = page_feed
    app.jinja_env.globals["site_feed"] = all_posts_link
