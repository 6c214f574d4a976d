"""Lessons applied: record (with a page of its own for fixing mistakes) and delete. Every route
checks that the viewer may see the lesson (404 otherwise) before the right to act (403)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learncom.applications import services
from learncom.applications.forms import ApplicationForm
from learncom.extensions import db
from learncom.guard import services as privacy
from learncom.permissions import can_delete_application, can_record_application, require
from learncom.posts import services as post_services

bp = Blueprint("applications", __name__)


def _lesson_or_404(post_id: int):
    post = post_services.get_visible_post(post_id, current_user)
    if post is None or post.kind != "lesson":
        abort(404)
    return post


@bp.route("/posts/<int:post_id>/toegepast", methods=["GET", "POST"])
@login_required
def record(post_id: int):
    post = _lesson_or_404(post_id)
    require(can_record_application, post)
    form = ApplicationForm.for_member(current_user)
    guard = None
    if request.method == "POST" and form.validate_on_submit():
        guard = privacy.check(form.what_happened, form.place)
    if guard is not None and not guard.blocked:
        try:
            application = services.record_application(post, current_user, form.to_input())
        except services.ApplicationError as error:
            db.session.rollback()
            post = _lesson_or_404(post_id)
            form.form_errors.append(str(error))
        else:
            privacy.record_override(guard, current_user, post_id=post.id,
                                    target_type="lesson_applications", target_id=application.id)
            db.session.commit()
            flash(_("Thank you: your experience with this lesson is recorded."), "success")
            return redirect(url_for("posts.show", post_id=post.id,
                                    _anchor=f"application-{application.id}"))
    return render_template("applications/form.html", form=form, post=post, guard=guard)


@bp.post("/posts/<int:post_id>/toegepast/<int:application_id>/verwijderen")
@login_required
def delete(post_id: int, application_id: int):
    post = _lesson_or_404(post_id)
    application = services.get_application_of(post, application_id)
    if application is None:
        abort(404)
    require(can_delete_application, application)
    services.delete_application(application)
    db.session.commit()
    flash(_("The record is deleted."), "success")
    return redirect(url_for("posts.show", post_id=post.id, _anchor="applied"))
