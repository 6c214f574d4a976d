"""Account logic: passwords, registration by confirmed e-mail, login, profiles, teams.

Services change objects and flush; the view commits once per request.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from learncom.accounts.models import Team, User
from learncom.extensions import db
from learncom.mail import send_mail
from learncom.text import slugify

MIN_PASSWORD_LENGTH = 10
CONFIRM_MAX_AGE = 60 * 60 * 48

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a failed login takes the same time either way.
_DUMMY_HASH = _hasher.hash("learncom-dummy-password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.reset_session_token()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def load_user_by_token(token: str) -> User | None:
    """Flask-Login loader: sessions carry the user's session token, not the id."""
    user = db.session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def authenticate(email: str, password: str) -> User | None:
    user = get_user_by_email(email)
    if check_password(user, password) and user.active:
        return user
    return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="learncom-register")


def request_registration(data: dict) -> None:
    """Mail a confirmation link carrying the signed registration; nothing is stored until the link
    is followed. A known address gets a "you already have an account" mail instead, and the
    visitor sees the same answer either way, so the form never reveals who is a member."""
    email = normalise_email(data["email"])
    if get_user_by_email(email) is not None:
        send_mail(email, _("Your learncom account"), _(
            "Someone (perhaps you) tried to register on learncom with this e-mail address, "
            "but it already has an account. Log in here: %(url)s\n\n"
            "If this was not you, you can ignore this message.",
            url=url_for("accounts.login", _external=True)))
        return
    payload = {
        "email": email,
        "name": data["name"].strip(),
        "kind": data["kind"],
        "organisation": (data.get("organisation") or "").strip() or None,
        "function": (data.get("function") or "").strip() or None,
        "password_hash": hash_password(data["password"]),
    }
    token = _serializer().dumps(payload)
    send_mail(email, _("Confirm your learncom account"), _(
        "Welcome to learncom, %(name)s!\n\nFollow this link to activate your account "
        "(valid for 48 hours):\n%(url)s\n\nIf you did not register, ignore this message.",
        name=payload["name"], url=url_for("accounts.confirm", token=token, _external=True)))


def confirm_registration(token: str) -> User | None:
    """Create the account from a valid link; None if the link is broken or expired. Following
    the link twice finds the account made the first time."""
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    existing = get_user_by_email(payload["email"])
    if existing is not None:
        return existing if existing.password_hash == payload["password_hash"] else None
    user = User(**payload)
    db.session.add(user)
    db.session.flush()
    return user


def create_user(email: str, name: str, password: str | None = None, *, kind: str = "resident",
                role: str = "member", organisation: str | None = None,
                function: str | None = None) -> User:
    user = User(email=normalise_email(email), name=name.strip(), kind=kind, role=role,
                organisation=organisation, function=function,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def update_profile(user: User, data: dict) -> None:
    user.name = data["name"].strip()
    user.kind = data["kind"]
    user.organisation = (data.get("organisation") or "").strip() or None
    user.function = (data.get("function") or "").strip() or None
    db.session.flush()


def display_name_taken(name: str, exclude_user_id: int | None = None) -> bool:
    """Display names are unique (case-insensitive) so @mentions and member pages are unambiguous."""
    query = select(User.id).where(func.lower(User.name) == name.strip().lower())
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    return db.session.scalar(query) is not None


def get_or_create_team(name: str) -> Team:
    name = name.strip()
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, slug=_unique_team_slug(name))
        db.session.add(team)
        db.session.flush()
    return team


def _unique_team_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 2
    while db.session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug
