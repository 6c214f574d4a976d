"""Outgoing mail: SMTP when LEARNCOM_SMTP_HOST is set, otherwise an outbox table that admins can
read (many installs have no mail server). Mail is sent after the request commits."""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

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


def send_mail(to: str, subject: str, body: str) -> None:
    """Queue a mail in the outbox (same transaction as the change that caused it) and, when SMTP
    is configured, deliver it now."""
    message = OutboxMessage(to=to, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    host = current_app.config.get("SMTP_HOST")
    if not host:
        current_app.logger.info("Mail to %s: %s\n%s", to, subject, body)
        return
    email = EmailMessage()
    email["From"] = current_app.config.get("MAIL_FROM", "learncom@localhost")
    email["To"] = to
    email["Subject"] = subject
    email.set_content(body)
    with smtplib.SMTP(host, int(current_app.config.get("SMTP_PORT", 587)), timeout=10) as smtp:
        if current_app.config.get("SMTP_STARTTLS", True):
            smtp.starttls()
        if current_app.config.get("SMTP_USER"):
            smtp.login(current_app.config["SMTP_USER"], current_app.config["SMTP_PASSWORD"])
        smtp.send_message(email)
    message.sent_at = utcnow()
