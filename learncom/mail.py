"""Outgoing mail through a small pluggable mailer.

A mailer is any object with ``send(message: Message)``. Which one is used:

- ``MAILER`` in the app config, when set (an object with ``send``): for other transports;
- ``SMTPMailer`` when ``SMTP_HOST`` (``LEARNCOM_SMTP_HOST``) is set;
- otherwise ``OutboxMailer``: the message is only kept in the outbox table, which admins read at
  ``/beheer/outbox`` (many installs have no mail server).

Both built-in mailers keep every message in the outbox (in the caller's transaction), so admins
can always see what was sent; the SMTP mailer also delivers it and sets ``sent_at``.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


def _keep(message: Message) -> OutboxMessage:
    row = OutboxMessage(to=message.to, subject=message.subject[:200], body=message.body)
    db.session.add(row)
    db.session.flush()
    return row


class OutboxMailer:
    """Keeps the message in the outbox table only (the default)."""

    def send(self, message: Message) -> None:
        _keep(message)
        current_app.logger.info("Mail to %s: %s\n%s", message.to, message.subject, message.body)


class SMTPMailer:
    """Keeps the message in the outbox and delivers it through an SMTP server."""

    def __init__(self, host: str, port: int = 587, *, user: str | None = None,
                 password: str | None = None, starttls: bool = True,
                 sender: str = "learncom@localhost", timeout: float = 10) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.sender, self.timeout = starttls, sender, timeout

    @classmethod
    def from_config(cls, config) -> SMTPMailer:
        return cls(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587),
                   user=config.get("SMTP_USER"), password=config.get("SMTP_PASSWORD"),
                   starttls=config.get("SMTP_STARTTLS", True),
                   sender=config.get("MAIL_FROM") or "learncom@localhost")

    def send(self, message: Message) -> None:
        row = _keep(message)
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email)
        row.sent_at = utcnow()
        db.session.flush()


def get_mailer() -> Mailer:
    config = current_app.config
    if config.get("MAILER") is not None:
        return config["MAILER"]
    if config.get("SMTP_HOST"):
        return SMTPMailer.from_config(config)
    return OutboxMailer()


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail with the configured mailer (kept in the outbox in the same
    transaction as the change that caused it)."""
    get_mailer().send(Message(to=to, subject=subject, body=body))
