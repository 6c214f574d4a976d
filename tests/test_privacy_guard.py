"""The privacy guard in every form that saves text people write: posts (new and edit),
experiment log entries, comments (new, reply and edit) and lessons applied; and in the import.
Nothing is saved until the member chooses: remove the matches, or post anyway with a reason."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from learncom.applications.models import LessonApplication
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.guard.models import PrivacyOverride
from learncom.posts.models import LogEntry, Post
from tests.helpers import elements

BSN = "123456782"
NEW_EXPERIMENT = {"title": "Buurtkamer als vindplaats", "tags": "eenzaamheid",
                  "visibility": "public", "status": "running",
                  "evidence_level": "described"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def member(create_user, auth):
    user = create_user("Anke", teams=["Wijkteam Overvecht"])
    auth.login(user)
    return user


def _blocked(response, *texts: str) -> str:
    """The form came back (200) with the guard's choices and what was typed."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = elements(response)
    assert page.find("section", id="privacy-guard")
    assert page.find("button", name="privacy_action", value="redact")
    assert page.find("button", name="privacy_action", value="override")
    assert page.find("textarea", name="privacy_reason")
    for text in texts:
        assert text in html
    return html


# -- posts -------------------------------------------------------------------------------------

def test_a_post_with_a_bsn_is_not_saved_and_comes_back_marked(client, member):
    body = f"Mevrouw met BSN {BSN} kwam elke week."
    response = client.post("/posts/nieuw/experiment", data={**NEW_EXPERIMENT, "body": body})
    html = _blocked(response, "Dit lijkt een BSN", "Mevrouw met BSN")
    assert f'<mark class="privacy-match privacy-bsn" title="Dit lijkt een BSN">{BSN}</mark>' \
        in html
    # What was typed is still in the form, so nothing is lost.
    assert elements(response).find("textarea", id="body")
    assert body in html
    assert count(Post) == 0


def test_remove_them_saves_the_post_with_the_matches_replaced(client, member):
    body = f"Bel haar op 06-12345678 of mail info@voorbeeld.nl. BSN {BSN}."
    response = client.post("/posts/nieuw/experiment", data={
        **NEW_EXPERIMENT, "body": body, "hypothesis": "Kan via 06-87654321",
        "privacy_action": "redact"})
    assert response.status_code == 302
    post = db.session.scalars(select(Post)).one()
    assert post.body == "Bel haar op [weggehaald] of mail [weggehaald]. BSN [weggehaald]."
    assert post.hypothesis == "Kan via [weggehaald]"
    assert "06-12345678" not in json.dumps(post.revisions[0].snapshot)
    assert count(PrivacyOverride) == 0


def test_post_anyway_needs_a_reason_and_keeps_it_for_coordinators(client, auth, member,
                                                                  create_user):
    body = "Bel mij gerust: 06-12345678."  # the author's own number is flagged all the same
    response = client.post("/posts/nieuw/experiment", data={
        **NEW_EXPERIMENT, "body": body, "privacy_action": "override", "privacy_reason": ""})
    html = _blocked(response, "Dit lijkt een telefoonnummer", "Zeg waarom")
    assert count(Post) == 0

    response = client.post("/posts/nieuw/experiment", data={
        **NEW_EXPERIMENT, "body": body, "privacy_action": "override",
        "privacy_reason": "Dit is mijn eigen werknummer."})
    assert response.status_code == 302
    post = db.session.scalars(select(Post)).one()
    assert post.body == body
    row = db.session.scalars(select(PrivacyOverride)).one()
    assert (row.user_id, row.post_id, row.target_type, row.target_id, row.kinds, row.reason) == (
        member.id, post.id, "posts", post.id, ["phone"], "Dit is mijn eigen werknummer.")
    assert "06-12345678" not in json.dumps([row.kinds, row.reason])  # the match is not kept

    # Coordinators read the reason on the post page and in their list; members do not.
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Dit is mijn eigen werknummer." not in html
    assert client.get("/beheer/privacy").status_code == 403
    auth.logout()
    auth.login(create_user("Coördinator", role="coordinator"))
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="privacy-overrides"' in html and "Dit is mijn eigen werknummer." in html
    listing = client.get("/beheer/privacy")
    assert listing.status_code == 200
    assert f'id="privacy-override-{row.id}"' in listing.get_data(as_text=True)
    assert "telefoonnummer" in listing.get_data(as_text=True)


def test_a_nine_digit_number_failing_the_11_check_is_saved_without_a_question(client, member):
    response = client.post("/posts/nieuw/experiment", data={
        **NEW_EXPERIMENT, "body": "Ons projectnummer is 123456789."})
    assert response.status_code == 302
    assert count(Post) == 1


def test_editing_a_post_is_guarded_too(client, member, create_post):
    post = create_post(member, title="Inloop", body="Een gewone tekst.")
    data = {"title": "Inloop", "body": "Zij woont op 3581 AB 12.", "tags": "eenzaamheid",
            "visibility": "public", "status": "idea", "evidence_level": "described"}
    response = client.post(f"/posts/{post.id}/bewerken", data=data)
    _blocked(response, "Dit lijkt een adres")
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == "Een gewone tekst."
    response = client.post(f"/posts/{post.id}/bewerken", data={**data, "privacy_action": "redact"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == "Zij woont op [weggehaald]."


@pytest.mark.search
def test_what_the_guard_stopped_is_never_found_by_search(client, auth, member):
    client.post("/posts/nieuw/experiment", data={**NEW_EXPERIMENT, "body": f"BSN {BSN}"})
    client.post("/posts/nieuw/experiment", data={**NEW_EXPERIMENT, "body": f"BSN {BSN}",
                                                 "privacy_action": "redact"})
    auth.logout()
    found = client.get(f"/api/v1/search?q={BSN}").get_json()
    assert found["total"] == 0
    assert client.get("/api/v1/search?q=weggehaald").get_json()["total"] == 1


# -- log entries, comments, lessons applied ------------------------------------------------------

def test_log_entry_is_guarded(client, member, create_post):
    post = create_post(member, title="Inloop")
    data = {"log-date": "2025-03-01", "log-text": "Vandaag kwam mevrouw (geb. 12-03-1941)."}
    response = client.post(f"/posts/{post.id}/logboek", data=data)
    _blocked(response, "Dit lijkt een geboortedatum", "Vandaag kwam mevrouw")
    assert count(LogEntry) == 0
    response = client.post(f"/posts/{post.id}/logboek", data={
        **data, "privacy_action": "override", "privacy_reason": "Een verzonnen voorbeeld."})
    assert response.status_code == 302
    entry = db.session.scalars(select(LogEntry)).one()
    row = db.session.scalars(select(PrivacyOverride)).one()
    assert (row.target_type, row.target_id, row.post_id, row.kinds) == (
        "log_entries", entry.id, post.id, ["birthdate"])


def test_comment_reply_and_edit_are_guarded(client, member, create_post, create_user,
                                            create_comment):
    post = create_post(create_user("Bert"))
    own_number = "Mijn eigen nummer is 06 12 34 56 78, bel gerust."
    response = client.post(f"/posts/{post.id}/reacties", data={"body": own_number})
    _blocked(response, "Dit lijkt een telefoonnummer", "Mijn eigen nummer")
    assert count(Comment) == 0

    parent = create_comment(post, create_user("Carla"), "Wie weet meer?")
    response = client.post(f"/posts/{post.id}/reacties", data={
        "body": "Mail naar carla@example.org", "parent_id": str(parent.id)})
    html = _blocked(response, "Dit lijkt een e-mailadres")
    assert f'name="parent_id" type="hidden" value="{parent.id}"' in html
    response = client.post(f"/posts/{post.id}/reacties", data={
        "body": "Mail naar carla@example.org", "parent_id": str(parent.id),
        "privacy_action": "redact"})
    assert response.status_code == 302
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == parent.id)).one()
    assert reply.body == "Mail naar [weggehaald]"

    response = client.post(f"/reacties/{reply.id}/bewerken",
                           data={"body": "IBAN NL91ABNA0417164300"})
    _blocked(response, "Dit lijkt een rekeningnummer")
    db.session.expire_all()
    assert db.session.get(Comment, reply.id).body == "Mail naar [weggehaald]"


def test_lesson_applied_is_guarded(client, member, create_post):
    lesson = create_post(member, kind="lesson", title="Vraag eerst", statement="Vraag eerst.")
    data = {"applied-place": "Bij mevrouw thuis, Dorpsweg 7, 3581 AB",
            "applied-applied_on": (date.today() - timedelta(days=1)).isoformat(),
            "applied-what_happened": "Het werkte.", "applied-friction_returned": "no"}
    response = client.post(f"/posts/{lesson.id}/toegepast", data=data)
    _blocked(response, "Dit lijkt een adres")
    assert count(LessonApplication) == 0
    response = client.post(f"/posts/{lesson.id}/toegepast",
                           data={**data, "privacy_action": "redact"})
    assert response.status_code == 302
    assert db.session.scalars(select(LessonApplication)).one().place == \
        "Bij mevrouw thuis, [weggehaald]"


def test_the_guard_works_in_english_too(client, member):
    client.post("/taal", data={"locale": "en"})
    response = client.post("/posts/nieuw/experiment", data={**NEW_EXPERIMENT,
                                                            "body": f"BSN {BSN}"})
    _blocked(response, "This looks like a BSN", "Remove them and save", "Post anyway")


# -- import ---------------------------------------------------------------------------------------

def test_import_reports_personal_data_without_blocking(app, runner, tmp_path):
    lines = [
        {"type": "user", "email": "anke@example.org", "name": "Anke"},
        {"type": "post", "ref": "p1", "kind": "experiment", "title": "Inloop",
         "body": f"BSN {BSN}", "tags": ["inloop"], "author": "anke@example.org",
         "log": [{"date": "2025-03-01", "author": "anke@example.org",
                  "body": "Bel 06-12345678"}]},
        {"type": "post", "ref": "p2", "kind": "lesson", "title": "Schoon", "body": "Niets.",
         "tags": ["x"], "author": "anke@example.org", "fields": {"statement": "Niets"}},
        {"type": "comment", "ref": "c1", "post": "p2", "author": "anke@example.org",
         "body": "mail anke@example.org"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = runner.invoke(args=["learncom", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Line 2 (post p1): body: bsn; log entry 1: phone" in result.output
    assert "Line 4 (comment c1): body: email" in result.output
    assert "Line 3" not in result.output
    assert BSN not in result.output  # the report names kinds, never the data itself
    assert count(Post) == 2 and count(Comment) == 1


def test_editing_a_log_entry_is_checked_like_writing_one(client, member, create_post):
    post = create_post(member, title="Spreekuur")
    client.post(f"/posts/{post.id}/logboek",
                data={"log-date": "2026-01-05", "log-text": "Week 1: zes bezoekers."})
    entry = db.session.scalars(select(LogEntry)).one()
    url = f"/posts/{post.id}/logboek/{entry.id}/bewerken"
    response = client.post(url, data={"date": "2026-01-05", "text": f"Meneer BSN {BSN}."})
    _blocked(response, "Dit lijkt een BSN")
    db.session.expire_all()
    assert db.session.get(LogEntry, entry.id).body == "Week 1: zes bezoekers."

    response = client.post(url, data={"date": "2026-01-05", "text": f"Meneer BSN {BSN}.",
                                      "privacy_action": "redact"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LogEntry, entry.id).body == "Meneer BSN [weggehaald]."


def test_a_draft_stays_a_draft_after_the_guard(client, member):
    """"Save as draft", stopped by the guard, then "remove them": saved as a draft."""
    data = {**NEW_EXPERIMENT, "body": f"BSN {BSN}.", "action": "draft"}
    html = _blocked(client.post("/posts/nieuw/experiment", data=data))
    assert 'type="hidden" name="action" value="draft"' in html
    response = client.post("/posts/nieuw/experiment",
                           data={**data, "privacy_action": "redact"})
    assert response.status_code == 302
    post = db.session.scalars(select(Post)).one()
    assert post.is_draft and post.body == "BSN [weggehaald]."
