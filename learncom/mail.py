"""Outgoing mail: written to the outbox in the caller's transaction, delivered after commit.

    service wants a mail  ->  send_mail(to, subject, body)   (an outbox row, same transaction)
    view commits          ->  after_commit hook             (only if this session queued mail)
                          ->  deliver in the background     (the request never waits on SMTP)

A rolled-back request leaves no row, so it sends nothing. Delivery claims each row before
sending it (an UPDATE that only one process can win), so several gunicorn workers never send a
mail twice; a failed delivery is retried later with a growing pause, up to MAX_ATTEMPTS times.
`flask learncom send-mail` delivers what is due (run it from cron as a safety net: it picks up
mail whose process died before delivering it).

Which transport delivers (``deliver(message)``):

- ``MAILER`` in the app config, when set (an object with ``send(message)``): other transports;
- ``SMTPMailer`` when ``SMTP_HOST`` (``LEARNCOM_SMTP_HOST``) is set;
- otherwise ``LogMailer``: no mail server (development, `make run`): the whole message is printed
  in the server log at WARNING, which gunicorn shows, so a newcomer can follow a confirmation
  link from the terminal. Admins also read every message at ``/beheer/outbox``.

In tests (``MAIL_SYNC_SEND``, default: app.testing) and outside a request (CLI commands) delivery
runs synchronously in the hook.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from flask import Flask, current_app, has_request_context
from sqlalchemy import Integer, String, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from learncom import aftercommit
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db

MAX_ATTEMPTS = 8
#: A claimed row whose sender died comes due again after this long.
CLAIM_TIME = timedelta(minutes=10)
#: While failed mail waits for a retry, the background sender looks again this often (seconds).
RETRY_POLL = 60
BATCH = 50



class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Not before this time (a retry's pause, or a claim by a sender); None: at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    @property
    def failed(self) -> bool:
        """Given up: every attempt failed."""
        return self.sent_at is None and self.attempts >= MAX_ATTEMPTS


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


class LogMailer:
    """No mail server: prints the whole message in the server log (WARNING, so gunicorn shows
    it) instead of sending it."""

    def send(self, message: Message) -> None:
        current_app.logger.warning(
            "E-mail (no mail server configured, so printed here)\nTo: %s\nSubject: %s\n\n%s\n",
            message.to, message.subject, message.body)


class SMTPMailer:
    """Delivers through an SMTP server."""

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


def get_mailer() -> Mailer:
    config = current_app.config
    if config.get("MAILER") is not None:
        return config["MAILER"]
    if config.get("SMTP_HOST"):
        return SMTPMailer.from_config(config)
    return LogMailer()


def send_mail(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue one plain-text mail in the current transaction; it is delivered after commit."""
    row = OutboxMessage(to=to, subject=subject[:200], body=body)
    db.session.add(row)
    db.session.flush()
    aftercommit.request("mail")
    return row


# -- delivery ------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # attempts that failed this run (the row is retried later, or given up)


def _due(now: datetime):
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))


def retry_pause(attempts: int) -> timedelta:
    """1, 2, 4 … 64 minutes after the 1st … 7th failed attempt."""
    return timedelta(minutes=2 ** min(max(attempts - 1, 0), 6))


def deliver_due(*, limit: int = 1000) -> DeliveryReport:
    """Deliver every due outbox row (at most `limit`), each in short transactions of its own."""
    report = DeliveryReport()
    mailer = get_mailer()
    engine = db.engine
    done: set[int] = set()
    while report.sent + report.failed < limit:
        with Session(engine) as session:
            ids = [i for i in session.scalars(select(OutboxMessage.id).where(*_due(utcnow()))
                                              .order_by(OutboxMessage.id).limit(BATCH))
                   if i not in done]
            session.commit()
        if not ids:
            break
        for message_id in ids:
            done.add(message_id)
            outcome = _deliver_one(engine, mailer, message_id)
            if outcome is True:
                report.sent += 1
            elif outcome is False:
                report.failed += 1
    return report


def _deliver_one(engine, mailer: Mailer, message_id: int) -> bool | None:
    """True: sent; False: failed (retried later); None: another sender claimed it first."""
    now = utcnow()
    with Session(engine) as session:
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + CLAIM_TIME)
            .execution_options(synchronize_session=False))
        session.commit()
        if claimed.rowcount != 1:
            return None
        row = session.get(OutboxMessage, message_id)
        message = Message(to=row.to, subject=row.subject, body=row.body)
        attempts = row.attempts
        session.commit()
    try:
        mailer.send(message)
    except Exception as error:  # noqa: BLE001 - any transport failure: keep the row, retry later
        current_app.logger.warning("Mail %s to %s failed (attempt %s of %s): %s", message_id,
                                   message.to, attempts, MAX_ATTEMPTS, error)
        values = {"next_attempt_at": utcnow() + retry_pause(attempts),
                  "last_error": f"{type(error).__name__}: {error}"[:500]}
        ok = False
    else:
        values = {"sent_at": utcnow(), "next_attempt_at": None, "last_error": None}
        ok = True
    with Session(engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(**values).execution_options(synchronize_session=False))
        session.commit()
    return ok


def waiting_for_retry() -> int:
    """Rows that failed and will be tried again."""
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0,
            OutboxMessage.attempts < MAX_ATTEMPTS)) or 0


# -- after commit ----------------------------------------------------------------------------

def _deliver_in_background() -> float | None:
    """The sender thread's job; when failed mail waits for its retry, run again in
    RETRY_POLL seconds."""
    try:
        deliver_due()
    except Exception:
        current_app.logger.exception("mail: delivering the outbox failed")
        return RETRY_POLL
    return RETRY_POLL if waiting_for_retry() else None


def deliver_after_commit(app: Flask) -> None:
    if not app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return  # bulk jobs (and tests) that deliver with `flask learncom send-mail` later
    # Outside a request (a CLI command such as send-digests) deliver at once: the process may
    # exit right after its commit, taking a background thread with it.
    if app.config.get("MAIL_SYNC_SEND", app.testing) or not has_request_context():
        try:
            with app.app_context():
                deliver_due()
        except Exception:
            # The mail is committed in the outbox; never fail the request for it.
            app.logger.exception("mail: delivering the outbox failed")
        return
    # One sender per app; in a forked gunicorn worker `wake` starts the worker's own thread.
    sender = app.extensions.setdefault(
        "learncom_mail", aftercommit.Worker(app, "mail-sender", _deliver_in_background))
    sender.wake()




def init_app(app: Flask) -> None:
    """Mail is delivered after the commit of the transaction that queued it."""
    app.config.setdefault("MAIL_SYNC_SEND", app.testing)
    aftercommit.register("mail", deliver_after_commit)
