"""Privacy pages: the plain-language pages (/privacy, /huisregels, /over); for coordinators,
where members posted despite the privacy guard (/beheer/privacy); and for members their own
data (/account/gegevens), the public-profile choice and deleting the account (also by an
admin). Views stay thin: services hold the logic, one commit per request."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from learncom.accounts import services as account_services
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.guard import services as guard
from learncom.permissions import can_manage_accounts, can_read_privacy_overrides, require
from learncom.privacy import erasure, mydata, services
from learncom.privacy.forms import DeleteAccountForm, PublicProfileForm

bp = Blueprint("privacy", __name__)

PAGE_LANGUAGES = ("nl", "en")


def _page(name: str):
    """A page written in full per language (templates/pages/<name>.<nl|en>.html)."""
    locale = get_locale()
    language = locale.language if locale is not None else "nl"
    language = language if language in PAGE_LANGUAGES else "nl"
    return render_template(f"pages/{name}.{language}.html")


@bp.get("/privacy")
def privacy_statement():
    return _page("privacy")


@bp.get("/huisregels")
def house_rules():
    return _page("huisregels")


@bp.get("/over")
def about():
    return _page("over")


@bp.get("/beheer/privacy")
@login_required
def overrides():
    require(can_read_privacy_overrides)
    return render_template("privacy/overrides.html",
                           rows=services.recent_overrides(current_user),
                           kind_names=guard.kind_names, target_url=services.target_url)


# -- my data ---------------------------------------------------------------------------------

@bp.get("/account/gegevens")
@login_required
def my_data():
    return render_template("privacy/my_data.html")


@bp.get("/account/gegevens.json")
@login_required
def my_data_json():
    """The download: only ever the logged-in member's own data."""
    data = mydata.export(current_user._get_current_object())
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    response = current_app.response_class(body, mimetype="application/json")
    filename = f"learncom-mijn-gegevens-{utcnow().date().isoformat()}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the profile's visibility ------------------------------------------------------------------

@bp.post("/account/profiel/zichtbaarheid")
@login_required
def profile_visibility():
    form = PublicProfileForm()
    if form.validate_on_submit():
        account_services.set_public_profile(current_user, form.public_profile.data)
        db.session.commit()
        flash(_("Visitors who are not logged in now see your member page.")
              if current_user.public_profile
              else _("Only members see your member page now."), "success")
    return redirect(url_for("accounts.profile", _anchor="privacy"))


# -- deleting an account -----------------------------------------------------------------------

def _erase(user, mode: str, *, by):
    """Erase, commit, then clean the search index and database files."""
    report = erasure.erase_member(user, mode, by=by)
    db.session.commit()
    erasure.scrub_in_background(current_app._get_current_object(), report)
    return report


@bp.route("/account/verwijderen", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not account_services.check_password(user, form.password.data):
            form.password.errors.append(_("This is not your password."))
        else:
            try:
                _erase(user, form.mode.data, by=user)
            except erasure.ErasureError as failure:
                db.session.rollback()
                error = str(failure)
            else:
                logout_user()
                session.clear()
                return render_template("privacy/deleted.html", mode=form.mode.data)
    return render_template("privacy/delete_account.html", form=form, error=error)


@bp.route("/beheer/leden/<int:user_id>/verwijderen", methods=["GET", "POST"])
@login_required
def admin_delete_account(user_id: int):
    """An admin deletes a member's account, e.g. on a written request (audit-logged)."""
    require(can_manage_accounts)
    user = account_services.get_user(user_id)
    if user is None or user.is_deleted:
        abort(404)
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        if not account_services.check_password(current_user, form.password.data):
            form.password.errors.append(_("This is not your password."))
        elif user.id == current_user.id:
            error = _("Delete your own account from your profile.")
        else:
            try:
                _erase(user, form.mode.data, by=current_user._get_current_object())
            except erasure.ErasureError as failure:
                db.session.rollback()
                error = str(failure)
            else:
                flash(_("The account is deleted. The audit log records that it was, without "
                        "personal data."), "success")
                return redirect(url_for("accounts.admin_members"))
    return render_template("privacy/admin_delete.html", form=form, member=user, error=error)
