"""Registration without secrets in links (a pending registration row; the link carries only a
random token, stored hashed), links whose token leaves the address bar at once, logging in
before confirming (a clear message and a new link, only after the right password), and the
per-account log-in throttle kept in the database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from learncom.accounts.models import FailedLogin, PendingRegistration, User
from learncom.accounts.sessions import MAX_FAILED_LOGINS
from learncom.extensions import db
from learncom.mail import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD, make_config

PASSWORD = "een lange zin als wachtwoord"
REGISTRATION = {"name": "Fatima B.", "kind": "resident", "email": "fatima@example.org",
                "password": PASSWORD, "password_again": PASSWORD}


def bodies(to: str) -> list[str]:
    found = list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to == to)
                                    .order_by(OutboxMessage.id)))
    db.session.commit()
    return found


def confirm_paths(to: str) -> list[str]:
    return [re.search(r"https?://[^/\s]+(/account/bevestigen/\S+)", body).group(1)
            for body in bodies(to) if "/account/bevestigen/" in body]


def count(model) -> int:
    value = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()
    return value


def test_the_link_carries_a_random_token_and_no_registration_data(client):
    client.post("/account/registreren", data=REGISTRATION)
    [body] = bodies("fatima@example.org")
    [path] = confirm_paths("fatima@example.org")
    token = path.rsplit("/", 1)[1]
    assert len(token) == 43, "32 random bytes; the old link carried the signed registration"
    assert "argon2" not in body and "$" not in token
    row = db.session.scalar(select(PendingRegistration))
    assert row.token_hash != token and len(row.token_hash) == 64
    assert row.password_hash.startswith("$argon2")
    db.session.commit()


def test_a_confirmed_link_keeps_no_password_hash_and_other_links_die(client):
    client.post("/account/registreren", data=REGISTRATION)
    client.post("/account/registreren", data={**REGISTRATION, "name": "Fatima Twee"})
    first, second = confirm_paths("fatima@example.org")
    assert client.post(second).status_code == 302
    user = db.session.scalar(select(User))
    assert user.name == "Fatima Twee"
    [row] = db.session.scalars(select(PendingRegistration)).all()
    assert row.password_hash is None and row.confirmed_at is not None
    db.session.commit()
    client.post("/account/uitloggen")
    response = client.post(first)
    assert response.headers["Location"] == "/account/registreren"
    assert count(User) == 1


def test_the_confirmation_page_keeps_the_token_out_of_the_address(client):
    client.post("/account/registreren", data=REGISTRATION)
    [path] = confirm_paths("fatima@example.org")
    link = client.get(path)
    assert (link.status_code, link.headers["Location"]) == (303, "/account/bevestigen")
    response = client.get("/account/bevestigen")
    assert 'id="confirm-form"' in response.get_data(as_text=True)
    assert count(User) == 0
    assert client.post("/account/bevestigen").status_code == 302
    assert count(User) == 1


def test_confirm_without_a_token_in_the_session_is_refused(client):
    for response in (client.get("/account/bevestigen"), client.post("/account/bevestigen")):
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/registreren"


def test_the_reset_page_keeps_the_token_out_of_the_address(client, create_user):
    user = create_user(email="anke@example.org")
    client.post("/account/wachtwoord-vergeten", data={"email": "anke@example.org"})
    [body] = bodies("anke@example.org")
    path = re.search(r"https?://[^/\s]+(/account/wachtwoord-herstellen/\S+)", body).group(1)
    link = client.get(path)
    assert (link.status_code, link.headers["Location"]) == (303, "/account/wachtwoord-herstellen")
    html = client.get("/account/wachtwoord-herstellen").get_data(as_text=True)
    assert 'action="/account/wachtwoord-herstellen"' in html
    assert path.rsplit("/", 1)[1] not in html
    response = client.post("/account/wachtwoord-herstellen", data={
        "password": "een nieuw lang wachtwoord", "password_again": "een nieuw lang wachtwoord"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.refresh(user)
    from learncom.accounts.services import check_password

    assert check_password(user, "een nieuw lang wachtwoord")
    db.session.commit()
    assert client.get("/account/wachtwoord-herstellen").status_code == 302, "used once"


# -- logging in before confirming ------------------------------------------------------------

def login(client, email: str, password: str):
    return client.post("/account/inloggen", data={"email": email, "password": password})


def test_logging_in_before_confirming_explains_and_offers_a_new_link(client):
    client.post("/account/registreren", data=REGISTRATION)
    [old] = confirm_paths("fatima@example.org")
    response = login(client, "fatima@example.org", PASSWORD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="unconfirmed-notice"' in html
    assert "nog niet actief" in html
    assert 'id="password-error"' not in html
    assert count(User) == 0

    sent = client.post("/account/bevestiging-opnieuw")
    assert sent.status_code == 200
    assert 'id="register-sent"' in sent.get_data(as_text=True)
    old_path, new_path = confirm_paths("fatima@example.org")
    assert old_path == old and new_path != old
    assert client.post(old).headers["Location"] == "/account/registreren", "the old link died"
    assert client.post(new_path).status_code == 302
    assert count(User) == 1
    assert client.get("/account/profiel").status_code == 200


def test_strangers_learn_nothing_about_unconfirmed_addresses(app, client):
    client.post("/account/registreren", data=REGISTRATION)
    stranger, nobody = app.test_client(), app.test_client()
    wrong = login(stranger, "fatima@example.org", "niet het goede wachtwoord")
    unknown = login(nobody, "niemand@example.org", "niet het goede wachtwoord")
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert 'id="password-error"' in html and 'id="unconfirmed-notice"' not in html
    def same(response, email):
        html = response.get_data(as_text=True).replace(email, "X")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", html)

    assert same(wrong, "fatima@example.org") == same(unknown, "niemand@example.org")
    response = stranger.post("/account/bevestiging-opnieuw")
    assert response.status_code == 302
    assert len(confirm_paths("fatima@example.org")) == 1, "no new link for a stranger"


# -- the per-account throttle ----------------------------------------------------------------

class TestLoginThrottle:
    @pytest.fixture
    def app_config(self, database_url, tmp_path):
        # The per-IP limit of Flask-Limiter stays out of the way (one address for all clients).
        return make_config(database_url, tmp_path, RATELIMIT_ENABLED=True,
                           RATELIMITS={"login_ip": "1000 per minute"})

    def test_too_many_wrong_passwords_for_one_account(self, app, create_user):
        user = create_user(email="anke@example.org")
        answers = []
        for n in range(MAX_FAILED_LOGINS + 2):
            attacker = app.test_client()  # a new client (as if from another worker) each time
            answers.append(login(attacker, "anke@example.org", f"gok {n}").status_code)
        assert answers == [200] * MAX_FAILED_LOGINS + [429, 429]
        blocked = login(app.test_client(), "anke@example.org", DEFAULT_PASSWORD)
        assert blocked.status_code == 429, "even the right password waits"
        assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
        html = blocked.get_data(as_text=True)
        assert "wachtwoord vergeten" in html.lower()
        assert login(app.test_client(), "ANDER@example.org", DEFAULT_PASSWORD).status_code == 200
        assert user.email not in html

    def test_unknown_addresses_are_throttled_the_same(self, app):
        answers = [login(app.test_client(), "niemand@example.org", "gok").status_code
                   for _ in range(MAX_FAILED_LOGINS + 1)]
        assert answers[-1] == 429

    def test_the_right_password_clears_the_count(self, app, client, create_user):
        user = create_user()
        for _n in range(MAX_FAILED_LOGINS - 1):
            login(app.test_client(), user.email, "fout")
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
        assert count(FailedLogin) == 0
        stored = db.session.scalars(select(FailedLogin.account)).all()
        assert user.email not in stored


def test_the_throttle_is_off_when_limits_are_off(app, create_user):
    user = create_user()
    for _n in range(MAX_FAILED_LOGINS + 1):
        login(app.test_client(), user.email, "fout")
    assert login(app.test_client(), user.email, DEFAULT_PASSWORD).status_code == 302
