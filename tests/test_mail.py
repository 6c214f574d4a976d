"""Mail after commit: mail is written to the outbox in the request's transaction and delivered
after commit (here to a real SMTP server on localhost, aiosmtpd), with retries; a rolled-back
request sends nothing; several senders never send one mail twice."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import message_from_bytes
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.mail import MAX_ATTEMPTS, OutboxMessage, deliver_due, retry_pause, send_mail
from tests.conftest import make_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server on localhost that keeps what it receives."""

    def __init__(self, port: int):
        self.port = port
        self.received: list = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        return [m for m in self.received if m["To"] == address]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def sink(smtp_port):
    server = Sink(smtp_port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(database_url, tmp_path, smtp_port):
    return make_config(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port,
                       SMTP_STARTTLS=False, MAIL_FROM="learncom@example.org")


def rows() -> list[SimpleNamespace]:
    """The outbox as it is now; the test's transaction ends so it never holds SQLite's lock."""
    db.session.expire_all()
    found = [SimpleNamespace(**{column: getattr(row, column) for column in COLUMNS},
                             failed=row.failed)
             for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    db.session.commit()
    return found


COLUMNS = ("id", "to", "sent_at", "attempts", "next_attempt_at", "last_error")


def make_due() -> None:
    """As if every retry's pause were over."""
    db.session.execute(update(OutboxMessage).values(next_attempt_at=None))
    db.session.commit()


REGISTRATION = {"name": "Fatima B.", "kind": "resident", "email": "fatima@example.org",
                "password": "een lange zin als wachtwoord",
                "password_again": "een lange zin als wachtwoord"}


def test_a_request_mails_through_smtp_after_its_commit(client, sink):
    response = client.post("/account/registreren", data=REGISTRATION)
    assert response.status_code == 302  # to the check-your-mail page (post/redirect/get)
    [mail] = sink.to("fatima@example.org")
    assert mail["From"] == "learncom@example.org"
    assert "/account/bevestigen/" in mail.get_payload(decode=True).decode()
    [row] = rows()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None


def test_a_rolled_back_request_sends_no_mail(app, client, sink, create_user):
    create_user(email="lid@example.org")

    @app.post("/test/mail-then-fail")
    def mail_then_fail():
        send_mail("lid@example.org", "Nooit", "Deze mail mag niet weg.")
        db.session.flush()
        raise RuntimeError("the request fails after queueing a mail")

    app.testing = False  # answer 500 instead of raising into the test
    assert client.post("/test/mail-then-fail").status_code == 500
    assert sink.received == []
    assert rows() == []


def test_an_unreachable_server_is_retried_later(app, client, sink, runner):
    sink.stop()
    response = client.post("/account/registreren", data=REGISTRATION, follow_redirects=True)
    assert response.status_code == 200, "the visitor never waits on or sees a mail failure"
    [row] = rows()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "Connection" in row.last_error or "refused" in row.last_error
    assert row.next_attempt_at > utcnow() + retry_pause(1) - timedelta(seconds=5)

    result = runner.invoke(args=["learncom", "send-mail"])
    assert "Mail sent: 0" in result.output, "not before its pause is over"

    sink.start()
    make_due()
    result = runner.invoke(args=["learncom", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "Mail sent: 1" in result.output
    assert len(sink.to("fatima@example.org")) == 1
    [row] = rows()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


def test_a_mail_that_keeps_failing_is_given_up(app, sink):
    sink.stop()
    send_mail("lid@example.org", "Onderwerp", "Tekst")
    db.session.commit()
    for _attempt in range(MAX_ATTEMPTS + 2):
        make_due()
        deliver_due()
    row = rows()[0]
    assert row.attempts == MAX_ATTEMPTS and row.failed and row.sent_at is None


def test_the_admin_outbox_shows_delivery(app, client, auth, create_user, sink):
    admin = create_user("Beheerder", role="admin")
    send_mail("lid@example.org", "Verstuurd", "Tekst")
    db.session.commit()
    sink.stop()
    send_mail("lid@example.org", "Mislukt", "Tekst")
    db.session.commit()
    auth.login(admin)
    html = client.get("/beheer/outbox").get_data(as_text=True)
    assert "nog niet: de laatste poging mislukte" in html
    assert html.count("<time") >= 3


def test_two_senders_at_once_send_each_mail_once(app, sink):
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False  # the two threads below deliver
    for n in range(12):
        send_mail(f"lid{n}@example.org", f"Bericht {n}", "Tekst")
    db.session.commit()
    assert all(row.sent_at is None for row in rows())

    def sender():
        with app.app_context():
            deliver_due()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(m["To"] for m in sink.received) == sorted(f"lid{n}@example.org"
                                                           for n in range(12))
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows())
