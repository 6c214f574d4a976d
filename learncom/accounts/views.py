"""Account pages: register/confirm, log in/out, password reset and change, profile, member
pages, teams and the admin's member list. Views stay thin: services hold the logic and the
view commits once."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from learncom import slots
from learncom.accounts import services, sessions
from learncom.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TeamForm,
    TeamMemberForm,
)
from learncom.errors import TooManyAttempts
from learncom.extensions import db
from learncom.permissions import (
    can_confirm_email_change,
    can_manage_accounts,
    can_manage_teams,
    can_see_email,
    can_view_member,
    require,
)
from learncom.vocab import MEMBER_KINDS
from learncom.web import page_arg, safe_next_url

bp = Blueprint("accounts", __name__)


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


# -- registration --------------------------------------------------------------------------------

@bp.route("/account/registreren", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("posts.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.request_registration(form.data)
        db.session.commit()
        # Post/redirect/get: reloading the "check your e-mail" page sends no second mail.
        session["registered_email"] = form.email.data
        return redirect(url_for("accounts.register_sent"))
    return render_template("accounts/register.html", form=form)


#: What a visitor chose before logging in that stays theirs after it: the language, and the
#: e-mail change link being confirmed (it works only for the member who asked for it, so one
#: planted by someone else is refused).
KEPT_AT_LOGIN = ("locale", "email_change_token")


def log_in(user, *, remember: bool = False) -> None:
    """Start a fresh login session for `user` on this device and commit. The old Flask session
    is emptied first (but for the chosen language), so nothing set before the login, by anyone,
    carries over."""
    sessions.start_session(user)
    db.session.commit()
    kept = {key: session[key] for key in KEPT_AT_LOGIN if key in session}
    session.clear()
    session.update(kept)
    login_user(user, remember=remember)


def _remembered() -> bool:
    """Whether this device was logged in with "keep me logged in"."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def _token_from_link(key: str, token: str | None, endpoint: str):
    """A link's token goes into the session, and the browser to the same page without it, so
    the token never stays in the address bar, the history, a Referer or the access log."""
    session[key] = token
    return redirect(url_for(endpoint), code=303)


@bp.get("/account/registreren/verstuurd")
def register_sent():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/register_sent.html", email=email)


@bp.route("/account/bevestigen", methods=["GET", "POST"], defaults={"token": None})
@bp.route("/account/bevestigen/<token>", methods=["GET", "POST"])
def confirm(token: str | None):
    """GET shows what will be activated; POST activates. Mail scanners that fetch links never
    create or log in to an account. The link's GET moves its token into the session."""
    if token is not None and request.method == "GET":
        if services.read_registration(token) is None:
            flash(_("This link is invalid or has expired. Please register again."), "error")
            return redirect(url_for("accounts.register"))
        return _token_from_link("confirm_token", token, "accounts.confirm")
    token = token or session.get("confirm_token")
    registration = services.read_registration(token)
    if registration is None:
        flash(_("This link is invalid or has expired. Please register again."), "error")
        return redirect(url_for("accounts.register"))
    if request.method == "GET":
        if registration.confirmed_at is not None:
            flash(_("Your account is already active. Please log in."), "info")
            return redirect(url_for("accounts.login"))
        return render_template("accounts/confirm.html", registration=registration,
                               kind_label=MEMBER_KINDS.get(registration.kind, ""))
    user, created = services.confirm_registration(token)
    if not created:
        db.session.rollback()
        flash(_("Your account is already active. Please log in."), "info")
        return redirect(url_for("accounts.login"))
    services.mark_welcomed(user)
    log_in(user)
    flash(_("Welcome, %(name)s! Your account is active.", name=user.name), "success")
    return redirect(_welcome_url(url_for("posts.home")))


# -- the welcome page (once, after the first login) -----------------------------------------------

def _welcome_url(next_url: str) -> str:
    return url_for("accounts.welcome", next=next_url)


@bp.get("/welkom")
@login_required
def welcome():
    """Where a new member starts: the three kinds of post explained, and tags and
    neighbourhoods to follow (the `welcome.suggestions` slot)."""
    return render_template("accounts/welcome.html",
                           next=safe_next_url(request.args.get("next"),
                                              default=url_for("posts.home")))


# -- log in and out ------------------------------------------------------------------------------

@bp.route("/account/inloggen", methods=["GET", "POST"])
def login():
    raw_next = request.args.get("next")
    next_url = safe_next_url(raw_next, default=url_for("posts.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    unconfirmed = False
    if form.validate_on_submit():
        email = form.email.data
        wait = sessions.login_wait(email)
        if wait:
            raise TooManyAttempts(_(
                "Too many wrong passwords for this e-mail address. Wait a while, or choose a "
                "new password with \"Forgot your password?\"."), wait)
        found = services.check_login(email, form.password.data)
        if found.user is not None:
            sessions.clear_failed_logins(email)
            first_time = services.mark_welcomed(found.user)
            log_in(found.user, remember=form.remember.data)
            return redirect(_welcome_url(next_url) if first_time else next_url)
        if found.pending is not None:
            # The right password for a registration that still waits for its e-mail link:
            # only now may we say so, and offer a new link.
            session["resend_registration"] = found.pending.id
            unconfirmed = True
        else:
            sessions.record_failed_login(email)
            db.session.commit()
            form.password.errors.append(_("E-mail address or password is incorrect."))
    return render_template("accounts/login.html", form=form, unconfirmed=unconfirmed,
                           next=safe_next_url(raw_next, default=""))


@bp.post("/account/bevestiging-opnieuw")
def resend_confirmation():
    """A new confirmation link for the registration whose password was just typed correctly."""
    pending_id = session.pop("resend_registration", None)
    if not isinstance(pending_id, int) or not services.resend_confirmation(pending_id):
        flash(_("There is nothing to confirm any more. Log in, or register again."), "info")
        return redirect(url_for("accounts.login"))
    db.session.commit()
    return render_template("accounts/register_sent.html", email=None)


@bp.post("/account/uitloggen")
def logout():
    if current_user.is_authenticated:
        sessions.end_session(current_user.get_id())
        db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("posts.home"))


@bp.post("/account/overal-uitloggen")
@login_required
def logout_everywhere():
    sessions.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You are logged out on all devices."), "info")
    return redirect(url_for("posts.home"))


# -- passwords -----------------------------------------------------------------------------------

@bp.route("/account/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/forgot_password_sent.html", email=form.email.data)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/account/wachtwoord-herstellen", methods=["GET", "POST"], defaults={"token": None})
@bp.route("/account/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token: str | None):
    from_link = token is not None
    token = token or session.get("reset_token")
    user = services.user_for_reset_token(token) if token else None
    if user is None:
        flash(_("This link is invalid, has expired or was already used. "
                "Ask for a new one below."), "error")
        return redirect(url_for("accounts.forgot_password"))
    if from_link and request.method == "GET":
        return _token_from_link("reset_token", token, "accounts.reset_password")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        log_in(user)
        flash(_("Your new password is saved. You are logged in."), "success")
        return redirect(url_for("posts.home"))
    return render_template("accounts/reset_password.html", form=form, user=user)


@bp.post("/account/wachtwoord-wijzigen")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if services.check_password(current_user, form.current_password.data):
            user = current_user._get_current_object()
            services.set_password(user, form.password.data)
            log_in(user, remember=_remembered())
            flash(_("Your new password is saved. Other devices are logged out."), "success")
            return redirect(url_for("accounts.profile"))
        form.current_password.errors.append(_("This is not your current password."))
    return _profile_page(password_form=form)


# -- the e-mail address --------------------------------------------------------------------------

@bp.post("/account/e-mailadres")
@login_required
def change_email():
    """Ask for a new address: a link goes to it, a notice to the current one; nothing changes
    until the link is followed (confirm_email)."""
    form = ChangeEmailForm()
    valid = form.validate_on_submit()
    user = current_user._get_current_object()
    # The password is checked whatever else is wrong, so one round says everything to fix.
    if form.email_password.data and not services.check_password(user,
                                                                form.email_password.data):
        form.email_password.errors.append(_("This is not your current password."))
        valid = False
    if not form.email.errors and services.normalise_email(form.email.data) == user.email:
        form.email.errors.append(_("This is already your e-mail address."))
        valid = False
    if valid:
        services.request_email_change(user, form.email.data)
        db.session.commit()
        flash(_("Check the mailbox of %(email)s and follow the link in our message. "
                "Your e-mail address changes only after that.",
                email=services.normalise_email(form.email.data)), "success")
        return redirect(url_for("accounts.profile", _anchor="email-change"))
    return _profile_page(email_form=form)


@bp.post("/account/e-mailadres/annuleren")
@login_required
def cancel_email_change():
    if services.cancel_email_change(current_user):
        db.session.commit()
        flash(_("The change is cancelled. Your e-mail address stays %(email)s.",
                email=current_user.email), "info")
    return redirect(url_for("accounts.profile", _anchor="email-change"))


def _email_link_invalid(*, other_account: bool = False):
    """A link that does not work (any more), or one for another member: then the link stays in
    the session, so after logging in as the member who asked it works."""
    if not other_account:
        session.pop("email_change_token", None)
    return render_template("accounts/email_link_invalid.html",
                           other_account=other_account), 403 if other_account else 410


@bp.route("/account/e-mailadres-bevestigen", methods=["GET", "POST"], defaults={"token": None})
@bp.route("/account/e-mailadres-bevestigen/<token>", methods=["GET", "POST"])
def confirm_email(token: str | None):
    """The link mailed to the new address. GET shows what will change; POST changes it (a mail
    scanner fetching the link changes nothing). Only the member who asked may confirm: one who
    is not logged in logs in first, the link waiting in the session."""
    if token is not None and request.method == "GET":
        if services.read_email_change(token) is None:
            return _email_link_invalid()
        return _token_from_link("email_change_token", token, "accounts.confirm_email")
    if token is not None:
        session["email_change_token"] = token
    if not current_user.is_authenticated:
        flash(_("Log in to confirm your new e-mail address."), "info")
        return redirect(url_for("accounts.login", next=url_for("accounts.confirm_email")))
    change = services.read_email_change(session.get("email_change_token"))
    if change is None:
        return _email_link_invalid()
    if not can_confirm_email_change(current_user, change):
        return _email_link_invalid(other_account=True)
    if request.method == "GET":
        return render_template("accounts/confirm_email.html", change=change)
    session.pop("email_change_token", None)
    try:
        user = services.confirm_email_change(change)
    except services.AccountError as error:
        db.session.commit()  # the link is used up
        flash(str(error), "error")
        return redirect(url_for("accounts.profile", _anchor="email-change"))
    log_in(user, remember=_remembered())
    flash(_("Your e-mail address is now %(email)s. Other devices are logged out.",
            email=user.email), "success")
    return redirect(url_for("accounts.profile"))


# -- profile and member pages --------------------------------------------------------------------

def _profile_page(*, form=None, password_form=None, email_form=None):
    """The profile page with its forms; the one that was sent keeps what was typed."""
    user = current_user._get_current_object()
    return render_template(
        "accounts/profile.html",
        form=form or ProfileForm(formdata=None, obj=user, user_id=user.id),
        password_form=password_form or ChangePasswordForm(formdata=None),
        email_form=email_form or ChangeEmailForm(formdata=None),
        email_change=services.pending_email_change(user),
        session_count=sessions.session_count(user))


@bp.route("/account/profiel", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, user_id=current_user.id)
    if form.validate_on_submit():
        services.update_profile(current_user, form.data)
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.member", user_id=current_user.id))
    return _profile_page(form=form)


@bp.get("/leden/<int:user_id>")
def member(user_id: int):
    user = services.get_user(user_id)
    if user is None or not can_view_member(current_user, user):
        abort(404)
    show_email = can_see_email(current_user, user)
    return render_template("accounts/member.html", member=user, show_email=show_email,
                           **slots.page_context("member", member=user, viewer=current_user))


@bp.get("/leden")
def members():
    kind = request.args.get("kind")
    kind = kind if kind in MEMBER_KINDS else None
    query = (request.args.get("q") or "").strip()[:80]
    page = db.paginate(services.members_query(kind=kind, query=query, viewer=current_user),
                       page=page_arg(), per_page=_per_page(), error_out=False)
    return render_template("accounts/members.html", page=page, kind=kind, query=query,
                           kind_counts=services.kind_counts(current_user))


# -- teams ---------------------------------------------------------------------------------------

def _teams_page(form: TeamForm | None):
    return render_template("accounts/teams.html", teams=services.teams_with_counts(current_user),
                           form=form)


@bp.get("/teams")
def teams():
    can_manage = can_manage_teams(current_user)
    return _teams_page(TeamForm(formdata=None) if can_manage else None)


@bp.post("/teams")
@login_required
def create_team():
    require(can_manage_teams)
    form = TeamForm()
    if form.validate_on_submit():
        team = services.create_team(form.name.data, form.description.data,
                                    by=current_user)
        db.session.commit()
        flash(_("Team %(name)s is created. Add its members below.", name=team.name), "success")
        return redirect(url_for("accounts.team", slug=team.slug))
    return _teams_page(form)


def _team_or_404(slug: str):
    team = services.get_team_by_slug(slug)
    if team is None:
        abort(404)
    return team


def _team_page(team, member_form: TeamMemberForm | None):
    members = [user for user in team.members if can_view_member(current_user, user)]
    return render_template("accounts/team.html", team=team, member_form=member_form,
                           members=members,
                           **slots.page_context("team", team=team, viewer=current_user))


@bp.get("/teams/<slug>")
def team(slug: str):
    team = _team_or_404(slug)
    can_manage = can_manage_teams(current_user)
    return _team_page(team, TeamMemberForm(formdata=None) if can_manage else None)


@bp.post("/teams/<slug>/leden")
@login_required
def add_team_member(slug: str):
    require(can_manage_teams)
    team = _team_or_404(slug)
    form = TeamMemberForm()
    if form.validate_on_submit():
        user = services.find_member(form.member.data)
        if user is None:
            form.member.errors.append(_("No active member has this display name or e-mail "
                                        "address."))
        else:
            if services.add_team_member(team, user, by=current_user):
                db.session.commit()
                flash(_("%(name)s is now a member of %(team)s.", name=user.name,
                        team=team.name), "success")
            else:
                flash(_("%(name)s is already a member of %(team)s.", name=user.name,
                        team=team.name), "info")
            return redirect(url_for("accounts.team", slug=team.slug))
    return _team_page(team, form)


@bp.post("/teams/<slug>/leden/<int:user_id>/verwijderen")
@login_required
def remove_team_member(slug: str, user_id: int):
    require(can_manage_teams)
    team = _team_or_404(slug)
    user = services.get_user(user_id)
    if user is None:
        abort(404)
    if services.remove_team_member(team, user, by=current_user):
        db.session.commit()
        flash(_("%(name)s is no longer a member of %(team)s.", name=user.name, team=team.name),
              "success")
    return redirect(url_for("accounts.team", slug=team.slug))


# -- admin: roles and accounts -------------------------------------------------------------------

ACCOUNT_STATUSES = ("active", "inactive")


@bp.get("/beheer/leden")
@login_required
def admin_members():
    require(can_manage_accounts)
    query = (request.args.get("q") or "").strip()[:80]
    status = request.args.get("status")
    status = status if status in ACCOUNT_STATUSES else None
    stmt = services.members_query(query=query, include_inactive=True)
    if status is not None:
        stmt = stmt.filter_by(active=status == "active")
    page = db.paginate(stmt, page=page_arg(), per_page=_per_page(), error_out=False)
    return render_template("accounts/admin_members.html", page=page, query=query, status=status)


def _back_to_admin_list():
    return redirect(safe_next_url(request.form.get("next"),
                                  default=url_for("accounts.admin_members")))


def _managed_user(user_id: int):
    require(can_manage_accounts)
    user = services.get_user(user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/beheer/leden/<int:user_id>/rol")
@login_required
def change_role(user_id: int):
    user = _managed_user(user_id)
    try:
        services.change_role(user, request.form.get("role", ""), by=current_user)
    except services.AccountError as error:
        flash(str(error), "error")
        return _back_to_admin_list()
    if user.id == current_user.id:
        log_in(user, remember=_remembered())  # one's own role: a fresh session, new rights
    else:
        db.session.commit()
    flash(_("%(name)s is now %(role)s.", name=user.name, role=user.role_label.lower()), "success")
    return _back_to_admin_list()


@bp.route("/beheer/leden/<int:user_id>/deactiveren", methods=["GET", "POST"])
@login_required
def deactivate(user_id: int):
    """GET asks "are you sure?" and says what happens; the form on that page POSTs."""
    user = _managed_user(user_id)
    if request.method == "GET":
        if not user.active:
            return redirect(url_for("accounts.admin_members"))
        return render_template("accounts/deactivate.html", user=user,
                               next=safe_next_url(request.args.get("next"), default=""))
    try:
        services.set_active(user, False, by=current_user)
    except services.AccountError as error:
        flash(str(error), "error")
        return _back_to_admin_list()
    db.session.commit()
    flash(_("The account of %(name)s is deactivated; they are logged out everywhere.",
            name=user.name), "success")
    return _back_to_admin_list()


@bp.post("/beheer/leden/<int:user_id>/activeren")
@login_required
def reactivate(user_id: int):
    user = _managed_user(user_id)
    services.set_active(user, True, by=current_user)
    db.session.commit()
    flash(_("The account of %(name)s is active again.", name=user.name), "success")
    return _back_to_admin_list()
