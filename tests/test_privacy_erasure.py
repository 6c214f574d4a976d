"""Deleting an account, by the member (/account/verwijderen) or by an admin on a written
request: "anonymise" keeps what they wrote under "voormalig lid", "remove" takes it away
too. Either way they are logged out everywhere, it is in the audit log without personal data,
and their name, e-mail address (and with "remove" the words only their content held) appear
on no page, search result, suggestion, feed or API answer afterwards. The raw files are
checked in test_privacy_raw_bytes.py."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from learncom.accounts.models import User
from learncom.audit.models import AuditEvent
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.mail import OutboxMessage
from learncom.posts.models import LogEntry, Post, Tag
from learncom.reactions.models import Reaction
from tests.conftest import DEFAULT_PASSWORD
from tests.helpers import elements


def delete_own_account(client, auth, world, mode: str):
    auth.login(world.member)
    response = client.post("/account/verwijderen",
                           data={"mode": mode, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.status_code
    assert 'id="account-deleted"' in response.get_data(as_text=True)
    return response


def surfaces(world) -> list[str]:
    """Every kind of page, feed and API answer that could show the member or their words."""
    word, surname, ids = quote(world.word), quote(world.surname), world.ids
    posts = [ids["post"], ids["team_post"], ids["other_post"], ids["lesson"]]
    return [
        "/", "/experimenten", "/fricties", "/lessen", "/tags", "/wijken", "/wijken/overvecht",
        "/leden", f"/leden?q={surname}", "/teams", "/teams/team-oost",
        *[f"/posts/{post_id}" for post_id in posts],
        *[f"/posts/{post_id}/geschiedenis" for post_id in posts],
        f"/tags/{word}", f"/zoeken?q={word}", f"/zoeken?q={surname}",
        f"/zoeken?q=author:{surname}", f"/zoeken?q={word[:-1]}q",  # a suggestion?
        f"/zoeken?q={world.word[:5]}*", "/feeds/alles.atom", "/feeds/experimenten.atom",
        "/feeds/tags/eenzaamheid.atom", f"/feeds/tags/{word}.atom",
        f"/posts/{ids['other_post']}/reacties.atom",
        "/api/v1/posts", f"/api/v1/posts/{ids['other_post']}/comments",
        f"/api/v1/posts/{ids['post']}", "/api/v1/tags", "/api/v1/neighbourhoods",
        f"/api/v1/search?q={word}", f"/api/v1/search?q={surname}", f"/leden/namen?q={surname}",
        "/leden/namen?q=Zebediah", f"/zoeken/vergelijkbaar?title={word}&format=json",
    ]


def admin_surfaces() -> list[str]:
    return ["/beheer/auditlog", "/beheer/outbox", "/beheer/leden", "/beheer/moderatie",
            "/beheer/privacy", "/meldingen", "/volgen", "/dashboard", "/curatie",
            "/verandering"]


_ECHOES = re.compile(r'<title>.*?</title>|\b(?:value|href|action)="[^"]*"', re.DOTALL)


def assert_gone(client, urls, needles) -> int:
    """No answer (of any status) holds any needle, in any case. Where the URL itself holds a
    needle, the places a page repeats what was asked (its title, the search box, links that
    keep the query) are left out. Returns how many answers were read."""
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        if any(quote(needle).lower() in url.lower() for needle in needles):
            body = _ECHOES.sub("", body)
        body = body.lower()
        for needle in needles:
            assert needle.lower() not in body, (url, needle)
    return len(urls)


def check_everywhere(client, auth, world, needles) -> None:
    assert_gone(client, surfaces(world), needles)  # anonymous
    for viewer in (world.other, world.admin, world.coordinator):
        auth.login(viewer)
        assert_gone(client, surfaces(world) + admin_surfaces(), needles)
        auth.logout()


def references_to(user_id: int) -> dict[str, int]:
    """Rows in any table whose column referencing users.id still points at this id."""
    found = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and table.name != "users":
                count = db.session.scalar(select(func.count()).select_from(table).where(
                    fk.parent == user_id))
                if count:
                    found[f"{table.name}.{fk.parent.name}"] = count
    return found


# -- the form --------------------------------------------------------------------------------

def test_the_page_explains_both_choices(client, auth, member_world):
    assert client.get("/account/verwijderen").status_code == 302  # log in first
    auth.login(member_world.member)
    html = client.get("/account/verwijderen").get_data(as_text=True)
    for text_ in ("Anoniem maken", "Alles verwijderen", "voormalig lid", "[verwijderd]",
                  "Dit kun je niet terugdraaien", "Je wordt overal uitgelogd"):
        assert text_ in html
    page = elements(client.get("/account/verwijderen"))
    assert page.find("input", name="mode", type="radio", value="anonymise")
    assert page.find("input", name="mode", type="radio", value="remove")
    assert page.find("input", name="password", type="password")


@pytest.mark.parametrize("data", [
    {"mode": "remove", "password": "wrong password!"},
    {"mode": "remove", "password": ""},
    {"mode": "", "password": DEFAULT_PASSWORD},
    {"mode": "everything", "password": DEFAULT_PASSWORD},
])
def test_nothing_happens_without_the_password_and_a_mode(client, auth, member_world, data):
    auth.login(member_world.member)
    response = client.post("/account/verwijderen", data=data)
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    member = db.session.get(User, member_world.member.id)
    assert member.deleted_at is None and member.email == member_world.email
    assert client.get("/account/profiel").status_code == 200  # still logged in


# -- anonymise ---------------------------------------------------------------------------------

@pytest.mark.search
def test_anonymise_keeps_the_content_under_former_member(app, client, auth, member_world):
    world = member_world
    # A second device, logged in before.
    other_device = app.test_client()
    other_device.post("/account/inloggen", data={"email": world.email,
                                                 "password": DEFAULT_PASSWORD})
    assert other_device.get("/account/profiel").status_code == 200
    # Before: the member is findable (so the checks below can fail).
    assert client.get(f"/api/v1/search?q={world.surname}").get_json()["total"] > 0

    delete_own_account(client, auth, world, "anonymise")

    # Logged out here and on the other device; the password no longer works.
    assert client.get("/account/profiel").status_code == 302
    assert other_device.get("/account/profiel").status_code == 302
    assert "Het e-mailadres of wachtwoord klopt niet" in auth.login(
        world.email).get_data(as_text=True)

    db.session.expire_all()
    tombstone = db.session.get(User, world.member.id)
    assert tombstone.deleted_at is not None and not tombstone.active
    assert (tombstone.name, tombstone.organisation, tombstone.function,
            tombstone.password_hash) == ("voormalig lid", None, None, None)
    assert world.surname not in tombstone.email and tombstone.team_ids == set()
    # Only the reactions still point at the emptied row: they keep counting, nameless.
    assert references_to(world.member.id) == {"reactions.user_id": 1}

    # The content stays, without a name.
    post = db.session.get(Post, world.post.id)
    assert post.author_id is None and world.word in post.body
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert world.word in page and "voormalig lid" in page
    assert db.session.get(Comment, world.leaf_comment.id).author_id is None
    assert db.session.get(Comment, world.mention.id).body == "Dank je, @voormalig lid! Goed idee."
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 1
    assert client.get(f"/api/v1/search?q={world.word}").get_json()["total"] >= 1

    check_everywhere(client, auth, world, world.needles(content=False))
    assert client.get(f"/leden/{world.member.id}").status_code == 404


# -- remove ------------------------------------------------------------------------------------

@pytest.mark.search
def test_remove_takes_the_content_away_and_keeps_replies_readable(client, auth, member_world):
    world = member_world
    assert client.get(f"/api/v1/search?q={world.word}").get_json()["total"] > 0
    delete_own_account(client, auth, world, "remove")
    db.session.expire_all()

    assert db.session.get(Post, world.ids["post"]) is None
    assert db.session.get(Post, world.ids["team_post"]) is None
    assert db.session.get(Comment, world.ids["leaf_comment"]) is None  # nobody answered it
    kept = db.session.get(Comment, world.ids["answered_comment"])  # answered: a placeholder
    assert kept.is_deleted and kept.body == "" and kept.author_id is None
    assert db.session.get(Comment, world.reply.id).body == "Met vrijwilligers uit de buurt."
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == 0
    assert db.session.scalar(select(Tag).where(Tag.name == world.word)) is None

    thread = client.get(f"/posts/{world.other_post.id}").get_data(as_text=True)
    assert "[verwijderd]" in thread and "Met vrijwilligers uit de buurt." in thread
    assert client.get(f"/posts/{world.ids['post']}").status_code == 404
    assert references_to(world.member.id) == {"reactions.user_id": 1}

    check_everywhere(client, auth, world, world.needles(content=True))


# -- the audit log and the mail ---------------------------------------------------------------

def test_the_audit_log_records_the_deletion_without_personal_data(client, auth, member_world):
    world = member_world
    delete_own_account(client, auth, world, "anonymise")
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "member.deleted")).all()
    assert (event.actor_id, event.target_type, event.target_id, event.detail) == (
        None, "users", world.member.id, {"mode": "anonymise", "by": "self"})
    # Earlier entries no longer name the member.
    added = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "team.member_added")).one()
    assert added.detail == {"member": "voormalig lid"}
    raw = db.session.execute(text("SELECT detail FROM audit_events")).scalars().all()
    assert not any(world.surname.lower() in str(value).lower() for value in raw)
    auth.login(world.admin)
    log = client.get("/beheer/auditlog").get_data(as_text=True)
    assert "Account verwijderd" in log and "voormalig lid #" in log


def test_mail_to_and_about_the_member_leaves_the_outbox(client, auth, member_world):
    world = member_world
    delete_own_account(client, auth, world, "anonymise")
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to for m in messages] == ["bert@example.org"]
    assert messages[0].body == "voormalig lid reageerde op je post."


# -- by an admin ---------------------------------------------------------------------------------

def test_an_admin_deletes_an_account_on_request(client, auth, member_world):
    world = member_world
    url = f"/beheer/leden/{world.member.id}/verwijderen"
    auth.login(world.coordinator)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"mode": "remove", "password": DEFAULT_PASSWORD}
                       ).status_code == 403
    auth.logout()
    auth.login(world.admin)
    assert f'href="{url}"' in client.get("/beheer/leden").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert world.name in page and "audit" in page.lower()
    # The admin's own password is asked.
    response = client.post(url, data={"mode": "remove", "password": "not the password"})
    assert response.status_code == 200
    assert db.session.get(User, world.member.id).deleted_at is None
    response = client.post(url, data={"mode": "remove", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/beheer/leden")
    db.session.expire_all()
    assert db.session.get(User, world.member.id).deleted_at is not None
    assert db.session.get(Post, world.ids["post"]) is None
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "member.deleted")).all()
    assert (event.actor_id, event.detail) == (world.admin.id, {"mode": "remove", "by": "admin"})
    # Deleted once: the page is gone, and the list no longer shows the account.
    assert client.get(url).status_code == 404
    assert f"admin-member-{world.member.id}" not in client.get("/beheer/leden").get_data(
        as_text=True)


def test_the_last_admin_and_the_admin_themself(client, auth, member_world):
    world = member_world
    auth.login(world.admin)
    own = f"/beheer/leden/{world.admin.id}/verwijderen"
    response = client.post(own, data={"mode": "anonymise", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200 and "via je profiel" in response.get_data(as_text=True)
    response = client.post("/account/verwijderen",
                           data={"mode": "anonymise", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "laatste beheerder" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.admin.id).deleted_at is None


def test_the_export_leaves_out_deleted_accounts(client, auth, runner, member_world):
    world = member_world
    delete_own_account(client, auth, world, "anonymise")
    result = runner.invoke(args=["learncom", "export"])
    assert result.exit_code == 0
    assert world.surname.lower() not in result.output.lower()
    assert world.email not in result.output and "deleted.invalid" not in result.output
    assert world.word in result.output  # what they wrote stays, without a name


@pytest.mark.search
def test_outside_tests_the_cleaning_runs_after_the_answer(app, client, auth, member_world):
    """In production the index rewrite does not hold up the request: a thread does it."""
    import threading

    from learncom.search.services import get_backend

    app.config["PRIVACY_SCRUB_SYNC"] = False
    delete_own_account(client, auth, member_world, "remove")
    for thread in threading.enumerate():
        if thread.name == "privacy-scrub":
            thread.join(timeout=60)
    segments = get_backend().store.open()._segments()
    assert segments and not any(segment.has_deletions() for segment in segments)
