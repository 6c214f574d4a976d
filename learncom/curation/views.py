"""Curation pages: the queue, curating a lesson, and promoting a comment or thread into a new
lesson or friction. Views stay thin: read the request, call services, commit once."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learncom.curation import services
from learncom.curation.forms import CurateForm, RequestChangesForm
from learncom.discussion.services import get_comment
from learncom.extensions import db
from learncom.permissions import can_coordinate_posts, can_curate, require
from learncom.posts import services as post_services
from learncom.posts.forms import post_form_class
from learncom.web import page_arg, safe_next_url

bp = Blueprint("curation", __name__)

# Dutch words in the links we make; the English kind names work too.
PROMOTE_SLUGS = {"lesson": "les", "friction": "frictie"}
_PROMOTE_KINDS = {**{kind: kind for kind in services.PROMOTE_KINDS},
                  **{slug: kind for kind, slug in PROMOTE_SLUGS.items()}}


@bp.app_context_processor
def _curation_helpers():
    return {"promote_slugs": PROMOTE_SLUGS}


def _me():
    """The signed-in member itself (not the proxy), for services and event subscribers."""
    return current_user._get_current_object()


def _lesson_or_404(post_id: int):
    """A lesson the coordinator may curate: 404 when invisible, 403 for non-coordinators."""
    post = post_services.get_visible_post(post_id, current_user)
    if post is None:
        abort(404)
    require(can_curate)
    if post.kind != "lesson":
        abort(404)
    return post


def _back(post) -> str:
    default = url_for("posts.show", post_id=post.id, _anchor="curation")
    return safe_next_url(request.form.get("next"), default)


# -- the queue ---------------------------------------------------------------------------------

@bp.get("/curatie")
@login_required
def queue():
    require(can_curate)
    page = db.paginate(services.queue_query(current_user), page=page_arg(),
                       per_page=int(current_app.config.get("PER_PAGE", 20)), error_out=False)
    promoted = [post for post in post_services.drafts_for(current_user)
                if post.shared_with_coordinators]
    return render_template("curation/queue.html", page=page, promoted_drafts=promoted)


# -- curating one lesson -----------------------------------------------------------------------

def _render_lesson(post, curate_form=None, changes_form=None):
    return render_template(
        "curation/lesson.html", post=post,
        curate_form=curate_form or CurateForm(formdata=None, prefix="curate",
                                              data={"note": post.curation_note}),
        changes_form=changes_form or RequestChangesForm(formdata=None, prefix="changes"))


@bp.get("/curatie/<int:post_id>")
@login_required
def lesson(post_id: int):
    return _render_lesson(_lesson_or_404(post_id))


@bp.post("/curatie/<int:post_id>/cureren")
@login_required
def curate(post_id: int):
    post = _lesson_or_404(post_id)
    form = CurateForm(prefix="curate")
    if not form.validate_on_submit():
        return _render_lesson(post, curate_form=form)
    services.curate(post, _me(), form.note.data)
    db.session.commit()
    flash(_("The lesson is curated."), "success")
    return redirect(_back(post))


@bp.post("/curatie/<int:post_id>/ongedaan-maken")
@login_required
def uncurate(post_id: int):
    post = _lesson_or_404(post_id)
    if services.uncurate(post, _me()):
        db.session.commit()
        flash(_("The lesson is no longer curated. It is back in the queue."), "success")
    return redirect(_back(post))


@bp.post("/curatie/<int:post_id>/wijzigingen-vragen")
@login_required
def request_changes(post_id: int):
    post = _lesson_or_404(post_id)
    form = RequestChangesForm(prefix="changes")
    if not form.validate_on_submit():
        return _render_lesson(post, changes_form=form)
    comment = services.request_changes(post, _me(), form.message.data)
    db.session.commit()
    flash(_("Your request is posted in the discussion."), "success")
    return redirect(url_for("posts.show", post_id=post.id, _anchor=f"reactie-{comment.id}"))


# -- promoting a comment or a thread -----------------------------------------------------------

def _promote_kind(slug: str) -> str:
    kind = _PROMOTE_KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def _promote(draft, action: str):
    """Show the prefilled post form (the draft); on a valid POST create the post."""
    source = draft.source_post
    teams = list(current_user.teams)
    if source.team is not None and source.team not in teams:
        teams.append(source.team)
    # A draft is curated once it is published, not before.
    form_class = post_form_class(draft.kind, can_coordinate_posts(current_user),
                                 without=frozenset({"curated"}))
    form = form_class(data=draft.data, neighbourhoods=post_services.all_neighbourhoods(),
                      teams=teams)
    if form.validate_on_submit():
        try:
            post = services.promote(_me(), form.to_input(), source, draft.source_comment)
        except (post_services.PostError, services.CurationError) as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The draft is saved. Coordinators can finish and publish it; nobody else "
                    "sees it yet. It links back to where it came from."), "success")
            return redirect(url_for("posts.show", post_id=post.id))
    return render_template("curation/promote.html", form=form, kind=draft.kind, post=None,
                           draft=draft, form_action=action)


@bp.route("/reacties/<int:comment_id>/promoveren/<kind>", methods=["GET", "POST"])
@login_required
def promote_comment(comment_id: int, kind: str):
    comment = get_comment(comment_id)
    if comment is None or not services.usable_comment(comment, current_user):
        abort(404)
    require(can_curate)
    kind = _promote_kind(kind)
    return _promote(services.comment_draft(comment, kind), request.path)


@bp.route("/posts/<int:post_id>/promoveren/<kind>", methods=["GET", "POST"])
@login_required
def promote_thread(post_id: int, kind: str):
    post = post_services.get_visible_post(post_id, current_user)
    if post is None:
        abort(404)
    require(can_curate)
    kind = _promote_kind(kind)
    return _promote(services.thread_draft(post, kind), request.path)
