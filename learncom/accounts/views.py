from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from learncom.accounts import services
from learncom.accounts.forms import LoginForm, ProfileForm, RegisterForm
from learncom.accounts.models import User
from learncom.discussion import services as discussion_services
from learncom.extensions import db
from learncom.posts import services as post_services
from learncom.web import safe_next_url

bp = Blueprint("accounts", __name__)


@bp.route("/account/registreren", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("posts.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.request_registration(form.data)
        db.session.commit()
        return render_template("accounts/register_sent.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.get("/account/bevestigen/<token>")
def confirm(token: str):
    user = services.confirm_registration(token)
    if user is None:
        flash(_("This link is invalid or has expired. Please register again."), "error")
        return redirect(url_for("accounts.register"))
    db.session.commit()
    login_user(user)
    flash(_("Welcome, %(name)s! Your account is active.", name=user.name), "success")
    return redirect(url_for("posts.home"))


@bp.route("/account/inloggen", methods=["GET", "POST"])
def login():
    next_url = safe_next_url(request.args.get("next"), default=url_for("posts.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(next_url)
        form.password.errors.append(_("E-mail address or password is incorrect."))
    return render_template("accounts/login.html", form=form)


@bp.post("/account/uitloggen")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("posts.home"))


@bp.route("/account/profiel", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, user_id=current_user.id)
    if form.validate_on_submit():
        services.update_profile(current_user, form.data)
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.member", user_id=current_user.id))
    return render_template("accounts/profile.html", form=form)


@bp.get("/leden/<int:user_id>")
def member(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    posts = db.session.scalars(
        post_services.filtered_posts(current_user, author_id=user.id).limit(50)).all()
    comments = discussion_services.comments_by(user, current_user)
    return render_template("accounts/member.html", member=user, posts=posts, comments=comments,
                           counts=post_services.comment_counts([p.id for p in posts]))


@bp.get("/leden")
def members():
    users = db.session.scalars(select(User).where(User.active).order_by(User.name)).all()
    return render_template("accounts/members.html", members=users)
