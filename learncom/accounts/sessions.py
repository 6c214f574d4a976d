"""Login sessions that end, and the per-account log-in throttle.

A login session is a row per logged-in device (Discourse's way, rather than one token per
member): each login gets a fresh random token, so logging in never logs out another device and a
token planted before login is worthless. Flask-Login carries the token in the session cookie and,
with "keep me logged in", in a remember cookie that lasts as long as the session (30 days).

- log out: the row is deleted, so every copy of that cookie stops working;
- log out everywhere, a new password, a role change, deactivation: every row of the member is
  deleted (the device that changed the password gets a fresh session).

Failed log-ins are counted per address in the database (FailedLogin), so the throttle holds
across workers and machines without a shared cache.

Services flush; the view commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from learncom.accounts.models import FailedLogin, LoginSession, User
from learncom.dbtypes import utcnow
from learncom.extensions import db

SESSION_LIFETIME = timedelta(days=30)
#: At most this many wrong passwords per address within the window; then wait.
MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new login session for `user` (their `get_id()` from now on); returns its token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.expires_at <= now))
    db.session.add(LoginSession(user_id=user.id, token_hash=_digest(token), created_at=now,
                                expires_at=now + SESSION_LIFETIME))
    db.session.flush()
    user.login_token = token
    return token


def load_user(token: str) -> User | None:
    """Flask-Login's loader: the active member whose unexpired login session has this token."""
    if not token or len(token) > 200:
        return None
    # The member's teams are loaded with them: nearly every page asks what the member may
    # see, and team-only posts depend on them. In a statement of their own, by the member's
    # id: joined to this one, SQLite read every team membership of every member for each
    # request (it cannot look a parenthesised join up by index: 6 ms at 13,000 memberships).
    user = db.session.scalars(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _digest(token), LoginSession.expires_at > utcnow(),
               User.active.is_(True))
        .options(selectinload(User.teams))).first()
    if user is not None:
        user.login_token = token
    return user


def end_session(token: str | None) -> None:
    """Log out one device: every copy of its cookie stops working."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
        db.session.flush()


def end_all_sessions(user: User) -> None:
    """Log the member out on every device."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.flush()
    user.login_token = None


def session_count(user: User) -> int:
    return db.session.scalar(select(func.count(LoginSession.id)).where(
        LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())) or 0


# -- the per-account log-in throttle -------------------------------------------------------------

def _throttle_on() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _account_key(email: str) -> str:
    """A keyed hash of the address: equal for equal addresses, useless without the secret."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def login_wait(email: str) -> int:
    """Seconds until this address may try a password again (0: now). The same for known and
    unknown addresses, so it reveals nothing about who is a member."""
    if not _throttle_on():
        return 0
    since = utcnow() - FAILED_LOGIN_WINDOW
    account = _account_key(email)
    count, oldest = db.session.execute(
        select(func.count(FailedLogin.id), func.min(FailedLogin.created_at))
        .where(FailedLogin.account == account, FailedLogin.created_at > since)).one()
    if count < MAX_FAILED_LOGINS:
        return 0
    return max(1, int((oldest + FAILED_LOGIN_WINDOW - utcnow()).total_seconds()) + 1)


def record_failed_login(email: str) -> None:
    if not _throttle_on():
        return
    now = utcnow()
    db.session.execute(delete(FailedLogin).where(FailedLogin.created_at <= now
                                                 - FAILED_LOGIN_WINDOW))
    db.session.add(FailedLogin(account=_account_key(email), created_at=now))
    db.session.flush()


def clear_failed_logins(email: str) -> None:
    if not _throttle_on():
        return
    db.session.execute(delete(FailedLogin).where(FailedLogin.account == _account_key(email)))
    db.session.flush()
