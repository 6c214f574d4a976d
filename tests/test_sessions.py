"""Sessions that end: a login session per device (a row in login_sessions whose random token the
cookies carry); logging out ends it for every copy of the cookie; "log out everywhere"; a new
session at every login and after a password or role change; the remember cookie lasts 30 days;
members' pages are never cached; HSTS behind HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from learncom.accounts.models import LoginSession
from learncom.dbtypes import utcnow
from learncom.extensions import db
from tests.conftest import DEFAULT_PASSWORD, make_config


def log_in(client, user, remember: bool = False):
    data = {"email": user.email, "password": DEFAULT_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/account/inloggen", data=data)
    assert response.status_code == 302
    return response


def is_logged_in(client) -> bool:
    return client.get("/account/profiel").status_code == 200


def copy_cookies(source, target, *names: str) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def session_rows(user=None) -> int:
    query = select(func.count(LoginSession.id))
    if user is not None:
        query = query.where(LoginSession.user_id == user.id)
    count = db.session.scalar(query)
    db.session.commit()
    return count


def test_a_copied_session_cookie_dies_at_logout(app, client, create_user):
    """The probe: a session cookie copied before POST /account/uitloggen still worked after."""
    log_in(client, create_user())
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert is_logged_in(thief)
    client.post("/account/uitloggen")
    assert not is_logged_in(client)
    assert not is_logged_in(thief), "every copy of the cookie is logged out"


def test_a_copied_remember_cookie_dies_at_logout(app, client, create_user):
    log_in(client, create_user(), remember=True)
    thief = app.test_client()
    copy_cookies(client, thief, "remember_token")
    assert is_logged_in(thief), "the remember cookie alone logs in"
    client.post("/account/uitloggen")
    fresh = app.test_client()
    copy_cookies(thief, fresh, "remember_token")
    assert not is_logged_in(fresh)


def test_logging_out_one_device_keeps_the_others(app, create_user):
    user = create_user()
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, user)
    log_in(laptop, user)
    assert session_rows(user) == 2, "logging in on the laptop did not log the phone out"
    assert is_logged_in(phone) and is_logged_in(laptop)
    phone.post("/account/uitloggen")
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    assert session_rows(user) == 1


def test_log_out_everywhere(app, client, create_user):
    user = create_user()
    other = create_user("Ander")
    devices = [app.test_client() for _ in range(3)]
    for device in devices:
        log_in(device, user)
    log_in(client, other)
    page = devices[0].get("/account/profiel").get_data(as_text=True)
    assert 'id="logout-everywhere-form"' in page
    assert "op 3 apparaten" in page
    response = devices[0].post("/account/overal-uitloggen")
    assert response.status_code == 302
    assert not any(is_logged_in(device) for device in devices)
    assert is_logged_in(client), "another member stays logged in"
    assert session_rows(user) == 0


def test_log_out_everywhere_is_post_only_and_needs_login(client, create_user):
    assert client.post("/account/overal-uitloggen").status_code == 302
    log_in(client, create_user())
    assert client.get("/account/overal-uitloggen").status_code == 405
    assert is_logged_in(client)


def test_every_login_gets_a_new_token_and_an_empty_session(app, client, create_user):
    user = create_user()
    with client.session_transaction() as session:
        session["planted"] = "before login"
        session["locale"] = "en"
    log_in(client, user)
    with client.session_transaction() as session:
        first = session["_user_id"]
        assert "planted" not in session
        assert session["locale"] == "en", "the chosen language stays"
    client.post("/account/uitloggen")
    log_in(client, user)
    with client.session_transaction() as session:
        second = session["_user_id"]
    assert first != second
    assert str(user.id) not in (first, second), "the cookie carries a random token, not the id"
    assert len(first) >= 40
    stored = db.session.scalars(select(LoginSession.token_hash)).all()
    db.session.commit()
    assert first not in stored and second not in stored, "only a hash is stored"


def test_a_password_change_starts_a_new_session_and_ends_the_others(app, client, create_user):
    user = create_user()
    other = app.test_client()
    log_in(other, user)
    log_in(client, user)
    with client.session_transaction() as session:
        before = session["_user_id"]
    response = client.post("/account/wachtwoord-wijzigen", data={
        "current_password": DEFAULT_PASSWORD, "password": "een nieuw lang wachtwoord",
        "password_again": "een nieuw lang wachtwoord"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["_user_id"] != before
    assert is_logged_in(client)
    assert not is_logged_in(other)
    assert session_rows(user) == 1


def test_a_role_change_ends_the_members_sessions(app, client, create_user):
    admin = create_user("Beheerder", role="admin")
    member = create_user("Lid")
    member_client = app.test_client()
    log_in(member_client, member)
    log_in(client, admin)
    client.post(f"/beheer/leden/{member.id}/rol", data={"role": "coordinator"})
    assert not is_logged_in(member_client), "the next session starts with the new rights"
    log_in(member_client, member)
    assert member_client.get("/curatie").status_code == 200


def test_an_admin_changing_their_own_role_gets_a_new_session(app, client, create_user):
    admin = create_user("Beheerder", role="admin")
    create_user("Tweede beheerder", role="admin")
    log_in(client, admin)
    with client.session_transaction() as session:
        before = session["_user_id"]
    client.post(f"/beheer/leden/{admin.id}/rol", data={"role": "coordinator"})
    with client.session_transaction() as session:
        assert session["_user_id"] != before
    assert is_logged_in(client)
    assert client.get("/beheer/leden").status_code == 403


def test_an_expired_session_is_logged_out(client, create_user):
    user = create_user()
    log_in(client, user, remember=True)
    db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not is_logged_in(client)


def test_the_remember_cookie_lasts_30_days(client, create_user):
    response = log_in(client, create_user(), remember=True)
    [header] = [h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("remember_token=")]
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only, header
    expires = datetime.fromtimestamp(cookie.expires.timestamp(), UTC)
    assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_members_pages_are_never_cached(client, create_user, create_post):
    post = create_post(create_user("Auteur"))
    anonymous = client.get(f"/posts/{post.id}")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    log_in(client, create_user())
    for path in ("/", f"/posts/{post.id}", "/account/profiel", "/api/v1/tags"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
    static = client.get("/static/css/learncom.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


class TestBehindHTTPS:
    @pytest.fixture
    def app_config(self, database_url, tmp_path):
        return make_config(database_url, tmp_path, SESSION_COOKIE_SECURE=True,
                           REMEMBER_COOKIE_SECURE=True)

    def test_hsts(self, client):
        response = client.get("/", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_secure_cookies_setting_turns_on_hsts(monkeypatch, tmp_path):
    from learncom.config import load_config

    monkeypatch.setenv("LEARNCOM_SECRET_KEY", "x")
    monkeypatch.setenv("LEARNCOM_SECURE_COOKIES", "1")
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_members_are_equal_by_id_not_by_login_token(create_user):
    """UserMixin compares get_id(), which is now the login session's token (None when not
    logged in): without User.__eq__ every member would equal every other."""
    first, second = create_user("Een"), create_user("Twee")
    assert first != second and first not in [second]
    assert first == db.session.get(type(first), first.id)
