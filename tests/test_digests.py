"""E-mail digests (`flask learncom send-digests`), their settings page, the pluggable mailer and
the admins' outbox page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.follow.models import Notification
from learncom.mail import LogMailer, Message, OutboxMessage, SMTPMailer, get_mailer, send_mail
from tests.conftest import make_config

SITE = "https://learncom.example.nl"


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, SITE_URL=SITE + "/")


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to == to)
    return list(db.session.scalars(query))


def notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def send(runner, *args: str):
    result = runner.invoke(args=["learncom", "send-digests", *args])
    db.session.expire_all()
    return result


@pytest.fixture
def busy_post(create_user, create_post, create_comment):
    """A post by `author` with one reply from `replier`; returns (author, post, comment)."""
    def factory(author, title="Buurtkamer als vindplaats", body="Herkenbaar, bij ons ook."):
        post = create_post(author, title=title)
        comment = create_comment(post, create_user(), body)
        return post, comment
    return factory


def test_a_digest_lists_new_notifications_once(runner, create_user, busy_post):
    author = create_user("Auteur", email="auteur@example.org")
    assert author.email_digest == "weekly"
    post, comment = busy_post(author, body="Wij proberen dit ook in **Overvecht**.")

    result = send(runner)
    assert result.exit_code == 0, result.output
    [mail] = outbox("auteur@example.org")
    assert mail.subject.startswith("1 ")
    assert f"{SITE}/posts/{post.id}#reactie-{comment.id}" in mail.body
    assert f"{SITE}/meldingen/instellingen" in mail.body
    assert f"{SITE}/meldingen" in mail.body
    assert "Buurtkamer als vindplaats" in mail.body and comment.author.name in mail.body
    assert "Wij proberen dit ook in Overvecht." in mail.body  # plain-text excerpt
    assert all(n.emailed_at is not None for n in notes(author))
    assert author.last_digest_at is not None

    # Idempotent: again sends nothing, also not after the interval when nothing is new.
    assert send(runner).exit_code == 0
    author.last_digest_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert send(runner).exit_code == 0
    assert len(outbox()) == 1


def test_only_unread_unmailed_visible_notifications(runner, create_user, create_post,
                                                    create_comment):
    author = create_user("Auteur", email="auteur@example.org")
    post = create_post(author)
    read = create_comment(post, create_user("Lezer"), "Al gelezen.")
    hidden = create_comment(post, create_user("Verstopper"), "Wordt verborgen.")
    fresh = create_comment(post, create_user("Nieuw"), "Nieuw en ongelezen.")
    by_comment = {n.comment_id: n for n in notes(author)}
    by_comment[read.id].read_at = utcnow()
    hidden.hidden_at = utcnow()
    db.session.commit()
    send(runner)
    [mail] = outbox("auteur@example.org")
    assert f"#reactie-{fresh.id}" in mail.body
    assert f"#reactie-{read.id}" not in mail.body and f"#reactie-{hidden.id}" not in mail.body
    assert "Wordt verborgen" not in mail.body
    db.session.expire_all()
    assert by_comment[fresh.id].emailed_at is not None
    assert by_comment[read.id].emailed_at is None and by_comment[hidden.id].emailed_at is None


def test_daily_weekly_and_off(runner, create_user, busy_post):
    now = utcnow()
    members = {}
    for name, frequency, last in [
        ("Dagelijks nieuw", "daily", None),
        ("Dagelijks gisteren", "daily", now - timedelta(days=1)),
        ("Dagelijks net", "daily", now - timedelta(hours=2)),
        ("Wekelijks nieuw", "weekly", None),
        ("Wekelijks vorige week", "weekly", now - timedelta(days=7)),
        ("Wekelijks eergisteren", "weekly", now - timedelta(days=2)),
        ("Nooit", "off", None),
    ]:
        member = create_user(name, email=f"{name.replace(' ', '.').lower()}@example.org")
        member.email_digest, member.last_digest_at = frequency, last
        busy_post(member, title=f"Post van {name}")
        members[name] = member
    inactive = create_user("Gestopt", email="gestopt@example.org")
    busy_post(inactive)
    inactive.active = False
    db.session.commit()

    assert send(runner, "--frequency", "daily").exit_code == 0
    assert {m.to for m in outbox()} == {"dagelijks.nieuw@example.org",
                                       "dagelijks.gisteren@example.org"}
    assert send(runner, "--frequency", "weekly").exit_code == 0
    assert {m.to for m in outbox()} == {
        "dagelijks.nieuw@example.org", "dagelijks.gisteren@example.org",
        "wekelijks.nieuw@example.org", "wekelijks.vorige.week@example.org"}
    assert send(runner).exit_code == 0
    assert len(outbox()) == 4
    assert notes(members["Nooit"])[0].emailed_at is None
    assert members["Dagelijks net"].last_digest_at < now


def test_members_with_nothing_new_get_nothing(runner, create_user):
    member = create_user("Rustig")
    assert send(runner).exit_code == 0
    assert outbox() == [] and member.last_digest_at is None


def test_an_invalid_frequency_is_refused(runner):
    assert send(runner, "--frequency", "hourly").exit_code == 2


class Collecting:
    """A mailer plugged in through the MAILER setting."""

    def __init__(self, fail: bool = False):
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail:
            raise ConnectionError("mail server unreachable")
        self.sent.append(message)


def test_a_plugged_in_mailer_gets_every_mail(app, runner, create_user, busy_post):
    mailer = Collecting()
    app.config["MAILER"] = mailer
    author = create_user("Auteur", email="auteur@example.org")
    busy_post(author)
    assert send(runner).exit_code == 0
    [message] = mailer.sent
    assert message.to == "auteur@example.org" and f"{SITE}/posts/" in message.body
    send_mail("iemand@example.org", "Onderwerp", "Tekst")
    assert len(mailer.sent) == 1, "nothing is sent before the commit"
    db.session.commit()
    assert mailer.sent[-1] == Message("iemand@example.org", "Onderwerp", "Tekst")


def test_a_failing_mailer_keeps_the_digest_in_the_outbox_for_a_retry(app, runner, create_user,
                                                                     busy_post):
    app.config["MAILER"] = Collecting(fail=True)
    author = create_user("Auteur")
    busy_post(author)
    assert send(runner).exit_code == 0
    [row] = outbox()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "mail server unreachable" in row.last_error
    assert all(n.emailed_at is not None for n in notes(author)), "queued, so not queued again"
    assert send(runner).exit_code == 0
    assert len(outbox()) == 1
    app.config["MAILER"] = Collecting()
    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the retry's pause is over
    db.session.commit()
    result = runner.invoke(args=["learncom", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "Mail sent: 1" in result.output
    assert len(app.config["MAILER"].sent) == 1
    db.session.expire_all()
    assert outbox()[0].sent_at is not None


def test_the_mailer_choice(app):
    assert isinstance(get_mailer(), LogMailer)
    app.config["SMTP_HOST"] = "smtp.example.org"
    mailer = get_mailer()
    assert isinstance(mailer, SMTPMailer) and mailer.host == "smtp.example.org"
    app.config["SMTP_HOST"] = None
    send_mail("iemand@example.org", "Hallo", "Tekst")
    [row] = outbox()
    assert (row.to, row.subject, row.body, row.sent_at) == ("iemand@example.org", "Hallo",
                                                           "Tekst", None)


# -- the settings page -----------------------------------------------------------------------------

def test_the_settings_page(client, auth, create_user):
    member = create_user("Lid")
    assert client.get("/meldingen/instellingen").status_code == 302
    auth.login(member)
    html = client.get("/meldingen/instellingen").text
    assert re.search(r'<input[^>]*checked[^>]*value="weekly"', html)
    response = client.post("/meldingen/instellingen", data={"email_digest": "daily"})
    assert response.status_code == 302
    assert member.email_digest == "daily"
    assert re.search(r'<input[^>]*checked[^>]*value="daily"',
                     client.get("/meldingen/instellingen").text)
    for bad in ({"email_digest": "hourly"}, {}):
        response = client.post("/meldingen/instellingen", data=bad)
        assert response.status_code == 200
        assert 'id="email_digest-error"' in response.text
    db.session.expire_all()
    assert member.email_digest == "daily"
    client.post("/meldingen/instellingen", data={"email_digest": "off"})
    assert member.email_digest == "off"


# -- the outbox page -------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [(None, 302), ("member", 403), ("coordinator", 403),
                                         ("admin", 200)])
def test_outbox_permissions(client, auth, create_user, role, status):
    if role is not None:
        auth.login(create_user("Iemand", role=role))
    assert client.get("/beheer/outbox").status_code == status


def test_the_outbox_page(app, client, auth, create_user):
    app.config["PER_PAGE"] = 2
    admin = create_user("Beheerder", role="admin")
    for n in range(3):
        send_mail(f"lid{n}@example.org", f"Bericht {n}", f"Regel <script>alert({n})</script>")
    db.session.commit()
    auth.login(admin)
    html = client.get("/beheer/outbox").text
    ids = [int(i) for i in re.findall(r'id="mail-(\d+)"', html)]
    rows = outbox()
    assert ids == [rows[2].id, rows[1].id]
    assert "<script>alert" not in html and "&lt;script&gt;alert(2)" in html
    assert "lid2@example.org" in html
    page2 = client.get("/beheer/outbox?page=2").text
    assert re.findall(r'id="mail-(\d+)"', page2) == [str(rows[0].id)]


def test_links_in_the_outbox_can_be_followed(client, auth, create_user):
    """Without a mail server an admin may pass a confirmation link on from the outbox: the link
    is a link, and the rest of the mail stays escaped text."""
    admin = create_user("Beheerder", role="admin")
    send_mail("nieuw@example.org", "Bevestig je account",
              "Klik: http://localhost/account/bevestigen?token=abc123 <b>vet</b>")
    db.session.commit()
    auth.login(admin)
    html = client.get("/beheer/outbox").text
    assert re.search(r'<a href="http://localhost/account/bevestigen\?token=abc123"[^>]*>', html)
    assert "<b>vet</b>" not in html and "&lt;b&gt;vet&lt;/b&gt;" in html
