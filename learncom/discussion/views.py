"""Comment routes: add (or reply), edit, delete, and a permalink. Every route checks that the
viewer may see the post (404 otherwise) before it checks the right to change the comment (403)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learncom.discussion import services
from learncom.discussion.forms import CommentForm, EditCommentForm
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.guard import services as privacy
from learncom.permissions import can_edit_comment, can_view_post, require
from learncom.posts import services as post_services

bp = Blueprint("discussion", __name__)


@bp.app_template_filter("comment_count")
def comment_count_filter(thread: list[services.ThreadNode]) -> int:
    return services.count_comments(thread)


def _comment_url(comment: Comment) -> str:
    return url_for("posts.show", post_id=comment.post_id, _anchor=f"reactie-{comment.id}")


def _login_first(next_url: str):
    """Send a visitor to the login page, and afterwards to a page they can GET."""
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("accounts.login", next=next_url))


def _visible_comment(comment_id: int) -> Comment:
    comment = services.get_comment(comment_id)
    if comment is None:
        abort(404)
    require(can_view_post, comment.post, hide=True)
    return comment


def _editable_comment(comment_id: int) -> Comment:
    comment = _visible_comment(comment_id)
    require(can_edit_comment, comment)
    return comment


@bp.post("/posts/<int:post_id>/reacties")
def add(post_id: int):
    if not current_user.is_authenticated:
        return _login_first(url_for("posts.show", post_id=post_id, _anchor="reacties"))
    post = post_services.get_visible_post(post_id, current_user) if post_id < 2**63 else None
    if post is None:
        abort(404)
    form = CommentForm()
    valid = form.validate_on_submit()
    try:
        parent = services.reply_target(post, form.parent_id.data)
    except services.CommentError as error:
        # Keep the text; it can still go in as a new comment.
        parent, valid = None, False
        form.parent_id.errors = [*form.parent_id.errors, str(error)]
        form.parent_id.data = ""
    guard = privacy.check(form.body) if valid else None
    if guard is not None and not guard.blocked:
        comment = services.add_comment(post, current_user, form.body.data, parent)
        privacy.record_override(guard, current_user, post_id=post.id, target_type="comments",
                                target_id=comment.id)
        db.session.commit()
        return redirect(_comment_url(comment))
    return render_template("discussion/comment_form.html", form=form, post=post, parent=parent,
                           comment=None, guard=guard)


@bp.get("/posts/<int:post_id>/reacties")
def thread_anchor(post_id: int):
    """Someone who lands on the address new comments are sent to (say after logging in, or
    switching language on a form page) goes to the discussion itself."""
    return redirect(url_for("posts.show", post_id=post_id, _anchor="reacties"))


@bp.route("/reacties/<int:comment_id>/bewerken", methods=["GET", "POST"])
def edit(comment_id: int):
    if not current_user.is_authenticated:
        return _login_first(url_for("discussion.edit", comment_id=comment_id))
    comment = _editable_comment(comment_id)
    # On POST only what was sent counts (a missing body is an error, not "unchanged").
    form = EditCommentForm() if request.method == "POST" else EditCommentForm(
        data={"body": comment.body})
    guard = privacy.check(form.body) if form.validate_on_submit() else None
    if guard is not None and not guard.blocked:
        if services.edit_comment(comment, form.body.data):
            privacy.record_override(guard, current_user, post_id=comment.post_id,
                                    target_type="comments", target_id=comment.id)
            db.session.commit()
            flash(_("Your changes are saved."), "success")
        return redirect(_comment_url(comment))
    return render_template("discussion/comment_form.html", form=form, post=comment.post,
                           parent=comment.parent, comment=comment, guard=guard)


@bp.post("/reacties/<int:comment_id>/verwijderen")
def delete(comment_id: int):
    if not current_user.is_authenticated:
        return _login_first(url_for("discussion.permalink", comment_id=comment_id))
    comment = _editable_comment(comment_id)
    services.delete_comment(comment)
    db.session.commit()
    flash(_("The comment is deleted. Replies to it stay in place."), "success")
    return redirect(_comment_url(comment))


@bp.get("/reacties/<int:comment_id>")
def permalink(comment_id: int):
    """A stable address for one comment: its place in the post's thread."""
    return redirect(_comment_url(_visible_comment(comment_id)))
