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

from learncom.accounts import services
from learncom.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TeamForm,
    TeamMemberForm,
)
from learncom.discussion import services as discussion_services
from learncom.extensions import db
from learncom.markdown import excerpt
from learncom.posts import services as post_services
from learncom.vocab import MEMBER_KINDS
from learncom.web import page_arg, safe_next_url

bp = Blueprint("accounts", __name__)

MEMBER_COMMENTS = 20


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


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


@bp.get("/account/registreren/verstuurd")
def register_sent():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/register_sent.html", email=email)


@bp.route("/account/bevestigen/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows what will be activated; POST activates. Mail scanners that fetch links never
    create or log in to an account."""
    registration = services.read_registration(token)
    if registration is None:
        flash(_("This link is invalid or has expired. Please register again."), "error")
        return redirect(url_for("accounts.register"))
    if request.method == "GET":
        return render_template("accounts/confirm.html", registration=registration,
                               kind_label=MEMBER_KINDS.get(registration["kind"], ""))
    user, created = services.confirm_registration(token)
    if user is None:
        flash(_("This link is invalid or has expired. Please register again."), "error")
        return redirect(url_for("accounts.register"))
    if not created:
        flash(_("Your account is already active. Please log in."), "info")
        return redirect(url_for("accounts.login"))
    services.mark_welcomed(user)
    db.session.commit()
    login_user(user)
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
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            first_time = services.mark_welcomed(user)
            db.session.commit()  # authenticate() may have upgraded the password hash
            login_user(user, remember=form.remember.data)
            return redirect(_welcome_url(next_url) if first_time else next_url)
        form.password.errors.append(_("E-mail address or password is incorrect."))
    return render_template("accounts/login.html", form=form,
                           next=safe_next_url(raw_next, default=""))


@bp.post("/account/uitloggen")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
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


@bp.route("/account/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This link is invalid, has expired or was already used. "
                "Ask for a new one below."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        login_user(user)
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
            db.session.commit()
            remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=remember_cookie in request.cookies)
            flash(_("Your new password is saved. Other devices are logged out."), "success")
            return redirect(url_for("accounts.profile"))
        form.current_password.errors.append(_("This is not your current password."))
    profile_form = ProfileForm(formdata=None, obj=current_user, user_id=current_user.id)
    return render_template("accounts/profile.html", form=profile_form, password_form=form)


# -- profile and member pages --------------------------------------------------------------------

@bp.route("/account/profiel", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, user_id=current_user.id)
    if form.validate_on_submit():
        services.update_profile(current_user, form.data)
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.member", user_id=current_user.id))
    return render_template("accounts/profile.html", form=form,
                           password_form=ChangePasswordForm(formdata=None))


@bp.get("/leden/<int:user_id>")
def member(user_id: int):
    user = services.get_user(user_id)
    if user is None:
        abort(404)
    page = db.paginate(post_services.filtered_posts(current_user, author_id=user.id),
                       page=page_arg(), per_page=_per_page(), error_out=False)
    comments = [(comment, excerpt(comment.body, 200)) for comment in
                discussion_services.comments_by(user, current_user, limit=MEMBER_COMMENTS)]
    show_email = current_user.is_authenticated and current_user.can_see_email_of(user)
    return render_template("accounts/member.html", member=user, page=page, comments=comments,
                           counts=post_services.comment_counts([p.id for p in page.items]),
                           show_email=show_email)


@bp.get("/leden")
def members():
    kind = request.args.get("kind")
    kind = kind if kind in MEMBER_KINDS else None
    query = (request.args.get("q") or "").strip()[:80]
    page = db.paginate(services.members_query(kind=kind, query=query), page=page_arg(),
                       per_page=_per_page(), error_out=False)
    return render_template("accounts/members.html", page=page, kind=kind, query=query,
                           kind_counts=services.kind_counts())


# -- teams ---------------------------------------------------------------------------------------

def _teams_page(form: TeamForm | None):
    return render_template("accounts/teams.html", teams=services.teams_with_counts(), form=form)


@bp.get("/teams")
def teams():
    can_manage = current_user.is_authenticated and current_user.can_manage_teams
    return _teams_page(TeamForm(formdata=None) if can_manage else None)


@bp.post("/teams")
@login_required
def create_team():
    _require(current_user.can_manage_teams)
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
    page = db.paginate(post_services.filtered_posts(current_user).filter_by(team_id=team.id),
                       page=page_arg(), per_page=_per_page(), error_out=False)
    return render_template("accounts/team.html", team=team, page=page, member_form=member_form,
                           counts=post_services.comment_counts([p.id for p in page.items]))


@bp.get("/teams/<slug>")
def team(slug: str):
    team = _team_or_404(slug)
    can_manage = current_user.is_authenticated and current_user.can_manage_teams
    return _team_page(team, TeamMemberForm(formdata=None) if can_manage else None)


@bp.post("/teams/<slug>/leden")
@login_required
def add_team_member(slug: str):
    _require(current_user.can_manage_teams)
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
    _require(current_user.can_manage_teams)
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
    _require(current_user.can_manage_accounts)
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
    _require(current_user.can_manage_accounts)
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
