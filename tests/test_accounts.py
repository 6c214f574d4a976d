"""Accounts: registration by e-mail link, login, logout, password reset and change, profiles,
member pages, e-mail privacy, roles and account activation, and `create-admin`."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, update

from learncom.accounts import services
from learncom.accounts.models import PendingRegistration, User
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.mail import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to == to)
    return list(db.session.scalars(query))


def link_in(message: OutboxMessage, prefix: str) -> str:
    """The site-relative path of the link starting with `prefix` in a mail."""
    found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+)", message.body)
    assert found, f"no {prefix} link in: {message.body}"
    return found.group(1)


def same_page(page: str, email: str) -> str:
    """A page with the echoed e-mail address and the (time-stamped) CSRF tokens blanked."""
    page = page.replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def registration(**changes) -> dict:
    data = {
        "name": "Fatima B.",
        "kind": "expert_by_experience",
        "organisation": "Buurtteam Overvecht",
        "function": "ervaringsdeskundige",
        "email": "fatima@example.org",
        "password": "een lange zin als wachtwoord",
        "password_again": "een lange zin als wachtwoord",
    }
    data.update(changes)
    return data


def is_logged_in(client) -> bool:
    return client.get("/account/profiel").status_code == 200


# -- registration ----------------------------------------------------------------------------

def test_register_confirm_by_mail_then_logged_in(client):
    response = client.post("/account/registreren", data=registration())
    # Issue 13 item 11: the "check your e-mail" page has its own address; a reload of it sends
    # no second mail.
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/registreren/verstuurd"
    for _reload in range(2):
        page = client.get("/account/registreren/verstuurd").get_data(as_text=True)
        assert 'id="register-sent"' in page and "fatima@example.org" in page
    assert len(outbox("fatima@example.org")) == 1
    assert user_count() == 0, "nothing is stored before the link is followed"

    [message] = outbox("fatima@example.org")
    path = link_in(message, "/account/bevestigen/")
    token = path.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), "only a random token, no data"
    link = client.get(path)
    assert link.status_code == 303
    assert link.headers["Location"] == "/account/bevestigen", "the token leaves the address"
    page = client.get("/account/bevestigen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="confirm-form"' in html and 'action="/account/bevestigen"' in html
    assert token not in html
    assert user_count() == 0, "only the POST activates (mail scanners fetch links)"

    response = client.post("/account/bevestigen")
    assert response.status_code == 302
    # A new member starts on the welcome page (once), and goes on to the home page from there.
    assert response.headers["Location"] == "/welkom?next=/"
    user = db.session.scalar(select(User).where(User.email == "fatima@example.org"))
    assert user.welcomed_at is not None
    assert (user.name, user.kind, user.organisation, user.function, user.role, user.active) == (
        "Fatima B.", "expert_by_experience", "Buurtteam Overvecht", "ervaringsdeskundige",
        "member", True)
    assert user.password_hash.startswith("$argon2")
    assert "een lange zin als wachtwoord" not in user.password_hash
    assert is_logged_in(client)


def test_the_sent_page_without_a_registration_goes_to_the_form(client):
    response = client.get("/account/registreren/verstuurd")
    assert response.headers["Location"] == "/account/registreren"


def test_confirm_link_used_twice_makes_one_account_and_does_not_log_in(client):
    client.post("/account/registreren", data=registration())
    path = link_in(outbox()[0], "/account/bevestigen/")
    client.post(path)
    client.post("/account/uitloggen")
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/inloggen")
    assert user_count() == 1
    assert not is_logged_in(client)


def test_register_email_is_stored_lower_case(client):
    client.post("/account/registreren", data=registration(email="  Fatima@Example.ORG "))
    client.post(link_in(outbox()[0], "/account/bevestigen/"))
    assert db.session.scalar(select(User.email)) == "fatima@example.org"


def test_register_with_known_email_looks_the_same_and_creates_nothing(client, create_user):
    create_user("Bestaand Lid", email="known@example.org")
    client.post("/account/registreren",
                data=registration(name="Nieuwe Naam", email="known@example.org"))
    known = client.get("/account/registreren/verstuurd")
    client.post("/account/registreren",
                data=registration(name="Nieuwe Naam", email="fresh@example.org"))
    unknown = client.get("/account/registreren/verstuurd")
    assert known.status_code == unknown.status_code == 200
    assert (same_page(known.get_data(as_text=True), "known@example.org")
            == same_page(unknown.get_data(as_text=True), "fresh@example.org"))
    assert user_count() == 1

    [warning] = outbox("known@example.org")
    assert "/account/bevestigen/" not in warning.body
    assert "/account/inloggen" in warning.body
    [confirmation] = outbox("fresh@example.org")
    assert "/account/bevestigen/" in confirmation.body


@pytest.mark.parametrize(("changes", "error_field"), [
    ({"password": "kort", "password_again": "kort"}, "password"),
    ({"password_again": "een andere lange zin"}, "password_again"),
    ({"email": "geen-adres"}, "email"),
    ({"email": ""}, "email"),
    ({"name": "Anke Siegers"}, "name"),
    ({"name": "anke siegers"}, "name"),
    ({"name": " "}, "name"),
    ({"kind": ""}, "kind"),
    ({"kind": "admin"}, "kind"),
])
def test_register_errors_keep_typed_values(client, create_user, changes, error_field):
    create_user("Anke Siegers")
    data = registration(**changes)
    response = client.post("/account/registreren", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{error_field}-error"' in page
    assert 'aria-invalid="true"' in page
    assert 'id="register-form"' in page
    for name in ("organisation", "function"):
        assert f'value="{data[name]}"' in page
    if error_field != "name":
        assert 'value="Fatima B."' in page
    if error_field != "email":
        assert 'value="fatima@example.org"' in page
    assert data["password"] not in page
    assert outbox() == []
    assert user_count() == 1


def test_expired_confirm_link_is_refused(client):
    client.post("/account/registreren", data=registration())
    path = link_in(outbox()[0], "/account/bevestigen/")
    db.session.execute(update(PendingRegistration).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/registreren"
    assert user_count() == 0
    assert not is_logged_in(client)


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: "x" + token,
    lambda token: token[:-1],
    lambda token: "nonsense",
])
def test_tampered_confirm_link_is_refused(client, tamper):
    client.post("/account/registreren", data=registration())
    path = link_in(outbox()[0], "/account/bevestigen/")
    token = path.rsplit("/", 1)[1]
    bad = f"/account/bevestigen/{tamper(token)}"
    for response in (client.get(bad), client.post(bad)):
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/registreren"
    assert user_count() == 0


def test_logged_in_member_is_sent_away_from_register(client, auth, create_user):
    auth.login(create_user())
    response = client.get("/account/registreren")
    assert response.status_code == 302


# -- login and logout ------------------------------------------------------------------------

def test_login_and_logout(client, auth, create_user):
    user = create_user()
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)
    response = auth.logout()
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_login_email_is_case_insensitive(client, auth, create_user):
    create_user(email="anke@example.org")
    assert auth.login("  ANKE@example.org").status_code == 302


def test_wrong_password_and_unknown_email_answer_identically(app, create_user):
    create_user(email="known@example.org")
    wrong_client, unknown_client = app.test_client(), app.test_client()
    wrong = wrong_client.post("/account/inloggen", data={
        "email": "known@example.org", "password": "not the password at all"})
    unknown = unknown_client.post("/account/inloggen", data={
        "email": "nobody@example.org", "password": "not the password at all"})
    assert wrong.status_code == unknown.status_code == 200
    wrong_page = wrong.get_data(as_text=True)
    assert 'id="password-error"' in wrong_page
    assert 'value="known@example.org"' in wrong_page
    assert "not the password at all" not in wrong_page
    assert (same_page(wrong_page, "known@example.org")
            == same_page(unknown.get_data(as_text=True), "nobody@example.org"))

    def cookie_names(response):
        return sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))

    assert cookie_names(wrong) == cookie_names(unknown)
    assert "remember_token" not in cookie_names(wrong)
    assert not is_logged_in(wrong_client)
    assert not is_logged_in(unknown_client)


def test_account_without_password_cannot_log_in(client, auth, app):
    user = services.create_user("imported@example.org", "Geimporteerd", None)
    db.session.commit()
    assert user.password_hash is None
    assert auth.login("imported@example.org", "learncom-dummy-password").status_code == 200
    assert auth.login("imported@example.org", "").status_code == 200
    assert not is_logged_in(client)


def test_login_upgrades_a_hash_made_with_other_parameters(client, auth, create_user):
    user = create_user()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash(DEFAULT_PASSWORD)
    db.session.commit()
    old_hash = user.password_hash
    assert auth.login(user).status_code == 302
    assert user.password_hash != old_hash
    assert user.password_hash.startswith("$argon2")
    assert services.check_password(user, DEFAULT_PASSWORD)


def test_remember_me_sets_the_remember_cookie(client, create_user):
    user = create_user()
    client.post("/account/inloggen", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.get_cookie("remember_token") is None
    client.post("/account/uitloggen")
    client.post("/account/inloggen",
                data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only


def test_logout_is_post_only(client, auth, create_user):
    auth.login(create_user())
    assert client.get("/account/uitloggen").status_code == 405
    assert is_logged_in(client)


def test_login_page_links_to_register_and_forgot_password(client):
    page = client.get("/account/inloggen").get_data(as_text=True)
    assert 'href="/account/registreren"' in page
    assert 'href="/account/wachtwoord-vergeten"' in page


def test_login_form_keeps_a_safe_next(client, create_user):
    page = client.get("/account/inloggen?next=/leden").get_data(as_text=True)
    assert 'action="/account/inloggen?next=/leden"' in page
    page = client.get("/account/inloggen?next=//evil.example").get_data(as_text=True)
    assert 'action="/account/inloggen" id="login-form"' in page


def test_deactivated_account_cannot_log_in(client, auth, create_user):
    user = create_user()
    user.active = False
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 200
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_deactivating_ends_the_members_session(app, client, auth, create_user):
    admin = create_user("Beheerder", role="admin")
    user = create_user()
    auth.login(user)
    assert is_logged_in(client)
    admin_client = app.test_client()
    admin_client.post("/account/inloggen", data={"email": admin.email,
                                                 "password": DEFAULT_PASSWORD})
    # Issue 13 item 15: the list links to a page that asks first; only its form deactivates.
    listing = admin_client.get("/beheer/leden").get_data(as_text=True)
    assert f'href="/beheer/leden/{user.id}/deactiveren?next=' in listing
    assert f'action="/beheer/leden/{user.id}/deactiveren"' not in listing
    confirm = admin_client.get(f"/beheer/leden/{user.id}/deactiveren?next=/beheer/leden?q=x")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'id="deactivate-confirm"' in html
    assert f'<form method="post" action="/beheer/leden/{user.id}/deactiveren"' in html
    assert 'name="next" value="/beheer/leden?q=x"' in html
    assert user.active is True and is_logged_in(client)
    assert client.get(f"/beheer/leden/{admin.id}/deactiveren").status_code == 403
    response = admin_client.post(f"/beheer/leden/{user.id}/deactiveren")
    assert response.status_code == 302
    assert user.active is False
    assert not is_logged_in(client)

    admin_client.post(f"/beheer/leden/{user.id}/activeren")
    assert user.active is True
    assert auth.login(user).status_code == 302


# -- password reset --------------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_known_and_unknown(client, create_user):
    create_user(email="known@example.org")
    known = client.post("/account/wachtwoord-vergeten", data={"email": "known@example.org"})
    unknown = client.post("/account/wachtwoord-vergeten", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert 'id="reset-sent"' in known.get_data(as_text=True)
    assert (same_page(known.get_data(as_text=True), "known@example.org")
            == same_page(unknown.get_data(as_text=True), "nobody@example.org"))
    assert [m.to for m in outbox()] == ["known@example.org"]


def test_forgot_password_bad_email_is_an_error_on_the_field(client):
    response = client.post("/account/wachtwoord-vergeten", data={"email": "geen adres"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="geen adres"' in page
    assert outbox() == []


def test_password_reset_flow(app, client, create_user):
    user = create_user(email="anke@example.org")
    other_device = app.test_client()
    other_device.post("/account/inloggen", data={"email": user.email,
                                                 "password": DEFAULT_PASSWORD})
    assert is_logged_in(other_device)

    client.post("/account/wachtwoord-vergeten", data={"email": "anke@example.org"})
    path = link_in(outbox("anke@example.org")[0], "/account/wachtwoord-herstellen/")
    link = client.get(path)
    assert link.status_code == 303
    assert link.headers["Location"] == "/account/wachtwoord-herstellen"
    assert client.get("/account/wachtwoord-herstellen").status_code == 200

    short = client.post(path, data={"password": "kort", "password_again": "kort"})
    assert short.status_code == 200
    assert 'id="password-error"' in short.get_data(as_text=True)
    mismatch = client.post(path, data={"password": NEW_PASSWORD,
                                       "password_again": NEW_PASSWORD + "!"})
    assert 'id="password_again-error"' in mismatch.get_data(as_text=True)
    assert NEW_PASSWORD not in mismatch.get_data(as_text=True)
    assert services.check_password(user, DEFAULT_PASSWORD)

    response = client.post(path, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert services.check_password(user, NEW_PASSWORD)
    assert not services.check_password(user, DEFAULT_PASSWORD)
    assert is_logged_in(client)
    assert not is_logged_in(other_device), "a new password logs out every other session"

    # The link works once: after the change it is refused.
    for reuse in (client.get(path),
                  client.post(path, data={"password": "yet another passphrase",
                                          "password_again": "yet another passphrase"})):
        assert reuse.status_code == 302
        assert reuse.headers["Location"] == "/account/wachtwoord-vergeten"
    assert services.check_password(user, NEW_PASSWORD)


def test_expired_or_tampered_reset_link_is_refused(client, create_user, monkeypatch):
    user = create_user(email="anke@example.org")
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp",
                      lambda self: int(time.time()) - services.RESET_MAX_AGE - 60)
        client.post("/account/wachtwoord-vergeten", data={"email": "anke@example.org"})
    expired = link_in(outbox()[0], "/account/wachtwoord-herstellen/")
    client.post("/account/wachtwoord-vergeten", data={"email": "anke@example.org"})
    fresh = link_in(outbox()[1], "/account/wachtwoord-herstellen/")
    for path in (expired, fresh[:-3] + "abc", fresh.replace("herstellen/", "herstellen/x")):
        response = client.post(path, data={"password": NEW_PASSWORD,
                                           "password_again": NEW_PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/wachtwoord-vergeten"
    assert services.check_password(user, DEFAULT_PASSWORD)


def test_reset_link_of_a_deactivated_account_is_refused(client, create_user):
    user = create_user(email="anke@example.org")
    token = services.make_reset_token(user)
    user.active = False
    db.session.commit()
    assert client.get(f"/account/wachtwoord-herstellen/{token}").status_code == 302
    client.post("/account/wachtwoord-vergeten", data={"email": "anke@example.org"})
    assert outbox() == []


# -- change password and profile -------------------------------------------------------------

def test_change_password_needs_the_current_one(app, client, auth, create_user):
    user = create_user()
    auth.login(user)
    wrong = client.post("/account/wachtwoord-wijzigen", data={
        "current_password": "not my password", "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})
    assert wrong.status_code == 200
    page = wrong.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert NEW_PASSWORD not in page and "not my password" not in page
    assert 'id="profile-form"' in page
    assert services.check_password(user, DEFAULT_PASSWORD)

    short = client.post("/account/wachtwoord-wijzigen", data={
        "current_password": DEFAULT_PASSWORD, "password": "kort", "password_again": "kort"})
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert services.check_password(user, DEFAULT_PASSWORD)


def test_change_password_keeps_this_session_and_ends_others(app, client, auth, create_user):
    user = create_user()
    other_device = app.test_client()
    other_device.post("/account/inloggen", data={"email": user.email,
                                                 "password": DEFAULT_PASSWORD})
    client.post("/account/inloggen", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "remember": "y"})
    response = client.post("/account/wachtwoord-wijzigen", data={
        "current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert services.check_password(user, NEW_PASSWORD)
    assert is_logged_in(client)
    assert not is_logged_in(other_device)
    # The remember cookie was renewed with the new session token.
    client.delete_cookie("session")
    assert is_logged_in(client)


def test_change_password_requires_login(client):
    response = client.post("/account/wachtwoord-wijzigen", data={})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/inloggen")


def test_profile_edit(client, auth, create_user):
    user = create_user("Anke", kind="professional", organisation="Bureau X")
    auth.login(user)
    page = client.get("/account/profiel").get_data(as_text=True)
    assert 'value="Anke"' in page and 'value="Bureau X"' in page
    response = client.post("/account/profiel", data={
        "name": "Anke S.", "kind": "volunteer", "organisation": "", "function": "maatje"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/leden/{user.id}"
    assert (user.name, user.kind, user.organisation, user.function) == (
        "Anke S.", "volunteer", None, "maatje")


def test_profile_keeps_own_name_and_refuses_anothers(client, auth, create_user):
    create_user("Bas")
    user = create_user("Anke")
    auth.login(user)
    same = client.post("/account/profiel", data={"name": "Anke", "kind": "resident"})
    assert same.status_code == 302
    taken = client.post("/account/profiel", data={"name": "BAS", "kind": "resident",
                                                  "organisation": "Wijkteam Zuid"})
    assert taken.status_code == 200
    page = taken.get_data(as_text=True)
    assert 'id="name-error"' in page
    assert 'value="BAS"' in page and 'value="Wijkteam Zuid"' in page
    assert user.name == "Anke"


def test_profile_requires_login(client):
    assert client.get("/account/profiel").status_code == 302


# -- member pages and e-mail privacy ---------------------------------------------------------

@pytest.mark.parametrize(("viewer", "sees_email"), [
    (None, False),
    ("other", False),
    ("self", True),
    ("coordinator", True),
    ("admin", True),
])
def test_email_shown_only_to_self_coordinators_and_admins(client, auth, create_user, viewer,
                                                          sees_email):
    member = create_user("Anke", email="anke.secret@example.org", organisation="Bureau X")
    member.public_profile = True  # so anonymous visitors see her page too
    db.session.commit()
    viewers = {
        "other": create_user("Bas"),
        "coordinator": create_user("Coco", role="coordinator"),
        "admin": create_user("Ada", role="admin"),
        "self": member,
    }
    if viewer is not None:
        auth.login(viewers[viewer])
    page = client.get(f"/leden/{member.id}").get_data(as_text=True)
    assert 'id="member-' in page and "Bureau X" in page
    assert ("anke.secret@example.org" in page) is sees_email
    assert ('class="member-email"' in page) is sees_email
    members_list = client.get("/leden").get_data(as_text=True)
    assert "Anke" in members_list
    assert "anke.secret@example.org" not in members_list


def test_member_page_shows_profile_teams_posts_and_comments(client, auth, create_user,
                                                           create_post, create_comment):
    member = create_user("Anke", kind="expert_by_experience", organisation="Bureau X",
                         function="adviseur", teams=["Wijkteam Noord"])
    public = create_post(member, title="Openbaar experiment")
    team_only = create_post(member, title="Alleen voor het team", visibility="team",
                            team="Wijkteam Noord")
    members_only = create_post(member, title="Alleen voor leden", visibility="members")
    create_comment(public, member, "Een openbare reactie")
    create_comment(team_only, member, "Een reactie in het team")
    member.public_profile = True
    db.session.commit()

    page = client.get(f"/leden/{member.id}").get_data(as_text=True)
    assert "badge-expert_by_experience" in page
    assert "adviseur" in page and "Bureau X" in page
    assert 'href="/teams/wijkteam-noord"' in page
    assert f'href="/posts/{public.id}"' in page
    assert f'href="/posts/{team_only.id}"' not in page
    assert f'href="/posts/{members_only.id}"' not in page
    assert "Een openbare reactie" in page
    assert "Een reactie in het team" not in page

    auth.login(create_user("Bas"))
    page = client.get(f"/leden/{member.id}").get_data(as_text=True)
    assert f'href="/posts/{members_only.id}"' in page
    assert f'href="/posts/{team_only.id}"' not in page
    assert "Een reactie in het team" not in page

    auth.logout()
    auth.login(create_user("Teamgenoot", teams=["Wijkteam Noord"]))
    page = client.get(f"/leden/{member.id}").get_data(as_text=True)
    assert f'href="/posts/{team_only.id}"' in page
    assert "Een reactie in het team" in page


def test_unknown_member_is_404(client):
    assert client.get("/leden/999999").status_code == 404
    assert client.get("/leden/abc").status_code == 404


def test_members_list_filters_by_kind_and_pages(client, create_user):
    for n in range(22):
        create_user(f"Bewoner {n:02d}", kind="resident")
    volunteer = create_user("Vrijwilliger Vera", kind="volunteer")
    inactive = create_user("Oud Lid", kind="volunteer")
    inactive.active = False
    for user in db.session.scalars(select(User)):
        user.public_profile = True  # the list as anonymous visitors see it
    db.session.commit()

    first = client.get("/leden").get_data(as_text=True)
    assert first.count('class="member-row"') == 20
    assert 'rel="next"' in first
    second = client.get("/leden?page=2").get_data(as_text=True)
    assert second.count('class="member-row"') == 3

    volunteers = client.get("/leden?kind=volunteer").get_data(as_text=True)
    assert f'id="member-row-{volunteer.id}"' in volunteers
    assert f'id="member-row-{inactive.id}"' not in volunteers
    assert volunteers.count('class="member-row"') == 1

    by_name = client.get("/leden?q=vera").get_data(as_text=True)
    assert by_name.count('class="member-row"') == 1


@pytest.mark.parametrize("query", ["kind=nonsense", "page=-3", "page=abc", "page=99999",
                                   "q=%25", "q=_", "kind=&q=", "q=" + "x" * 500])
def test_members_list_ignores_bad_arguments(client, create_user, query):
    create_user()
    assert client.get(f"/leden?{query}").status_code == 200


# -- create-admin ----------------------------------------------------------------------------

def test_create_admin_creates_a_new_admin(runner):
    result = runner.invoke(args=["learncom", "create-admin", "--email", "Beheer@Example.org",
                                 "--name", "Beheerder", "--password", "een sterk wachtwoord"])
    assert result.exit_code == 0, result.output
    user = services.get_user_by_email("beheer@example.org")
    assert user.role == "admin"
    assert services.check_password(user, "een sterk wachtwoord")


def test_create_admin_promotes_an_existing_member(runner, create_user):
    user = create_user("Anke", email="anke@example.org")
    user.active = False
    db.session.commit()
    result = runner.invoke(args=["learncom", "create-admin", "--email", "anke@example.org",
                                 "--name", "Anders", "--password", "een sterk wachtwoord"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (user.role, user.name, user.active) == ("admin", "Anke", True)
    assert services.check_password(user, "een sterk wachtwoord")
    assert user_count() == 1


def test_create_admin_refuses_a_short_password(runner):
    result = runner.invoke(args=["learncom", "create-admin", "--email", "a@example.org",
                                 "--name", "Beheerder", "--password", "kort"])
    assert result.exit_code != 0
    assert user_count() == 0


def test_create_admin_refuses_a_bad_email(runner):
    result = runner.invoke(args=["learncom", "create-admin", "--email", "geen-adres",
                                 "--name", "Beheerder", "--password", "een sterk wachtwoord"])
    assert result.exit_code != 0
    assert user_count() == 0


# -- roles and the admin page ----------------------------------------------------------------

def test_admin_changes_a_role(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    member = create_user("Bas")
    auth.login(admin)
    page = client.get("/beheer/leden").get_data(as_text=True)
    assert member.email in page and admin.email in page
    response = client.post(f"/beheer/leden/{member.id}/rol", data={"role": "coordinator"})
    assert response.status_code == 302
    assert member.role == "coordinator"
    client.post(f"/beheer/leden/{member.id}/rol", data={"role": "admin"})
    assert member.role == "admin"
    client.post(f"/beheer/leden/{member.id}/rol", data={"role": "member"})
    assert member.role == "member"


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_only_admins_change_roles_or_accounts(client, auth, create_user, role):
    actor = create_user("Actor", role=role)
    target = create_user("Doel")
    auth.login(actor)
    assert client.get("/beheer/leden").status_code == 403
    assert client.post(f"/beheer/leden/{target.id}/rol",
                       data={"role": "admin"}).status_code == 403
    assert client.post(f"/beheer/leden/{actor.id}/rol",
                       data={"role": "admin"}).status_code == 403
    assert client.post(f"/beheer/leden/{target.id}/deactiveren").status_code == 403
    assert (target.role, target.active, actor.role) == ("member", True, role)


def test_anonymous_is_sent_to_login_for_admin_routes(client, create_user):
    target = create_user()
    response = client.get("/beheer/leden")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/inloggen?next=")
    assert client.post(f"/beheer/leden/{target.id}/rol",
                       data={"role": "admin"}).status_code == 302
    assert target.role == "member"


def test_last_admin_cannot_demote_or_deactivate_themself(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    auth.login(admin)
    response = client.post(f"/beheer/leden/{admin.id}/rol", data={"role": "member"})
    assert response.status_code == 302
    assert admin.role == "admin"
    client.post(f"/beheer/leden/{admin.id}/deactiveren")
    assert admin.active is True

    second = create_user("Bert", role="admin")
    client.post(f"/beheer/leden/{admin.id}/rol", data={"role": "coordinator"})
    assert admin.role == "coordinator"
    assert second.role == "admin"


def test_admin_role_change_rejects_unknown_roles_and_ids(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    member = create_user("Bas")
    auth.login(admin)
    client.post(f"/beheer/leden/{member.id}/rol", data={"role": "superuser"})
    client.post(f"/beheer/leden/{member.id}/rol", data={})
    assert member.role == "member"
    assert client.post("/beheer/leden/999999/rol", data={"role": "admin"}).status_code == 404
    assert client.post("/beheer/leden/999999/deactiveren").status_code == 404


def test_admin_redirect_back_stays_on_site(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    member = create_user("Bas")
    auth.login(admin)
    response = client.post(f"/beheer/leden/{member.id}/rol",
                           data={"role": "coordinator", "next": "//evil.example"})
    assert response.headers["Location"] == "/beheer/leden"
    response = client.post(f"/beheer/leden/{member.id}/rol",
                           data={"role": "member", "next": "/beheer/leden?q=bas"})
    assert response.headers["Location"] == "/beheer/leden?q=bas"


def test_admin_list_filters(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    gone = create_user("Oud Lid", email="oud@example.org")
    gone.active = False
    db.session.commit()
    auth.login(admin)
    inactive = client.get("/beheer/leden?status=inactive").get_data(as_text=True)
    assert f'id="admin-member-{gone.id}"' in inactive
    assert f'id="admin-member-{admin.id}"' not in inactive
    by_email = client.get("/beheer/leden?q=oud@").get_data(as_text=True)
    assert f'id="admin-member-{gone.id}"' in by_email
    assert client.get("/beheer/leden?status=x&page=y").status_code == 200


def test_admin_cannot_deactivate_themself_even_with_other_admins(client, auth, create_user):
    admin = create_user("Ada", role="admin")
    create_user("Bert", role="admin")
    auth.login(admin)
    client.post(f"/beheer/leden/{admin.id}/deactiveren")
    assert admin.active is True


def test_the_first_log_ins_of_a_process_in_several_threads_all_get_a_hasher(monkeypatch):
    """The hasher and its dummy hash are made at the first log-in of a process. Under
    gunicorn's threaded worker, a second thread found the hasher made and its dummy hash not
    yet: KeyError, a 500 at log-in. (Outside an app context: argon2's default parameters, whose
    hashing takes long enough for the other threads to arrive meanwhile.)"""
    import threading

    monkeypatch.setattr(services, "_HASHERS", {})
    start = threading.Barrier(4)
    got, errors = [], []

    def log_in() -> None:
        start.wait()
        try:
            got.append(services._password_hasher())  # noqa: SLF001
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=log_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(got) == 4 and len({dummy for _hasher, dummy in got}) == 1
