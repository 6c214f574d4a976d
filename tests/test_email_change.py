"""Changing one's e-mail address (issue 11, item 3): a link to the new address, a notice to the
old one, nothing changes until the link is followed (GET shows, POST confirms); confirming
changes the address, ends every other session (and remember cookie) while this browser stays
logged in, and is audited. Bad input keeps what was typed; an address another member has is
never revealed; links work once, expire, and only for the member who asked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from learncom.accesslog import redact
from learncom.accounts.models import EmailChange, User
from learncom.audit.models import AuditEvent
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.mail import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD

CONFIRM = "/account/e-mailadres-bevestigen"
NEW = "nieuw@example.org"


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to == to)
    return list(db.session.scalars(query))


def link_in(message: OutboxMessage) -> str:
    found = re.search(r"http://localhost(" + CONFIRM + r"/[^\s]+)", message.body)
    assert found, f"no confirmation link in: {message.body}"
    return found.group(1)


def log_in(client, email: str, remember: bool = False) -> None:
    data = {"email": email, "password": DEFAULT_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/account/inloggen", data=data).status_code == 302


def is_logged_in(client) -> bool:
    return client.get("/account/profiel").status_code == 200


def ask(client, email: str = NEW, password: str = DEFAULT_PASSWORD):
    return client.post("/account/e-mailadres", data={"email": email, "email_password": password})


def email_of(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).email


def changes() -> int:
    return db.session.scalar(select(func.count(EmailChange.id)))


@pytest.fixture
def member(create_user):
    return create_user("Mira Lid", email="mira@example.org")


@pytest.fixture
def logged_in(client, member):
    log_in(client, member.email)
    return client


def test_the_profile_has_the_form(logged_in):
    page = logged_in.get("/account/profiel").get_data(as_text=True)
    assert "E-mailadres wijzigen" in page
    assert 'id="email-form"' in page and 'action="/account/e-mailadres"' in page
    assert 'name="email_password"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "no id twice on the page (the section once was #email)"


def test_change_confirm_and_every_other_session_ends(app, client, member):
    user_id, old = member.id, member.email
    log_in(client, old, remember=True)
    phone = app.test_client()
    log_in(phone, old, remember=True)
    remembered = phone.get_cookie("remember_token").value

    response = ask(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profiel#email-change"
    page = client.get("/account/profiel").get_data(as_text=True)
    assert f"Kijk in de mailbox van {NEW}" in page
    assert 'id="email-change-pending"' in page
    assert email_of(user_id) == old, "nothing changes before the link is followed"

    [confirmation] = outbox(NEW)
    assert confirmation.subject == "Bevestig je nieuwe e-mailadres voor learncom"
    [notice] = outbox(old)
    assert NEW in notice.body and "wachtwoord-vergeten" in notice.body
    assert CONFIRM not in notice.body, "the old mailbox cannot confirm"
    path = link_in(confirmation)
    token = path.rsplit("/", 1)[1]
    assert token not in (db.session.scalar(select(EmailChange.token_hash)) or "")

    moved = client.get(path)
    assert moved.status_code == 303
    assert moved.headers["Location"] == CONFIRM, "the token leaves the address bar"
    shown = client.get(CONFIRM)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert NEW in html and 'id="confirm-email-form"' in html
    assert email_of(user_id) == old, "a GET (a mail scanner) changes nothing"

    with client.session_transaction() as session:
        before = session["_user_id"]
    done = client.post(CONFIRM)
    assert done.status_code == 302 and done.headers["Location"] == "/account/profiel"
    assert email_of(user_id) == NEW
    assert changes() == 0
    with client.session_transaction() as session:
        assert session["_user_id"] != before, "a fresh session for this browser"
        assert "email_change_token" not in session
    profile = client.get("/account/profiel")
    assert profile.status_code == 200, "this browser stays logged in"
    assert f"Je e-mailadres is nu {NEW}" in profile.get_data(as_text=True)

    assert not is_logged_in(phone), "the other device is logged out"
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert not is_logged_in(thief), "the old remember cookie no longer logs in"
    assert client.get_cookie("remember_token").value != remembered, "this browser: a new one"

    fresh = app.test_client()
    assert fresh.post("/account/inloggen", data={
        "email": old, "password": DEFAULT_PASSWORD}).status_code == 200, "old address is gone"
    log_in(fresh, NEW)


def test_confirming_writes_an_audit_event_without_addresses(client, logged_in, member):
    ask(logged_in)
    logged_in.get(link_in(outbox(NEW)[0]))
    logged_in.post(CONFIRM)
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "member.email_changed"))
    assert (event.actor_id, event.target_type, event.target_id) == (member.id, "users",
                                                                     member.id)
    assert NEW not in str(event.detail) and "mira@example.org" not in str(event.detail)


@pytest.mark.parametrize(("email", "password", "error_field"), [
    (NEW, "niet mijn wachtwoord", "email_password"),
    (NEW, "", "email_password"),
    ("geen-adres", DEFAULT_PASSWORD, "email"),
    ("", DEFAULT_PASSWORD, "email"),
    ("mira@example.org", DEFAULT_PASSWORD, "email"),
    (" MIRA@example.org ", DEFAULT_PASSWORD, "email"),
])
def test_bad_input_keeps_what_was_typed_and_sends_nothing(logged_in, member, email, password,
                                                          error_field):
    response = ask(logged_in, email, password)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{error_field}-error"' in page
    assert 'aria-invalid="true"' in page
    if email.strip():
        assert f'value="{email.strip()}"' in page
    if password:
        assert password not in page
    assert outbox() == [] and changes() == 0
    assert email_of(member.id) == "mira@example.org"


@pytest.mark.parametrize(("email", "password", "message"), [
    (NEW, "niet mijn wachtwoord", "Dit is niet je huidige wachtwoord."),
    ("geen-adres", DEFAULT_PASSWORD, "Dit is geen geldig e-mailadres."),
    ("mira@example.org", DEFAULT_PASSWORD, "Dit is al je e-mailadres."),
])
def test_errors_say_in_dutch_what_to_fix(logged_in, email, password, message):
    assert message in ask(logged_in, email, password).get_data(as_text=True)


def test_every_mistake_is_named_at_once(logged_in):
    for email in ("geen-adres", "mira@example.org"):
        page = ask(logged_in, email, "niet mijn wachtwoord").get_data(as_text=True)
        assert 'id="email-error"' in page and 'id="email_password-error"' in page


def test_an_address_another_member_has_is_not_revealed(logged_in, member, create_user):
    other = create_user("Bestaand Lid", email="bezet@example.org")

    def seen(response) -> str:
        assert response.status_code == 302
        page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
        return re.sub(r'name="csrf_token" value="[^"]*"', "", page)

    taken = seen(ask(logged_in, "bezet@example.org")).replace("bezet@example.org", "ADRES")
    free = seen(ask(logged_in, NEW)).replace(NEW, "ADRES")
    assert taken == free

    [warning] = outbox("bezet@example.org")
    assert CONFIRM not in warning.body, "no link that could take the address"
    assert "/account/inloggen" in warning.body and "wachtwoord-vergeten" in warning.body
    assert len(outbox("mira@example.org")) == 2, "the notice goes out both times"
    assert email_of(other.id) == "bezet@example.org"
    assert email_of(member.id) == "mira@example.org"


def test_an_address_taken_before_the_link_is_followed(logged_in, member, create_user):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    create_user("Sneller", email=NEW)
    logged_in.get(path)
    response = logged_in.post(CONFIRM)
    assert response.status_code == 302
    assert "Een ander account gebruikt dit e-mailadres inmiddels" in logged_in.get(
        "/account/profiel").get_data(as_text=True)
    assert email_of(member.id) == "mira@example.org"
    assert changes() == 0


def invalid(response) -> bool:
    page = response.get_data(as_text=True)
    return (response.status_code == 410 and "Deze link werkt niet" in page
            and 'href="/account/profiel#email-change"' in page)


def test_a_link_works_once(logged_in, member):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    logged_in.get(path)
    logged_in.post(CONFIRM)
    assert invalid(logged_in.get(path))
    assert invalid(logged_in.post(path))
    assert invalid(logged_in.post(CONFIRM))
    assert email_of(member.id) == NEW


def test_an_expired_link_is_refused_with_a_way_to_start_again(logged_in, member):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    logged_in.get(path)  # the token waits in the session …
    db.session.execute(update(EmailChange).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert invalid(logged_in.post(CONFIRM))  # … and has expired by the time of the POST
    assert invalid(logged_in.get(path))
    assert email_of(member.id) == "mira@example.org"
    assert ask(logged_in, "ander@example.org").status_code == 302, "asking again works"
    assert changes() == 1, "the expired request is gone"


@pytest.mark.parametrize("tamper", [lambda t: t[:-1], lambda t: "x" + t, lambda t: "nonsense",
                                    lambda t: "a" * 300])
def test_a_tampered_link_is_refused(logged_in, member, tamper):
    ask(logged_in)
    token = link_in(outbox(NEW)[0]).rsplit("/", 1)[1]
    assert invalid(logged_in.get(f"{CONFIRM}/{tamper(token)}"))
    assert invalid(logged_in.post(f"{CONFIRM}/{tamper(token)}"))
    assert email_of(member.id) == "mira@example.org"


def test_a_link_of_member_a_cannot_change_member_b(app, logged_in, member, create_user):
    bert = create_user("Bert", email="bert@example.org")
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    other = app.test_client()
    log_in(other, bert.email)
    other.get(path)
    for response in (other.get(CONFIRM), other.post(CONFIRM)):
        assert response.status_code == 403
        assert "Deze link hoort bij een ander account" in response.get_data(as_text=True)
    assert email_of(bert.id) == "bert@example.org"
    assert email_of(member.id) == "mira@example.org"
    assert is_logged_in(logged_in), "nothing happened to the member who asked"
    other.post("/account/uitloggen")  # as the page says: log out, log in as the one who asked
    log_in(other, member.email)
    assert other.post(CONFIRM).status_code == 302
    assert email_of(member.id) == NEW, "the member who asked still can"


def test_following_the_link_logged_out_asks_to_log_in_first(app, logged_in, member):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    phone = app.test_client()
    assert phone.get(path).headers["Location"] == CONFIRM
    to_login = phone.get(CONFIRM)
    assert to_login.status_code == 302
    location = to_login.headers["Location"]
    assert location.startswith("/account/inloggen") and path.rsplit("/", 1)[1] not in location
    assert phone.post(CONFIRM).headers["Location"] == location, "no change without a login"
    assert email_of(member.id) == "mira@example.org"
    logged = phone.post(location, data={"email": "mira@example.org",
                                        "password": DEFAULT_PASSWORD})
    assert logged.headers["Location"] == CONFIRM, "back to the link after logging in"
    assert NEW in phone.get(CONFIRM).get_data(as_text=True)
    phone.post(CONFIRM)
    assert email_of(member.id) == NEW
    assert not is_logged_in(logged_in) and is_logged_in(phone)


def test_cancelling_stops_the_link(logged_in, member):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    response = logged_in.post("/account/e-mailadres/annuleren")
    assert response.status_code == 302
    page = logged_in.get("/account/profiel").get_data(as_text=True)
    assert "De wijziging is gestopt. Je e-mailadres blijft mira@example.org." in page
    assert 'id="email-change-pending"' not in page
    assert invalid(logged_in.get(path))


def test_a_new_request_replaces_the_old_link(logged_in, member):
    ask(logged_in)
    first = link_in(outbox(NEW)[0])
    ask(logged_in, "ander@example.org")
    assert changes() == 1
    assert invalid(logged_in.get(first))


def test_a_new_password_cancels_a_waiting_change(logged_in, member):
    ask(logged_in)
    path = link_in(outbox(NEW)[0])
    logged_in.post("/account/wachtwoord-wijzigen", data={
        "current_password": DEFAULT_PASSWORD, "password": "een nieuw lang wachtwoord",
        "password_again": "een nieuw lang wachtwoord"})
    assert changes() == 0
    assert invalid(logged_in.get(path))


def test_routes_need_login_and_post(client):
    for url in ("/account/e-mailadres", "/account/e-mailadres/annuleren"):
        response = client.post(url, data={"email": NEW, "email_password": DEFAULT_PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/inloggen")
        assert client.get(url).status_code == 405
    assert changes() == 0 and outbox() == []


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_asking_and_confirming_need_the_token(self, client, member):
        page = client.get("/account/inloggen").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        client.post("/account/inloggen", data={"email": member.email,
                                                "password": DEFAULT_PASSWORD,
                                                "csrf_token": token})
        assert ask(client).status_code == 400
        assert changes() == 0 and outbox() == []
        page = client.get("/account/profiel").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/account/e-mailadres", data={
            "email": NEW, "email_password": DEFAULT_PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        client.get(link_in(outbox(NEW)[0]))
        assert client.post(CONFIRM).status_code == 400
        assert email_of(member.id) == "mira@example.org"
        assert client.post(CONFIRM, data={"csrf_token": token}).status_code == 302
        assert email_of(member.id) == NEW


def test_my_data_holds_the_waiting_change_and_deletion_removes_it(logged_in, member):
    from learncom.privacy.erasure import erase_member
    from learncom.privacy.mydata import export

    assert export(member)["email_change"] is None
    ask(logged_in)
    waiting = export(db.session.get(User, member.id))["email_change"]
    assert waiting["new_email"] == NEW and waiting["expires_at"]
    user = db.session.get(User, member.id)
    erase_member(user, "anonymise", by=user)
    db.session.commit()
    assert changes() == 0
    assert outbox(NEW) == [], "the mail to the new address went with the account"
    assert all(NEW not in m.body and "mira@example.org" not in m.body for m in outbox())


def test_deletion_keeps_mail_to_another_member_at_the_typed_address(logged_in, member,
                                                                     create_user):
    from learncom.privacy.erasure import erase_member

    create_user("Bestaand Lid", email="bezet@example.org")
    ask(logged_in, "bezet@example.org")
    user = db.session.get(User, member.id)
    erase_member(user, "anonymise", by=user)
    db.session.commit()
    assert changes() == 0
    assert len(outbox("bezet@example.org")) == 1


def test_the_access_log_hides_the_token():
    assert redact(f"GET {CONFIRM}/abcDEF_123 HTTP/1.1") == f"GET {CONFIRM}/[token] HTTP/1.1"
