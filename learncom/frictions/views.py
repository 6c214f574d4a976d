"""The friction workflow's pages: the status form (POST from the post page or the board) and the
change board at /verandering. Views read the request, call the services and commit once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learncom import vocab
from learncom.extensions import db
from learncom.frictions import services
from learncom.frictions.forms import StatusForm
from learncom.permissions import can_change_friction_status, require
from learncom.posts import filters as post_filters
from learncom.posts import services as post_services
from learncom.web import safe_next_url

bp = Blueprint("frictions", __name__)


def _friction_or_404(post_id: int):
    post = post_services.get_visible_post(post_id, current_user)
    if post is None or post.kind != "friction":
        abort(404)
    require(can_change_friction_status, post)
    return post


def _render_status_page(post, form, status: int = 200):
    return render_template("frictions/status.html", post=post, form=form,
                           changes=services.status_changes_for(post)), status


@bp.get("/posts/<int:post_id>/status")
@login_required
def status_form(post_id: int):
    post = _friction_or_404(post_id)
    form = StatusForm(formdata=None, post=post, coordinators=services.coordinators(),
                      next=safe_next_url(request.args.get("next"), ""))
    return _render_status_page(post, form)


@bp.post("/posts/<int:post_id>/status")
@login_required
def change_status(post_id: int):
    post = _friction_or_404(post_id)
    candidates = services.coordinators()
    form = StatusForm(post=post, coordinators=candidates)
    if not form.validate_on_submit():
        return _render_status_page(post, form, 400)
    owner = services.UNCHANGED
    if "owner" in request.form:
        owner = {user.id: user for user in candidates}.get(form.owner_id())
        if form.owner.data and owner is None:
            form.owner.errors.append(_("Choose a coordinator."))
            return _render_status_page(post, form, 400)
    try:
        change = services.change_status(
            post, current_user._get_current_object(), form.to_status.data, form.reason.data,
            owner=owner, resolution_note=form.resolution_note.data)
    except services.TransitionError as error:
        getattr(form, error.field).errors.append(str(error.message))
        return _render_status_page(post, form, 400)
    db.session.commit()
    flash(_("The status is now \"%(status)s\".", status=vocab.CHANGE_STATUSES[change.to_status]),
          "success")
    default = url_for("posts.show", post_id=post.id, _anchor=f"status-change-{change.id}")
    return redirect(safe_next_url(form.next.data, default))


@bp.get("/verandering")
@login_required
def board():
    parsed = post_filters.parse(request.args, post_filters.TAG, post_filters.NEIGHBOURHOOD,
                                post_filters.OBSTACLE_TYPE)
    post_services.visible_hood_filter(parsed, current_user)
    filters = parsed.values
    hood = filters.get("neighbourhood")
    columns = services.board(current_user, tag=filters.get("tag"),
                             neighbourhood_id=hood.id if hood else None,
                             obstacle_type=filters.get("type"))
    return render_template("frictions/board.html", columns=columns, filters=filters,
                           filter_errors=parsed.errors,
                           neighbourhoods=post_services.all_neighbourhoods(),
                           total=sum(len(cards) for cards in columns.values()))
