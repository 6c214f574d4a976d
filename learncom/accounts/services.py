"""Account logic: passwords, registration by confirmed e-mail, login, password reset, profiles,
teams and roles.

Services change objects and flush; the view commits once per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.accounts import sessions
from learncom.accounts.models import (
    EmailChange,
    PendingRegistration,
    Team,
    User,
    team_members,
)
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.mail import send_mail
from learncom.text import slugify
from learncom.vocab import MEMBER_KINDS, ROLES

MIN_PASSWORD_LENGTH = 10
CONFIRM_LIFETIME = timedelta(hours=48)
RESET_MAX_AGE = 60 * 60

#: profile -> (hasher, dummy hash), made once per process. One dict entry holding both: with
#: two dicts, a thread could find the hasher made by another and its dummy hash not yet
#: (a KeyError at log-in under gunicorn's threaded worker).
_HASHERS: dict[str, tuple[PasswordHasher, str]] = {}


def _password_hasher() -> tuple[PasswordHasher, str]:
    """The argon2 hasher and a dummy hash for it. PASSWORD_HASH_PROFILE = "fast" (the test
    suite) uses the cheapest parameters; everything else uses argon2-cffi's defaults."""
    profile = "default"
    if has_app_context() and current_app.config.get("PASSWORD_HASH_PROFILE") == "fast":
        profile = "fast"
    made = _HASHERS.get(profile)
    if made is None:
        hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST) if profile == "fast"
                  else PasswordHasher())
        # Verified against when the e-mail is unknown, so a failed login takes the same time.
        made = _HASHERS.setdefault(profile, (hasher, hasher.hash("learncom-dummy-password")))
    return made


class AccountError(ValueError):
    """A change that breaks a rule; the message is shown to the user."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# -- passwords and login -------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _password_hasher()[0].hash(password)


def check_password(user: User | None, password: str) -> bool:
    hasher, dummy = _password_hasher()
    stored = user.password_hash if user is not None and user.password_hash else dummy
    try:
        ok = hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def set_password(user: User, password: str) -> None:
    """A new password ends every login session of the member (the view starts a fresh one for
    the device that chose it), and every password-reset link made for the old password stops
    working."""
    user.password_hash = hash_password(password)
    db.session.flush()
    sessions.end_all_sessions(user)
    # Someone who knew the old password may have asked for a new e-mail address: that goes too.
    cancel_email_change(user)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


@dataclass
class LoginCheck:
    """What a log-in attempt found: the member, or a registration waiting for its e-mail link
    whose password was right (so we may say so), or neither."""
    user: User | None = None
    pending: PendingRegistration | None = None


def check_login(email: str, password: str) -> LoginCheck:
    """One password check whatever the address is (a member, a registration waiting for
    confirmation, unknown) or whether the account is deactivated, so timing tells nothing."""
    user = get_user_by_email(email)
    pending = None if user is not None else latest_pending_registration(email)
    stored = (user.password_hash if user is not None
              else pending.password_hash if pending is not None else None)
    hasher, dummy = _password_hasher()
    try:
        ok = hasher.verify(stored or dummy, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        return LoginCheck()
    if pending is not None:
        return LoginCheck(pending=pending)
    if not user.active:
        return LoginCheck()
    if hasher.check_needs_rehash(user.password_hash):
        # Stronger parameters since this hash was made: upgrade it now we know the password.
        user.password_hash = hash_password(password)
        db.session.flush()
    return LoginCheck(user=user)


def authenticate(email: str, password: str) -> User | None:
    """The active member for this e-mail and password, or None."""
    return check_login(email, password).user


# -- registration --------------------------------------------------------------------------------

def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_registration(data: dict) -> None:
    """Keep the registration as a pending row and mail a link with a random token; the account
    is made when the link is followed. A known address gets a "you already have an account"
    mail instead, and the visitor sees the same answer either way, so the form never reveals who
    is a member. The password is hashed on both paths so the answer also takes the same time."""
    email = normalise_email(data["email"])
    password_hash = hash_password(data["password"])
    _forget_expired_registrations()
    if get_user_by_email(email) is not None:
        send_mail(email, _("Your learncom account"), _(
            "Someone (perhaps you) tried to register on learncom with this e-mail address, "
            "but it already has an account. Log in here: %(url)s\n\n"
            "Forgot your password? Choose a new one here: %(reset)s\n\n"
            "If this was not you, you can ignore this message.",
            url=url_for("accounts.login", _external=True),
            reset=url_for("accounts.forgot_password", _external=True)))
        return
    pending = PendingRegistration(
        email=email, name=data["name"].strip(), kind=data["kind"],
        organisation=(data.get("organisation") or "").strip() or None,
        function=(data.get("function") or "").strip() or None,
        password_hash=password_hash)
    _mail_confirmation(pending)


def _mail_confirmation(pending: PendingRegistration) -> None:
    """A fresh token (an earlier link for this row stops working) and the mail that carries it."""
    token = secrets.token_urlsafe(32)
    pending.token_hash = _token_digest(token)
    pending.expires_at = utcnow() + CONFIRM_LIFETIME
    db.session.add(pending)
    db.session.flush()
    send_mail(pending.email, _("Confirm your learncom account"), _(
        "Welcome to learncom, %(name)s!\n\nFollow this link to activate your account "
        "(valid for 48 hours):\n%(url)s\n\nIf you did not register, ignore this message.",
        name=pending.name, url=url_for("accounts.confirm", token=token, _external=True)))


def resend_confirmation(pending_id: int) -> bool:
    """Mail a new link for a registration still waiting (asked for after logging in with its
    password); False when there is nothing to confirm any more."""
    pending = db.session.get(PendingRegistration, pending_id)
    if (pending is None or pending.confirmed_at is not None or pending.password_hash is None
            or get_user_by_email(pending.email) is not None):
        return False
    _mail_confirmation(pending)
    return True


def _forget_expired_registrations() -> None:
    db.session.execute(delete(PendingRegistration).where(
        PendingRegistration.expires_at < utcnow()))


def read_registration(token: str) -> PendingRegistration | None:
    """The registration a confirmation link is for (unexpired), or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(PendingRegistration).where(
        PendingRegistration.token_hash == _token_digest(token),
        PendingRegistration.expires_at > utcnow()))


def latest_pending_registration(email: str) -> PendingRegistration | None:
    return db.session.scalar(
        select(PendingRegistration).where(PendingRegistration.email == normalise_email(email),
                                          PendingRegistration.confirmed_at.is_(None),
                                          PendingRegistration.expires_at > utcnow())
        .order_by(PendingRegistration.created_at.desc(), PendingRegistration.id.desc()).limit(1))


def confirm_registration(token: str) -> tuple[User | None, bool]:
    """Create the account from a valid link: (user, created). (None, False) if the link is broken
    or expired; (existing user, False) if this link was already used or the address has an
    account by now."""
    pending = read_registration(token)
    if pending is None:
        return None, False
    existing = get_user_by_email(pending.email)
    if existing is not None or pending.confirmed_at is not None:
        return existing, False
    kind = pending.kind if pending.kind in MEMBER_KINDS else "resident"
    user = User(email=pending.email, name=unique_display_name(pending.name), kind=kind,
                organisation=pending.organisation, function=pending.function,
                password_hash=pending.password_hash)
    db.session.add(user)
    # The other registrations for this address are moot; this one stays (without its password
    # hash) until it expires, so following the link again says "already active".
    db.session.execute(delete(PendingRegistration).where(
        PendingRegistration.email == pending.email, PendingRegistration.id != pending.id))
    pending.password_hash = None
    pending.confirmed_at = utcnow()
    db.session.flush()
    return user, True


def unique_display_name(name: str) -> str:
    """The name, or the name with a number when someone took it since the form was checked."""
    name = name.strip()
    candidate, n = name, 2
    while display_name_taken(candidate):
        candidate, n = f"{name[:75]} {n}", n + 1
    return candidate


def display_name_taken(name: str, exclude_user_id: int | None = None) -> bool:
    """Display names are unique (case-insensitive) so @mentions and member pages are unambiguous."""
    query = select(User.id).where(func.lower(User.name) == (name or "").strip().lower())
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    return db.session.scalar(query.limit(1)) is not None


def create_user(email: str, name: str, password: str | None = None, *, kind: str = "resident",
                role: str = "member", organisation: str | None = None,
                function: str | None = None) -> User:
    user = User(email=normalise_email(email), name=name.strip(), kind=kind, role=role,
                organisation=organisation, function=function,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


# -- password reset ------------------------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    """A short digest of the current password hash: a reset link signed with it stops working
    as soon as the password changes (so each link works once)."""
    return hashlib.sha256((user.password_hash or "-").encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer("learncom-reset").dumps({"id": user.id, "pw": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Mail a reset link to a known, active address; do nothing otherwise. The visitor sees the
    same answer either way."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    url = url_for("accounts.reset_password", token=make_reset_token(user), _external=True)
    send_mail(user.email, _("Choose a new learncom password"), _(
        "Hello %(name)s,\n\nFollow this link to choose a new password (valid for one hour, "
        "and only once):\n%(url)s\n\nIf you did not ask for this, ignore this message: "
        "your password stays as it is.", name=user.name, url=url))


def user_for_reset_token(token: str) -> User | None:
    """The member a reset link is for, or None if it is broken, expired or already used."""
    try:
        payload = _serializer("learncom-reset").loads(token, max_age=RESET_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    user = db.session.get(User, payload["id"])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(payload.get("pw", "")), _password_fingerprint(user)):
        return None
    return user


# -- profile -------------------------------------------------------------------------------------

def update_profile(user: User, data: dict) -> None:
    user.name = data["name"].strip()
    user.kind = data["kind"]
    user.organisation = (data.get("organisation") or "").strip() or None
    user.function = (data.get("function") or "").strip() or None
    db.session.flush()


def set_public_profile(user: User, public: bool) -> None:
    """Whether anonymous visitors see the member page and find the member in the lists."""
    user.public_profile = bool(public)
    db.session.flush()


# -- changing the e-mail address -----------------------------------------------------------------

def request_email_change(user: User, new_email: str) -> None:
    """Ask for a new address (the view has checked the password): nothing changes until the link
    mailed to the new address is followed. The current address gets a notice, so a member whose
    password is known to someone else hears of it. An address another member has gets a "you
    already have an account" mail instead of a link, and everything else is the same (the page,
    the notice, the waiting change), so the form never reveals who is a member (as at
    registration)."""
    new_email = normalise_email(new_email)
    cancel_email_change(user)
    db.session.execute(delete(EmailChange).where(EmailChange.expires_at < utcnow()))
    token = secrets.token_urlsafe(32)
    db.session.add(EmailChange(user_id=user.id, new_email=new_email,
                               token_hash=_token_digest(token),
                               expires_at=utcnow() + CONFIRM_LIFETIME))
    db.session.flush()
    if get_user_by_email(new_email) is not None:
        # The token above is never mailed: this change can never be confirmed.
        send_mail(new_email, _("Your learncom account"), _(
            "Someone (perhaps you) tried to change the e-mail address of a learncom account "
            "to this address, but this address already has an account. Nothing has changed. "
            "Log in here: %(url)s\n\n"
            "Forgot your password? Choose a new one here: %(reset)s\n\n"
            "If this was not you, you can ignore this message.",
            url=url_for("accounts.login", _external=True),
            reset=url_for("accounts.forgot_password", _external=True)))
    else:
        send_mail(new_email, _("Confirm your new e-mail address for learncom"), _(
            "Hello %(name)s,\n\nYou asked to use this e-mail address for your learncom "
            "account. Follow this link to confirm it (valid for 48 hours, and only once):\n"
            "%(url)s\n\nUntil then you log in with your old address. If you did not ask for "
            "this, ignore this message: nothing changes.",
            name=user.name, url=url_for("accounts.confirm_email", token=token, _external=True)))
    send_mail(user.email, _("Your learncom e-mail address is being changed"), _(
        "Hello %(name)s,\n\nSomeone asked to change the e-mail address of your learncom "
        "account to %(email)s. It changes only when the link we sent to that address is "
        "followed.\n\nWas this not you? Then someone knows your password. Choose a new "
        "password now: %(reset)s\nThat stops the change and logs out every device.",
        name=user.name, email=new_email,
        reset=url_for("accounts.forgot_password", _external=True)))


def pending_email_change(user: User) -> EmailChange | None:
    """The member's unexpired request for a new address, if any."""
    return db.session.scalar(select(EmailChange).where(
        EmailChange.user_id == user.id, EmailChange.expires_at > utcnow())
        .order_by(EmailChange.id.desc()).limit(1))


def cancel_email_change(user: User) -> bool:
    """Forget the member's waiting change (its link stops working); False if there was none."""
    result = db.session.execute(delete(EmailChange).where(EmailChange.user_id == user.id))
    db.session.flush()
    return bool(result.rowcount)


def read_email_change(token: str | None) -> EmailChange | None:
    """The change a link is for (unexpired, not used yet), or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(EmailChange).where(
        EmailChange.token_hash == _token_digest(token), EmailChange.expires_at > utcnow()))


def confirm_email_change(change: EmailChange) -> User:
    """Make the new address the member's (the view has checked the link is theirs). The link
    works once; every login session of the member ends (the view starts a fresh one for this
    browser), since a changed address is as much a change of who can get in as a password."""
    user = db.session.get(User, change.user_id)
    db.session.delete(change)
    db.session.flush()
    holder = get_user_by_email(change.new_email)
    if holder is not None and holder.id != user.id:
        raise AccountError(_("Another account uses this e-mail address by now. Nothing has "
                             "changed; choose another address."))
    user.email = change.new_email
    db.session.flush()
    sessions.end_all_sessions(user)
    events.emit("member.email_changed", user=user, actor=user)
    return user


# -- member lists --------------------------------------------------------------------------------

def members_query(*, kind: str | None = None, query: str | None = None,
                  include_inactive: bool = False, viewer=None) -> Select:
    """Members by name; optionally one kind, or a name (or, for admins, e-mail) fragment.
    Without `include_inactive` (the admins' list): the members `viewer` may find."""
    stmt = select(User).options(selectinload(User.teams)).order_by(func.lower(User.name), User.id)
    stmt = stmt.where(User.deleted_at.is_(None))
    if not include_inactive:
        stmt = stmt.where(User.listed_to(viewer))
    if kind in MEMBER_KINDS:
        stmt = stmt.where(User.kind == kind)
    if query:
        needle = query.strip().lower()
        condition = func.lower(User.name).contains(needle, autoescape=True)
        if include_inactive:  # the admin list also finds e-mail addresses
            condition = or_(condition, User.email.contains(needle, autoescape=True))
        stmt = stmt.where(condition)
    return stmt


def kind_counts(viewer=None) -> dict[str, int]:
    """The members `viewer` may find, per kind, in one query."""
    rows = db.session.execute(select(User.kind, func.count(User.id))
                              .where(User.listed_to(viewer)).group_by(User.kind))
    return dict(rows.all())


def find_member(name_or_email: str) -> User | None:
    """An active member by e-mail address or by display name (case-insensitive)."""
    value = (name_or_email or "").strip()
    if not value:
        return None
    if "@" in value:
        user = get_user_by_email(value)
        if user is not None and user.active:
            return user
    return db.session.scalar(select(User).where(func.lower(User.name) == value.lower(),
                                                User.active.is_(True)).limit(1))


# -- roles and activation ------------------------------------------------------------------------

def mark_welcomed(user: User) -> bool:
    """Note that the member is shown the welcome page now; True the first time only."""
    if user.welcomed_at is not None:
        return False
    user.welcomed_at = utcnow()
    db.session.flush()
    return True


def active_admin_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True))) or 0


def change_role(user: User, role: str, *, by: User | None = None) -> None:
    """Set a member's role; never leaves the site without an active admin."""
    if role not in ROLES:
        raise AccountError(_("Unknown role."))
    if user.role == role:
        return
    if user.role == "admin" and user.active and active_admin_count() <= 1:
        raise AccountError(_("%(name)s is the last admin. Make someone else admin first.",
                             name=user.name))
    old, user.role = user.role, role
    db.session.flush()
    # Rights changed: the member's sessions end, so the next one starts with the new role.
    sessions.end_all_sessions(user)
    events.emit("member.role_changed", user=user, actor=by, old=old, new=role)


def set_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate (cannot log in; every session ends) or reactivate an account."""
    if user.active == active:
        return
    if not active:
        if user.id == by.id:
            raise AccountError(_("You cannot deactivate your own account."))
        if user.role == "admin" and active_admin_count() <= 1:
            raise AccountError(_("%(name)s is the last admin. Make someone else admin first.",
                                 name=user.name))
        sessions.end_all_sessions(user)
    user.active = active
    db.session.flush()
    events.emit("member.activation_changed", user=user, actor=by, active=active)


# -- teams ---------------------------------------------------------------------------------------

def get_or_create_team(name: str) -> Team:
    name = name.strip()
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, slug=_unique_team_slug(name))
        db.session.add(team)
        db.session.flush()
    return team


def team_name_taken(name: str) -> bool:
    return db.session.scalar(select(Team.id).where(
        func.lower(Team.name) == (name or "").strip().lower()).limit(1)) is not None


def create_team(name: str, description: str | None = None, *, by: User | None = None) -> Team:
    name = name.strip()
    if not name:
        raise AccountError(_("Fill in a name."))
    if team_name_taken(name):
        raise AccountError(_("A team with this name already exists."))
    team = Team(name=name, slug=_unique_team_slug(name),
                description=(description or "").strip() or None)
    db.session.add(team)
    db.session.flush()
    events.emit("team.created", team=team, actor=by)
    return team


def get_team_by_slug(slug: str) -> Team | None:
    return db.session.scalar(select(Team).where(Team.slug == slug)
                             .options(selectinload(Team.members)))


def teams_with_counts(viewer=None) -> list[tuple[Team, int]]:
    """Every team with its number of members that `viewer` may find, in two queries."""
    counts = dict(db.session.execute(
        select(team_members.c.team_id, func.count(team_members.c.user_id))
        .join(User, User.id == team_members.c.user_id).where(User.listed_to(viewer))
        .group_by(team_members.c.team_id)).all())
    teams = db.session.scalars(select(Team).order_by(func.lower(Team.name))).all()
    return [(team, counts.get(team.id, 0)) for team in teams]


def add_team_member(team: Team, user: User, *, by: User | None = None) -> bool:
    """Add a member; False when they already belong to the team."""
    if user in team.members:
        return False
    team.members.append(user)
    db.session.flush()
    events.emit("team.member_added", team=team, user=user, actor=by)
    return True


def remove_team_member(team: Team, user: User, *, by: User | None = None) -> bool:
    """Remove a member; False when they did not belong to the team."""
    if user not in team.members:
        return False
    team.members.remove(user)
    db.session.flush()
    events.emit("team.member_removed", team=team, user=user, actor=by)
    return True


def _unique_team_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 2
    while db.session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug
