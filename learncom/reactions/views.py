"""Reaction toggles. A form POST (works without JavaScript) answers with a redirect back to the
post or comment; a request that accepts JSON (static/js/reactions.js) gets
``{"active": bool, "count": n}``. The target must be visible to the viewer (404 otherwise);
members cannot react to their own posts and comments (403)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learncom.discussion import services as discussion_services
from learncom.extensions import db
from learncom.permissions import can_react, can_read_comment, require
from learncom.posts import services as post_services
from learncom.reactions import services
from learncom.web import safe_next_url

bp = Blueprint("reactions", __name__)

_SLUGS = "any(" + ", ".join(services.SLUG_KINDS) + ")"


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


def _login_first(back_to: str):
    login_url = url_for("accounts.login", next=back_to)
    if _wants_json():
        return jsonify(error={"code": "login_required", "message": _("Please log in to continue."),
                              "login": login_url}), 401
    flash(_("Please log in to continue."), "info")
    return redirect(login_url)


def _answer(active: bool, count: int, back_to: str):
    if _wants_json():
        return jsonify(active=active, count=count)
    return redirect(safe_next_url(request.form.get("next"), default=back_to))


@bp.post(f"/posts/<int:post_id>/<{_SLUGS}:slug>")
def toggle_post(post_id: int, slug: str):
    kind = services.SLUG_KINDS[slug]
    back_to = url_for("posts.show", post_id=post_id, _anchor=f"post-{post_id}")
    if not current_user.is_authenticated:
        return _login_first(back_to)
    post = post_services.get_visible_post(post_id, current_user)
    if post is None:
        abort(404)
    require(can_react, post)
    active = services.toggle(current_user, kind, post=post)
    db.session.commit()
    return _answer(active, services.count_for(kind, post=post), back_to)


@bp.post(f"/reacties/<int:comment_id>/<{_SLUGS}:slug>")
def toggle_comment(comment_id: int, slug: str):
    kind = services.SLUG_KINDS[slug]
    if not current_user.is_authenticated:
        return _login_first(url_for("discussion.permalink", comment_id=comment_id))
    comment = discussion_services.get_comment(comment_id)
    if comment is None:
        abort(404)
    require(can_read_comment, comment, hide=True)
    require(can_react, comment)
    back_to = url_for("posts.show", post_id=comment.post_id, _anchor=f"reactie-{comment.id}")
    active = services.toggle(current_user, kind, comment=comment)
    db.session.commit()
    return _answer(active, services.count_for(kind, comment=comment), back_to)
