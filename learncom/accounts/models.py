"""Members and teams. A member's *kind* is a badge and grants nothing; rights come from *role*."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, String, Table
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


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


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
    # Flask-Login identifies sessions by this token, so changing it logs out every session.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=_new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Notification e-mail: "off", "daily" or "weekly" digest (see follow/).
    email_digest: Mapped[str] = mapped_column(String(8), default="weekly", server_default="weekly")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member saw the welcome page (shown once, after the first login).
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def is_coordinator(self) -> bool:
        return self.has_role("coordinator")

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    @property
    def kind_label(self) -> str:
        return str(MEMBER_KINDS.get(self.kind, self.kind))

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))

    @property
    def team_ids(self) -> set[int]:
        return {team.id for team in self.teams}

    def can_see_email_of(self, other: User) -> bool:
        """An e-mail address is shown only to its owner, coordinators and admins."""
        return self.id == other.id or self.is_coordinator

    @property
    def can_manage_teams(self) -> bool:
        """Coordinators (and admins) create teams and choose their members."""
        return self.is_coordinator

    @property
    def can_manage_accounts(self) -> bool:
        """Only admins change roles and (de)activate accounts."""
        return self.is_admin

    def reset_session_token(self) -> None:
        self.session_token = _new_session_token()


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
