"""Members and teams. A member's *kind* is a badge and grants nothing; rights come from *role*."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, and_, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db
from learncom.vocab import MEMBER_KINDS, ROLE_RANK, ROLES

team_members = Table(
    "team_members",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    # None: no usable password (imported authors, anonymised accounts).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="resident")
    organisation: Mapped[str | None] = mapped_column(String(120))
    function: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="member")
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Notification e-mail: "off", "daily" or "weekly" digest (see follow/).
    email_digest: Mapped[str] = mapped_column(String(8), default="weekly", server_default="weekly")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Anonymous visitors see the member page (and the member in the directory) only when the
    # member chose so; off by default.
    public_profile: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when the account was deleted (learncom/privacy/erasure.py): the row stays as an empty
    # tombstone without name, e-mail or password, so ids are never reused.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member saw the welcome page (shown once, after the first login).
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"

    #: The token of the login session this object was loaded for (see LoginSession); not stored.
    login_token: ClassVar[str | None] = None  # set per instance by sessions.py

    def get_id(self) -> str | None:
        """Flask-Login keeps this in the session and the remember cookie: the login session's
        random token, never the member's id, so ending that session ends every copy."""
        return self.login_token

    # UserMixin compares get_id(); the login token is per session (and None for every member
    # not logged in), so compare members by id.
    def __eq__(self, other) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def has_role(self, role: str) -> bool:
        """At least this role (member < coordinator < admin). What a role allows is decided in
        learncom/permissions.py, the only place that asks."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def kind_label(self) -> str:
        return str(MEMBER_KINDS.get(self.kind, self.kind))

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))

    @property
    def team_ids(self) -> set[int]:
        return {team.id for team in self.teams}

    @classmethod
    def listed_to(cls, viewer) -> object:
        """SQL condition: the members a viewer finds in the directory and team lists. Members
        see every active member; anonymous visitors only those who chose a public profile."""
        if viewer is not None and viewer.is_authenticated:
            return cls.active.is_(True)
        return and_(cls.active.is_(True), cls.public_profile.is_(True))


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", order_by="User.name"
    )

    def __repr__(self) -> str:
        return f"<Team {self.slug}>"


class LoginSession(db.Model):
    """One logged-in device: a row per login. Flask-Login's session and remember cookie carry the
    random token; only its SHA-256 is stored, so a copy of the database logs no one in. Logging
    out deletes the row (every copy of that cookie dies, other devices stay logged in); "log out
    everywhere", a new password, a role change and deactivation delete all of a member's rows.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingRegistration(db.Model):
    """A registration waiting for its e-mail link. The link carries only a random token; the
    row keeps its SHA-256, so neither the link nor the database gives the other away. Confirming
    creates the User and keeps the row (without the password hash) until it expires, so a link
    followed twice can say "already active"."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str | None] = mapped_column(String(120))
    function: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FailedLogin(db.Model):
    """A wrong password for an address (known or not): the per-account log-in throttle. In the
    database, so it holds across workers and machines without a shared cache. `account` is a
    keyed hash of the address, so typed addresses are not kept."""

    __tablename__ = "failed_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class EmailChange(db.Model):
    """A new e-mail address waiting for the link mailed to it (Discourse's way): nothing changes
    until that link is followed, so a typo or someone at an unlocked screen cannot take the
    account away. As with registrations, the link carries a random token and only its SHA-256
    is kept. One row per member at most; confirming deletes it, so each link works once."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
