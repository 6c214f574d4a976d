"""Moderation routes: flag a post or comment (members), the queue and hide/restore/dismiss
(coordinators). A target the viewer cannot see is a 404; a member doing a coordinator
action gets a 403."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learncom.discussion import services as discussion_services
from learncom.extensions import db
from learncom.moderation import services
from learncom.moderation.forms import FlagForm, HideForm
from learncom.permissions import can_flag, can_moderate, can_moderate_content, require
from learncom.posts.models import Post
from learncom.web import safe_next_url

bp = Blueprint("moderation", __name__)

TARGET_TYPES = ("posts", "reacties")


def _target_url(target) -> str:
    if isinstance(target, Post):
        return url_for("posts.show", post_id=target.id)
    return url_for("posts.show", post_id=target.post_id, _anchor=f"reactie-{target.id}")


def _get_target(target_type: str, target_id: int):
    """The post or comment, or None (also for a deleted comment)."""
    if target_type == "posts":
        return db.session.get(Post, target_id)
    comment = discussion_services.get_comment(target_id)
    return None if comment is None or comment.is_deleted else comment


# -- flagging ------------------------------------------------------------------------------------

def _flag(target_type: str, target_id: int):
    target = _get_target(target_type, target_id)
    if target is None or not can_flag(current_user, target):
        abort(404)
    form = FlagForm()
    if form.validate_on_submit():
        _flag_row, created = services.flag(current_user, target, form.reason.data,
                                           form.explanation.data)
        db.session.commit()
        if created:
            flash(_("Thank you. A coordinator will look at it."), "success")
        else:
            flash(_("You had already reported this; your report is updated."), "info")
        return redirect(_target_url(target))
    if request.method == "GET":
        existing = services.open_flag_of(current_user, target)
        if existing is not None:
            form.reason.data, form.explanation.data = existing.reason, existing.explanation
    return render_template("moderation/flag.html", form=form, target=target,
                           post=services.target_post(target), is_comment=target_type == "reacties",
                           back_url=_target_url(target))


@bp.route("/posts/<int:post_id>/melden", methods=["GET", "POST"])
@login_required
def flag_post(post_id: int):
    return _flag("posts", post_id)


@bp.route("/reacties/<int:comment_id>/melden", methods=["GET", "POST"])
@login_required
def flag_comment(comment_id: int):
    return _flag("reacties", comment_id)


# -- the queue -----------------------------------------------------------------------------------

@bp.get("/beheer/moderatie")
@login_required
def queue():
    require(can_moderate)
    return render_template(
        "moderation/queue.html", open_groups=services.open_groups(current_user),
        resolved_groups=services.resolved_groups(current_user),
        elsewhere=services.hidden_elsewhere_count(current_user),
        reasons=services.REASONS, resolutions=services.RESOLUTIONS,
        hide_form=HideForm(formdata=None))


def _moderated_target(target_type: str, target_id: int):
    require(can_moderate)
    target = _get_target(target_type, target_id)
    if target is None or not can_moderate_content(current_user, target):
        abort(404)
    return target


def _back(target):
    return redirect(safe_next_url(request.form.get("next"), default=_target_url(target)))


@bp.post("/beheer/moderatie/<any(posts, reacties):target_type>/<int:target_id>/verbergen")
@login_required
def hide(target_type: str, target_id: int):
    target = _moderated_target(target_type, target_id)
    form = HideForm()
    note = form.note.data if form.validate() else None
    if services.hide(target, current_user, note):
        flash(_("Hidden. Only the author and coordinators can still see it."), "success")
    else:
        flash(_("This was already hidden."), "info")
    db.session.commit()
    return _back(target)


@bp.post("/beheer/moderatie/<any(posts, reacties):target_type>/<int:target_id>/terugzetten")
@login_required
def restore(target_type: str, target_id: int):
    target = _moderated_target(target_type, target_id)
    if services.restore(target, current_user):
        db.session.commit()
        flash(_("Restored. Everyone who may see it can see it again."), "success")
    else:
        flash(_("This was not hidden."), "info")
    return _back(target)


@bp.post("/beheer/moderatie/<any(posts, reacties):target_type>/<int:target_id>/afwijzen")
@login_required
def dismiss(target_type: str, target_id: int):
    target = _moderated_target(target_type, target_id)
    if services.dismiss(target, current_user):
        db.session.commit()
        flash(_("The reports are dismissed; the content stays visible."), "success")
    else:
        flash(_("There were no open reports."), "info")
    return redirect(safe_next_url(request.form.get("next"),
                                  default=url_for("moderation.queue")))
