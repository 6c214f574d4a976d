"""Creating, editing, deleting posts through the forms; history; log entries; links."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from learncom.accounts.services import get_or_create_team
from learncom.extensions import db
from learncom.posts import services
from learncom.posts.models import LogEntry, Post, PostLink, PostRevision

VALID = {
    "experiment": {"title": "Buurtkamer als vindplaats", "body": "We openen een **buurtkamer**.",
                   "tags": "eenzaamheid, ouderen", "visibility": "public",
                   "hypothesis": "Ouderen komen vaker", "approach": "Open inloop",
                   "target_group": "Ouderen 75+", "outcome_measures": "Bezoekers per week",
                   "start_date": "2025-01-06", "end_date": "2025-06-30", "status": "running",
                   "result": "", "evidence_level": "substantiated"},
    "friction": {"title": "Voor elke kleine hulpvraag een nieuwe indicatie", "body": "Traag.",
                 "tags": "indicatie", "visibility": "public", "obstacle_type": "procedure",
                 "affected": "Bewoners met kleine vragen"},
    "lesson": {"title": "Vaste gezichten in de wijk", "body": "", "tags": "vertrouwen",
               "visibility": "members", "statement": "Ken je wijk", "context": "Kleine wijken",
               "confidence": "several_teams"},
}
NEW_URL = {"experiment": "/posts/nieuw/experiment", "friction": "/posts/nieuw/frictie",
           "lesson": "/posts/nieuw/les"}


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


@pytest.fixture
def member(create_user, auth):
    user = create_user("Anke", teams=["Wijkteam Overvecht"])
    auth.login(user)
    return user


def test_anonymous_is_sent_to_login(client):
    for url in ("/posts/nieuw", "/posts/nieuw/experiment"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/inloggen" in response.location
    response = client.post("/posts/nieuw/experiment", data=VALID["experiment"])
    assert response.status_code == 302 and "/account/inloggen" in response.location
    assert post_count() == 0


@pytest.mark.parametrize("kind", ["experiment", "friction", "lesson"])
def test_create_each_kind(client, member, kind):
    services.get_or_create_neighbourhood("Overvecht", "Utrecht")
    db.session.commit()
    hood_id = services.get_neighbourhood_by_slug("overvecht").id
    response = client.post(NEW_URL[kind], data={**VALID[kind], "neighbourhood": str(hood_id)})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert response.location.endswith(f"/posts/{post.id}")
    assert (post.kind, post.title, post.author_id) == (kind, VALID[kind]["title"], member.id)
    assert post.neighbourhood_id == hood_id
    assert len(post.revisions) == 1
    if kind == "experiment":
        assert (post.start_date, post.end_date) == (date(2025, 1, 6), date(2025, 6, 30))
        assert (post.status, post.evidence_level) == ("running", "substantiated")
        assert post.body_html == "<p>We openen een <strong>buurtkamer</strong>.</p>"
        assert post.result is None
        assert [t.name for t in post.tags] == ["eenzaamheid", "ouderen"]
    elif kind == "friction":
        assert (post.obstacle_type, post.change_status) == ("procedure", "raised")
    else:
        assert (post.statement, post.confidence, post.visibility) == (
            "Ken je wijk", "several_teams", "members")
        assert post.curated is False
    # The page it redirects to shows the post and a flash.
    html = client.get(response.location).get_data(as_text=True)
    assert 'class="flash flash-success"' in html and VALID[kind]["title"] in html


def test_form_shows_generated_kind_fields(client, member):
    html = client.get("/posts/nieuw/experiment").get_data(as_text=True)
    assert '<textarea' in html and 'id="hypothesis"' in html
    assert re.search(r'<input[^>]*id="start_date"[^>]*type="date"', html)
    assert re.search(r'<select[^>]*id="status"', html)
    assert re.search(r'<input[^>]*id="target_group"[^>]*type="text"', html)
    # Only the member's own team is offered.
    get_or_create_team("Ander team")
    db.session.commit()
    html = client.get("/posts/nieuw/experiment").get_data(as_text=True)
    team_select = html.split('id="team"')[1].split("</select>")[0]
    assert "Wijkteam Overvecht" in team_select and "Ander team" not in team_select
    # Coordinator fields are not there for a member.
    html = client.get("/posts/nieuw/frictie").get_data(as_text=True)
    assert 'name="change_status"' not in html and 'name="resolution_note"' not in html
    html = client.get("/posts/nieuw/les").get_data(as_text=True)
    assert 'name="curated"' not in html and 'name="statement"' in html


def test_coordinator_sees_and_sets_coordinator_fields(client, auth, create_user):
    coordinator = create_user("Coördinator", role="coordinator")
    auth.login(coordinator)
    html = client.get("/posts/nieuw/les").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="curated"[^>]*type="checkbox"', html)
    response = client.post("/posts/nieuw/frictie", data={
        **VALID["friction"], "change_status": "on_agenda", "resolution_note": "Op de agenda"})
    assert response.status_code == 302
    response = client.post("/posts/nieuw/les", data={**VALID["lesson"], "curated": "y"})
    assert response.status_code == 302
    friction, lesson = db.session.scalars(select(Post).order_by(Post.id)).all()
    # The change status is not a form field: it moves through the friction workflow.
    assert (friction.change_status, friction.resolution_note) == ("raised", "Op de agenda")
    assert lesson.curated is True


def test_member_cannot_set_coordinator_fields(client, member, create_user, create_post, auth):
    response = client.post("/posts/nieuw/frictie", data={
        **VALID["friction"], "change_status": "resolved", "resolution_note": "Opgelost!"})
    assert response.status_code == 302
    response = client.post("/posts/nieuw/les", data={**VALID["lesson"], "curated": "y"})
    assert response.status_code == 302
    friction, lesson = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert (friction.change_status, friction.resolution_note) == ("raised", None)
    assert lesson.curated is False
    # A coordinator's decision survives the author's later edit.
    friction.change_status, friction.resolution_note = "being_addressed", "Loopt"
    db.session.commit()
    response = client.post(f"/posts/{friction.id}/bewerken", data={
        **VALID["friction"], "title": "Nieuwe titel", "change_status": "resolved"})
    assert response.status_code == 302
    db.session.refresh(friction)
    assert (friction.title, friction.change_status, friction.resolution_note) == (
        "Nieuwe titel", "being_addressed", "Loopt")


@pytest.mark.parametrize("changes,field", [
    ({"tags": ""}, "tags"),
    ({"tags": " , ,, "}, "tags"),
    ({"tags": ", ".join(f"tag{n}" for n in range(11))}, "tags"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"visibility": "team", "team": ""}, "team"),
    ({"visibility": "everyone"}, "visibility"),
    ({"start_date": "2025-06-30", "end_date": "2025-01-06"}, "end_date"),
    ({"start_date": "30-06-2025"}, "start_date"),
    ({"status": "finished"}, "status"),
    ({"evidence_level": "proven"}, "evidence_level"),
    ({"neighbourhood": "999"}, "neighbourhood"),
    ({"neighbourhood": "abc"}, "neighbourhood"),
    ({"team": "999"}, "team"),
])
def test_validation_errors_keep_input_and_create_nothing(client, member, changes, field):
    data = {**VALID["experiment"], "approach": "Wat ik <typte> & bewaar", **changes}
    response = client.post("/posts/nieuw/experiment", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'class="form-errors"' in html
    assert post_count() == 0
    # What was typed is still there (escaped).
    assert "Wat ik &lt;typte&gt; &amp; bewaar</textarea>" in html
    if field != "title":
        assert 'value="Buurtkamer als vindplaats"' in html


def test_other_kinds_validate_their_fields(client, member):
    response = client.post("/posts/nieuw/les", data={**VALID["lesson"], "statement": ""})
    assert 'id="statement-error"' in response.get_data(as_text=True)
    response = client.post("/posts/nieuw/frictie", data={**VALID["friction"],
                                                         "obstacle_type": "weather"})
    assert 'id="obstacle_type-error"' in response.get_data(as_text=True)
    assert post_count() == 0


def test_team_post_for_own_team(client, member):
    team_id = member.teams[0].id
    response = client.post("/posts/nieuw/experiment", data={
        **VALID["experiment"], "visibility": "team", "team": str(team_id)})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert (post.visibility, post.team_id) == ("team", team_id)


def test_a_member_in_no_team_is_not_offered_team_only(client, auth, create_user):
    """Issue 13 item 10: no "Team" visibility (and no team list) without a team to choose."""
    auth.login(create_user("Zonder Team", kind="resident"))
    html = client.get("/posts/nieuw/experiment").get_data(as_text=True)
    assert 'value="team"' not in html and 'name="team"' not in html
    assert 'value="members"' in html
    response = client.post("/posts/nieuw/experiment",
                           data={**VALID["experiment"], "visibility": "team"})
    assert 'id="visibility-error"' in response.get_data(as_text=True)
    assert post_count() == 0


def test_a_team_member_is_offered_team_only(client, member):
    html = client.get("/posts/nieuw/experiment").get_data(as_text=True)
    assert 'value="team"' in html and 'name="team"' in html


def test_tags_are_normalised(client, member):
    long_tag = "a" * 45
    response = client.post("/posts/nieuw/experiment", data={
        **VALID["experiment"], "tags": f"  Eenzame Ouderen , eenzame-ouderen, #Wonen, {long_tag}"})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert sorted(t.name for t in post.tags) == sorted(["eenzame-ouderen", "wonen", "a" * 40])
    # On an error the form shows how the tags will be saved.
    response = client.post("/posts/nieuw/experiment", data={
        **VALID["experiment"], "title": "", "tags": "  Eenzame Ouderen "})
    preview = response.get_data(as_text=True).split('id="tag-preview"')[1].split("</p>")[0]
    assert '<span class="tag">eenzame-ouderen</span>' in preview


def test_edit_keeps_a_revision_and_a_no_op_edit_does_not(client, member, create_post):
    post = create_post(member, title="Eerste titel", body="Oude tekst hier", tags=["a", "b"],
                       status="idea")
    html = client.get(f"/posts/{post.id}/bewerken").get_data(as_text=True)
    assert 'value="Eerste titel"' in html and 'value="a, b"' in html
    assert '<option selected value="idea">' in html
    # Saving the form unchanged keeps no revision.
    unchanged = {"title": "Eerste titel", "body": "Oude tekst hier", "tags": "a, b",
                 "visibility": "public", "status": "idea", "evidence_level": "described"}
    assert client.post(f"/posts/{post.id}/bewerken", data=unchanged).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 1
    response = client.post(f"/posts/{post.id}/bewerken", data={
        **unchanged, "body": "Nieuwe tekst hier", "tags": "a, c", "status": "running"})
    assert response.status_code == 302
    revisions = db.session.scalars(select(PostRevision).order_by(PostRevision.number)).all()
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].editor_id == member.id
    assert revisions[1].snapshot["body"] == "Nieuwe tekst hier"
    db.session.refresh(post)
    assert post.status == "running" and sorted(t.name for t in post.tags) == ["a", "c"]


def test_history_shows_word_diff_escaped(client, member, create_post):
    post = create_post(member, title="Titel", body="De <b>buurt</b> kamer is open",
                       status="idea")
    services.update_post(post, member, services.PostInput(
        kind="experiment", title="Titel", body="De <b>buurt</b> huiskamer is <i>vaak</i> open",
        tags=["eenzaamheid", "nieuw"], fields={"status": "running"}))
    db.session.commit()
    html = client.get(f"/posts/{post.id}/geschiedenis").get_data(as_text=True)
    assert html.index('id="revision-2"') < html.index('id="revision-1"')  # newest first
    body = html.split('class="change change-body"')[1].split("</tr>")[0]
    assert "<del>kamer</del><ins>huiskamer</ins>" in body
    assert "<ins>&lt;i&gt;vaak&lt;/i&gt; </ins>" in body
    assert "&lt;b&gt;buurt&lt;/b&gt;" in body and "<b>" not in body and "<i>" not in body
    status = html.split('class="change change-status"')[1].split("</tr>")[0]
    assert "<del>" in status and "<ins>" in status
    tags = html.split('class="change change-tags"')[1].split("</tr>")[0]
    assert "<ins>nieuw</ins>" in tags
    assert 'class="change change-title"' not in html  # unchanged fields are not listed


def test_history_of_long_repetitive_edits_is_bounded_and_complete(client, member,
                                                                   create_post):
    """difflib took minutes on these (issue 11: no page may stall on what a member wrote); the
    diff is coarser beyond DIFF_BUDGET, but still shows exactly the old and the new text."""
    import html as html_module

    old = ("*a **b _c [d](e `f " * 2500)[:50000]
    new = ("*a **b _c [d](e `g " * 2500)[:50000]
    lines_old, lines_new = "x\n" * 500, "x\ny\n" * 250
    post = create_post(member, title="Lang", body=old, hypothesis=lines_old)
    services.update_post(post, member, services.PostInput(
        kind="experiment", title="Lang", body=new, tags=["eenzaamheid"],
        fields={"hypothesis": lines_new}))
    db.session.commit()
    page = client.get(f"/posts/{post.id}/geschiedenis").get_data(as_text=True)
    for key, before, after in (("body", old, new), ("hypothesis", lines_old, lines_new)):
        cell = page.split(f'class="change change-{key}"')[1].split("</tr>")[0]
        diff = cell[cell.index("<td"):]
        diff = diff[diff.index(">") + 1:diff.rindex("</td>")]

        def side(keep: str, diff: str = diff) -> str:
            drop = "ins" if keep == "del" else "del"
            text = re.sub(rf"<{drop}>.*?</{drop}>", "", diff, flags=re.S)
            return html_module.unescape(re.sub(r"</?(?:del|ins)>", "", text))

        assert side("del").strip() == before.strip() and side("ins").strip() == after.strip()


def test_delete_asks_first_and_only_author_or_coordinator(client, auth, create_user,
                                                          create_post):
    author = create_user("Auteur")
    other = create_user("Ander")
    coordinator = create_user("Coördinator", role="coordinator")
    post_id = create_post(author).id
    second_id = create_post(author, title="Tweede").id
    auth.login(other)
    assert client.get(f"/posts/{post_id}/verwijderen").status_code == 403
    assert client.post(f"/posts/{post_id}/verwijderen").status_code == 403
    assert client.get(f"/posts/{post_id}/bewerken").status_code == 403
    assert client.post(f"/posts/{post_id}/bewerken", data=VALID["experiment"]).status_code == 403
    assert post_count() == 2
    auth.logout()
    auth.login(author)
    page = client.get(f"/posts/{post_id}/verwijderen")
    assert page.status_code == 200 and 'id="delete-form"' in page.get_data(as_text=True)
    assert post_count() == 2
    response = client.post(f"/posts/{post_id}/verwijderen")
    assert response.status_code == 302 and response.location.endswith("/experimenten")
    assert db.session.get(Post, post_id) is None
    auth.logout()
    auth.login(coordinator)
    assert client.post(f"/posts/{second_id}/verwijderen").status_code == 302
    assert post_count() == 0


def test_log_entries_by_author_and_team_member_not_others(client, auth, create_user,
                                                          create_post):
    author = create_user("Auteur", teams=["Team Zuid"])
    teammate = create_user("Collega", teams=["Team Zuid"])
    other = create_user("Buitenstaander", teams=["Team Noord"])
    post = create_post(author, team="Team Zuid")
    url = f"/posts/{post.id}/logboek"
    assert client.post(url, data={"log-date": "2025-02-01", "log-text": "x"}).status_code == 302
    auth.login(author)
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="log-form"' in html and f'value="{date.today().isoformat()}"' in html
    response = client.post(url, data={"log-date": "2025-02-01", "log-text": "Week **1**"})
    assert response.status_code == 302
    # To the new entry, which takes the focus there (tabindex -1), as a new comment does.
    first_id = db.session.scalars(select(LogEntry.id).where(LogEntry.post_id == post.id)).one()
    assert response.headers["Location"] == f"/posts/{post.id}#log-{first_id}"
    auth.logout()
    auth.login(teammate)
    response = client.post(url, data={"log-date": "2025-02-08", "log-text": "Week 2"})
    assert response.status_code == 302
    # Errors go back to the post page (post/redirect/get: a reload sends nothing again) with
    # the typed text, the reason, and the focus on the field to fix; nothing is created.
    response = client.post(url, data={"log-date": "gisteren", "log-text": "Week 3 <b>"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}"
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="log-date-error"' in html and "Week 3 &lt;b&gt;</textarea>" in html
    assert re.search(r'<input[^>]*autofocus[^>]*id="log-date"', html)
    again = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="log-date-error"' not in again and "Week 3" not in again
    # Kept for its own page only: another post never shows it.
    client.post(url, data={"log-date": "gisteren", "log-text": "Week 3 <b>"})
    other_post = create_post(author, title="Ander experiment", team="Team Zuid")
    elsewhere = client.get(f"/posts/{other_post.id}").get_data(as_text=True)
    assert 'id="log-form"' in elsewhere and "Week 3" not in elsewhere
    assert "Week 3" in client.get(f"/posts/{post.id}").get_data(as_text=True)
    auth.logout()
    auth.login(other)
    assert 'id="log-form"' not in client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert client.post(url, data={"log-date": "2025-02-09", "log-text": "Ik"}).status_code == 403
    entries = db.session.scalars(select(LogEntry).order_by(LogEntry.date)).all()
    assert [(e.author_id, e.body) for e in entries] == [(author.id, "Week **1**"),
                                                        (teammate.id, "Week 2")]
    assert entries[0].body_html == "<p>Week <strong>1</strong></p>"
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Week <strong>1</strong>" in html and "Week 2" in html


def test_links_show_on_both_posts_and_respect_visibility(client, auth, create_user,
                                                         create_post):
    author = create_user("Auteur")
    outsider = create_user("Buiten", teams=["Team Buiten"])
    experiment = create_post(author, title="Het experiment")
    friction = create_post(author, kind="friction", title="De frictie")
    hidden = create_post(outsider, title="Geheim", visibility="team", team="Team Buiten")
    auth.login(author)
    response = client.post(f"/posts/{experiment.id}/koppelingen", data={
        "link-relation": "addresses", "link-target": f"http://localhost/posts/{friction.id}"})
    assert response.status_code == 302
    link = db.session.scalar(select(PostLink))
    assert (link.source_id, link.target_id, link.relation) == (
        experiment.id, friction.id, "addresses")
    for post, other in ((experiment, friction), (friction, experiment)):
        html = client.get(f"/posts/{post.id}").get_data(as_text=True)
        section = html.split('id="links"')[1].split("</section>")[0]
        assert f'href="/posts/{other.id}"' in section
    # An invisible post, a missing one, itself, nonsense and a bad relation are refused.
    for target in (str(hidden.id), "999999", str(experiment.id), "posts", f"/posts/{hidden.id}"):
        response = client.post(f"/posts/{experiment.id}/koppelingen", data={
            "link-relation": "related", "link-target": target})
        # Issue 13 item 11: back on the post page's own address, not the POST address.
        assert response.status_code == 302, target
        assert response.headers["Location"] == f"/posts/{experiment.id}"
        html = client.get(f"/posts/{experiment.id}").get_data(as_text=True)
        assert 'id="link-target-error"' in html
        assert f'value="{target}"' in html
        assert "Geheim" not in html
    client.post(f"/posts/{experiment.id}/koppelingen", data={
        "link-relation": "hates", "link-target": str(friction.id)})
    assert 'id="link-relation-error"' in client.get(f"/posts/{experiment.id}").get_data(
        as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PostLink)) == 1
    # Someone who cannot edit either post cannot add or remove links.
    auth.logout()
    auth.login(outsider)
    assert client.post(f"/posts/{friction.id}/koppelingen", data={
        "link-relation": "related", "link-target": str(experiment.id)}).status_code == 403
    assert client.post(
        f"/posts/{friction.id}/koppelingen/{link.id}/verwijderen").status_code == 403
    auth.logout()
    auth.login(author)
    # A link id that does not belong to the post in the URL is not found.
    assert client.post(f"/posts/{hidden.id}/koppelingen/{link.id}/verwijderen").status_code == 404
    response = client.post(f"/posts/{friction.id}/koppelingen/{link.id}/verwijderen")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PostLink)) == 0


def test_parse_post_ref():
    assert services.parse_post_ref("123") == 123
    assert services.parse_post_ref(" https://learncom.example/posts/42/ ") == 42
    assert services.parse_post_ref("/posts/7") == 7
    for bad in ("", "abc", "12a", "/leden/3", "https://x/posts/", None):
        assert services.parse_post_ref(bad) is None


def test_log_entries_are_edited_and_deleted_by_their_writer_and_coordinators(
        client, auth, create_user, create_post):
    """Issue 13 item 15: a log entry can be corrected or removed, by whoever wrote it and by
    coordinators; a teammate sees no buttons and gets 403."""
    author = create_user("Auteur", teams=["Team Oost"])
    teammate = create_user("Teamgenoot", teams=["Team Oost"])
    coordinator = create_user("Coördinator", role="coordinator")
    post = create_post(author, title="Met logboek")
    entry = services.add_log_entry(post, author, "Week 1: vijf bezoekers", date(2025, 3, 1))
    db.session.commit()
    edit_url = f"/posts/{post.id}/logboek/{entry.id}/bewerken"
    delete_url = f"/posts/{post.id}/logboek/{entry.id}/verwijderen"

    auth.login(teammate)
    assert edit_url not in client.get(f"/posts/{post.id}").text
    assert client.get(edit_url).status_code == 403
    assert client.post(delete_url).status_code == 403
    auth.logout()

    auth.login(author)
    html = client.get(f"/posts/{post.id}").text
    assert f'href="{edit_url}"' in html and f'action="{delete_url}"' in html
    form = client.get(edit_url).text
    assert 'value="2025-03-01"' in form and "Week 1: vijf bezoekers</textarea>" in form
    response = client.post(edit_url, data={"date": "", "text": "Week 1: zes bezoekers"})
    assert 'id="date-error"' in response.text and "zes bezoekers</textarea>" in response.text
    response = client.post(edit_url, data={"date": "2025-03-02", "text": "Week 1: **zes**"})
    assert response.headers["Location"] == f"/posts/{post.id}#log-{entry.id}"
    db.session.expire_all()
    changed = db.session.get(LogEntry, entry.id)
    assert (changed.date, changed.body, changed.body_html) == (
        date(2025, 3, 2), "Week 1: **zes**", "<p>Week 1: <strong>zes</strong></p>")
    auth.logout()

    auth.login(coordinator)
    assert client.get(edit_url).status_code == 200
    assert client.post(delete_url).headers["Location"] == f"/posts/{post.id}#log"
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == 0
    assert client.post(delete_url).status_code == 404
