"""Follow buttons, the "what I follow" page, notifications, their settings, the name look-up
for @mentions and the admins' outbox. Thin: services hold the logic; one commit per request."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from learncom.extensions import db
from learncom.follow import digests, mentions, services
from learncom.follow.forms import DigestSettingsForm
from learncom.mail import OutboxMessage
from learncom.permissions import can_read_outbox, require
from learncom.posts import services as post_services
from learncom.web import page_arg, safe_next_url

bp = Blueprint("follow", __name__)


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


# -- follow buttons ------------------------------------------------------------------------------

def _toggle(target, back: str):
    """Follow/unfollow from a button: ``state`` "on"/"off" sets it (a double click changes
    nothing), no state flips it. Goes back where the button was."""
    state = request.form.get("state")
    if state in ("on", "off"):
        following = state == "on"
        services.set_following(current_user, target, following)
    else:
        following = services.toggle_following(current_user, target)
    db.session.commit()
    flash(_("You follow this now. You get a notification when something happens.")
          if following else _("You no longer follow this."), "success")
    return redirect(safe_next_url(request.form.get("next"), default=back))


def _login_first(back: str):
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("accounts.login", next=back))


@bp.post("/volgen/post/<int:post_id>")
def toggle_post(post_id: int):
    back = url_for("posts.show", post_id=post_id)
    if not current_user.is_authenticated:
        return _login_first(back)
    post = post_services.get_visible_post(post_id, current_user)
    if post is None:
        abort(404)
    return _toggle(post, back)


@bp.post("/volgen/tag/<name>")
def toggle_tag(name: str):
    back = url_for("posts.tag", name=name)
    if not current_user.is_authenticated:
        return _login_first(back)
    tag = post_services.visible_tag(name, current_user)
    if tag is None:
        abort(404)
    return _toggle(tag, back)


@bp.post("/volgen/wijk/<slug>")
def toggle_neighbourhood(slug: str):
    back = url_for("posts.neighbourhood", slug=slug)
    if not current_user.is_authenticated:
        return _login_first(back)
    hood = post_services.visible_neighbourhood(slug, current_user)
    if hood is None:
        abort(404)
    return _toggle(hood, back)


@bp.get("/volgen")
@login_required
def following():
    return render_template("follow/following.html",
                           following=services.following_of(current_user))


# -- notifications -------------------------------------------------------------------------------

@bp.get("/meldingen")
@login_required
def notifications():
    page = db.paginate(services.notifications_query(current_user), page=page_arg(),
                       per_page=_per_page(), error_out=False)
    return render_template("follow/notifications.html", page=page,
                           describe=services.describe, anchor=services.target_anchor)


@bp.post("/meldingen/<int:notification_id>/gelezen")
@login_required
def read(notification_id: int):
    """Mark one notification read and go to what it is about."""
    notification = services.get_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    db.session.commit()
    anchor = services.target_anchor(notification)
    if notification.post_id is None:
        return redirect(url_for("follow.notifications"))
    return redirect(url_for("posts.show", post_id=notification.post_id,
                            **({"_anchor": anchor} if anchor else {})))


@bp.post("/meldingen/alles-gelezen")
@login_required
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("follow.notifications"))


@bp.route("/meldingen/instellingen", methods=["GET", "POST"])
@login_required
def settings():
    form = DigestSettingsForm(data={"email_digest": current_user.email_digest}
                              if request.method == "GET" else None)
    if form.validate_on_submit():
        digests.set_digest_frequency(current_user, form.email_digest.data)
        db.session.commit()
        flash(_("Your choice is saved."), "success")
        return redirect(url_for("follow.settings"))
    return render_template("follow/settings.html", form=form)


# -- @mention names ------------------------------------------------------------------------------

@bp.get("/leden/namen")
def member_names():
    """Display names for the @mention autocomplete: members only, names only."""
    if not current_user.is_authenticated:
        return jsonify(error={"code": 401, "message": "Log in first."}), 401
    return jsonify(names=mentions.suggest_names(request.args.get("q")))


# -- the outbox (admins) -------------------------------------------------------------------------

@bp.get("/beheer/outbox")
@login_required
def outbox():
    require(can_read_outbox)
    page = db.paginate(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                      OutboxMessage.id.desc()),
                       page=page_arg(), per_page=_per_page(), error_out=False)
    return render_template("follow/outbox.html", page=page)
