"""The friction workflow: the transition table, who may move a friction, the reason, owner and
resolution note, the timeline events in the thread, and the search index after a change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learncom import events, vocab
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.frictions import services
from learncom.frictions.models import StatusChange
from learncom.posts.models import Post, PostRevision

STATUSES = list(vocab.CHANGE_STATUSES)
LEGAL = {
    ("raised", "on_agenda"), ("raised", "not_resolved"),
    ("on_agenda", "being_addressed"), ("on_agenda", "raised"), ("on_agenda", "not_resolved"),
    ("being_addressed", "resolved"), ("being_addressed", "not_resolved"),
    ("being_addressed", "on_agenda"),
    ("resolved", "raised"), ("not_resolved", "raised"),
}
ALL_PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


@pytest.fixture
def coordinator(create_user):
    return create_user("Coby Coördinator", role="coordinator", email="coby@example.org")


@pytest.fixture
def author(create_user):
    return create_user("Rita Bewoner", kind="resident", email="rita@example.org")


@pytest.fixture
def friction(create_post, author):
    return create_post(author, kind="friction", title="Elke kleine vraag een nieuwe indicatie",
                       tags=("indicatie", "regelreflex"), obstacle_type="procedure")


def move(client, post_id, to_status, reason="Besproken in het teamoverleg.", **extra):
    return client.post(f"/posts/{post_id}/status",
                       data={"to_status": to_status, "reason": reason, **extra})


def changes_of(post_id):
    return db.session.scalars(select(StatusChange).where(StatusChange.post_id == post_id)
                              .order_by(StatusChange.id)).all()


# -- the transition table --------------------------------------------------------------------

def test_the_table_is_the_documented_one():
    table = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert set(services.TRANSITIONS) == set(STATUSES)
    assert all(set(targets) <= set(STATUSES) for targets in services.TRANSITIONS.values())


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_transition(client, auth, coordinator, friction, from_status, to_status):
    friction.change_status = from_status
    db.session.commit()
    auth.login(coordinator)
    response = move(client, friction.id, to_status)
    post = db.session.get(Post, friction.id)
    if (from_status, to_status) in LEGAL:
        assert response.status_code == 302
        assert post.change_status == to_status
        (change,) = changes_of(friction.id)
        assert (change.from_status, change.to_status, change.actor_id) == (
            from_status, to_status, coordinator.id)
        assert change.reason == "Besproken in het teamoverleg."
        assert response.headers["Location"].endswith(
            f"/posts/{friction.id}#status-change-{change.id}")
    else:
        assert response.status_code == 400
        assert post.change_status == from_status
        assert changes_of(friction.id) == []
        html = response.get_data(as_text=True)
        assert 'id="status-form"' in html
        assert re.search(r'id="to_status-error"', html)


@pytest.mark.parametrize("from_status", STATUSES)
def test_the_form_offers_only_legal_targets(client, auth, coordinator, friction, from_status):
    friction.change_status = from_status
    db.session.commit()
    auth.login(coordinator)
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    select_html = html.split('name="to_status"')[1].split("</select>")[0]
    offered = re.findall(r'<option[^>]*value="(\w+)"', select_html)
    assert offered == list(services.TRANSITIONS[from_status])


def test_the_service_refuses_an_illegal_move_and_changes_nothing(coordinator, friction):
    with pytest.raises(services.TransitionError) as error:
        services.change_status(friction, coordinator, "resolved", "Klaar")
    assert error.value.field == "to_status"
    db.session.rollback()
    assert db.session.get(Post, friction.id).change_status == "raised"
    assert changes_of(friction.id) == []


def test_an_illegal_move_says_what_is_possible(client, auth, coordinator, friction):
    client.post("/taal", data={"locale": "en"})
    auth.login(coordinator)
    html = move(client, friction.id, "resolved").get_data(as_text=True)
    error = html.split('id="to_status-error">')[1].split("</p>")[0]
    assert "Raised" in error and "Resolved" in error and "On the agenda" in error


def test_an_unknown_status_is_refused(client, auth, coordinator, friction):
    auth.login(coordinator)
    for value in ("", "opgelost", "x" * 500):
        assert move(client, friction.id, value).status_code == 400
    assert db.session.get(Post, friction.id).change_status == "raised"
    assert changes_of(friction.id) == []


# -- permissions -----------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", 302), ("member", 403), ("author", 403), ("coordinator", 302), ("admin", 302),
])
def test_who_may_change_the_status(client, auth, create_user, author, friction, who, expected):
    users = {"member": create_user("Mo Lid"), "author": author,
             "coordinator": create_user("Co", role="coordinator"),
             "admin": create_user("Ad", role="admin")}
    if who != "anonymous":
        auth.login(users[who])
    response = move(client, friction.id, "on_agenda")
    assert response.status_code == expected
    moved = who in ("coordinator", "admin")
    assert db.session.get(Post, friction.id).change_status == ("on_agenda" if moved else "raised")
    assert len(changes_of(friction.id)) == (1 if moved else 0)
    if who == "anonymous":
        assert "/account/inloggen" in response.headers["Location"]
    page = client.get(f"/posts/{friction.id}/status")
    assert page.status_code == {"anonymous": 302, "member": 403, "author": 403}.get(who, 200)


def test_a_friction_the_coordinator_cannot_see_is_a_404(client, auth, coordinator, create_user,
                                                        create_post):
    insider = create_user("Ina Team", teams=["Wijkteam Zuid"])
    hidden = create_post(insider, kind="friction", title="Alleen voor het team",
                         visibility="team", team="Wijkteam Zuid")
    auth.login(coordinator)
    assert move(client, hidden.id, "on_agenda").status_code == 404
    assert client.get(f"/posts/{hidden.id}/status").status_code == 404
    assert db.session.get(Post, hidden.id).change_status == "raised"


def test_only_frictions_have_a_status_and_bad_ids_are_404(client, auth, coordinator,
                                                          create_post, author):
    experiment = create_post(author, kind="experiment")
    auth.login(coordinator)
    assert move(client, experiment.id, "on_agenda").status_code == 404
    assert move(client, 999999, "on_agenda").status_code == 404
    assert move(client, 2**31 - 1, "on_agenda").status_code == 404


# -- reason, owner, resolution note ----------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   \n  ", "x" * 1001])
def test_a_reason_is_required_and_short(client, auth, coordinator, friction, reason):
    auth.login(coordinator)
    response = move(client, friction.id, "on_agenda", reason=reason)
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert db.session.get(Post, friction.id).change_status == "raised"
    assert changes_of(friction.id) == []


def test_a_refused_form_keeps_what_was_typed(client, auth, coordinator, friction):
    auth.login(coordinator)
    response = move(client, friction.id, "resolved", reason="Mijn <uitleg> blijft staan")
    html = response.get_data(as_text=True)
    assert "Mijn &lt;uitleg&gt; blijft staan</textarea>" in html


def test_a_reason_of_1000_characters_is_fine(client, auth, coordinator, friction):
    auth.login(coordinator)
    assert move(client, friction.id, "on_agenda", reason="x" * 1000).status_code == 302
    assert changes_of(friction.id)[0].reason == "x" * 1000


def test_owner_and_resolution_note(client, auth, coordinator, create_user, friction):
    other = create_user("Olga Eigenaar", role="coordinator")
    member = create_user("Gewoon Lid")
    auth.login(coordinator)
    # A member cannot own a friction.
    response = move(client, friction.id, "on_agenda", owner=str(member.id))
    assert response.status_code == 400
    assert 'id="owner-error"' in response.get_data(as_text=True)
    assert db.session.get(Post, friction.id).change_status == "raised"
    assert move(client, friction.id, "on_agenda", owner="banaan").status_code == 400

    assert move(client, friction.id, "on_agenda", owner=str(other.id)).status_code == 302
    assert db.session.get(Post, friction.id).owner_id == other.id
    # No owner field (the board's form): the owner stays.
    assert move(client, friction.id, "being_addressed").status_code == 302
    assert db.session.get(Post, friction.id).owner_id == other.id
    # A resolution note is kept when resolving.
    response = move(client, friction.id, "resolved", owner=str(other.id),
                    resolution_note="De gemeente werkt met één indicatie per gezin.")
    assert response.status_code == 302
    post = db.session.get(Post, friction.id)
    assert (post.change_status, post.resolution_note) == (
        "resolved", "De gemeente werkt met één indicatie per gezin.")
    # Reopened: the note stays; an empty owner means nobody.
    assert move(client, friction.id, "raised", owner="",
                resolution_note="wordt genegeerd").status_code == 302
    post = db.session.get(Post, friction.id)
    assert (post.change_status, post.owner_id) == ("raised", None)
    assert post.resolution_note == "De gemeente werkt met één indicatie per gezin."
    assert [c.to_status for c in changes_of(friction.id)] == [
        "on_agenda", "being_addressed", "resolved", "raised"]


def test_next_goes_back_to_the_board_but_never_off_site(client, auth, coordinator, friction):
    auth.login(coordinator)
    response = move(client, friction.id, "on_agenda", next="/verandering?tag=indicatie")
    assert response.headers["Location"].endswith("/verandering?tag=indicatie")
    response = move(client, friction.id, "being_addressed", next="https://evil.example/")
    assert "evil" not in response.headers["Location"]
    assert f"/posts/{friction.id}#status-change-" in response.headers["Location"]


# -- what a change writes --------------------------------------------------------------------

@pytest.fixture
def emitted():
    seen: list[dict] = []

    def record(post, change, actor):
        # Ids, not objects: the request's session is gone when the test reads them.
        seen.append({"post": post.id, "change": change.id, "from": change.from_status,
                     "actor": actor.id})

    events.subscribe("friction.status_changed")(record)
    yield seen
    events.unsubscribe("friction.status_changed", record)


def test_a_change_emits_its_event_and_is_no_edit_of_the_post(client, auth, coordinator,
                                                              friction, emitted):
    """Issue 13 item 8: moving a resident's friction does not make their post read "edited"
    (the timeline shows the move); a resolution note is an edit, by the coordinator."""
    auth.login(coordinator)
    move(client, friction.id, "on_agenda")
    (change,) = changes_of(friction.id)
    assert emitted == [{"post": friction.id, "change": change.id, "from": "raised",
                        "actor": coordinator.id}]
    revisions = db.session.scalars(select(PostRevision).where(
        PostRevision.post_id == friction.id)).all()
    assert len(revisions) == 1 and "change_status" not in revisions[0].snapshot
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    assert 'class="edited"' not in html
    history = client.get(f"/posts/{friction.id}/geschiedenis").get_data(as_text=True)
    assert "Stand van zaken" not in history

    move(client, friction.id, "not_resolved", resolution_note="Landelijke wet; doorgegeven.")
    revision = db.session.scalars(select(PostRevision).where(PostRevision.post_id == friction.id)
                                  .order_by(PostRevision.number.desc())).first()
    assert (revision.number, revision.editor_id) == (2, coordinator.id)
    assert revision.snapshot["resolution_note"] == "Landelijke wet; doorgegeven."
    assert 'class="edited"' in client.get(f"/posts/{friction.id}").get_data(as_text=True)


def test_a_refused_change_emits_nothing(client, auth, coordinator, friction, emitted):
    auth.login(coordinator)
    move(client, friction.id, "resolved")
    move(client, friction.id, "on_agenda", reason="")
    assert emitted == []
    assert db.session.scalar(select(func.count()).select_from(PostRevision)
                             .where(PostRevision.post_id == friction.id)) == 1


@pytest.mark.search
def test_search_is_reindexed_after_a_change(client, auth, coordinator, friction):
    def found(status):
        data = client.get(f"/api/v1/search?status={status}").get_json()
        return [item["id"] for item in data["items"]]

    assert found("raised") == [friction.id]
    assert found("on_agenda") == []
    auth.login(coordinator)
    move(client, friction.id, "on_agenda")
    assert found("on_agenda") == [friction.id]
    assert found("raised") == []


# -- the post page and the edit form ---------------------------------------------------------

def test_members_see_the_status_but_no_form(client, auth, create_user, friction, coordinator):
    friction.owner = coordinator
    friction.created_at = utcnow() - timedelta(days=12, hours=1)
    db.session.commit()
    auth.login(create_user("Mo Lid"))
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    panel = html.split('id="change-status"')[1].split("</section>")[0]
    assert 'class="status status-raised"' in panel
    assert f'href="/leden/{coordinator.id}"' in panel or "Coby Coördinator" in panel
    assert 'data-days="12"' in panel
    assert 'id="status-form"' not in html


def test_coordinators_get_the_form(client, auth, coordinator, friction):
    auth.login(coordinator)
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    form = html.split('id="status-form"')[1].split("</form>")[0]
    assert f'action="/posts/{friction.id}/status"' in html.split('id="status-form"')[1]
    for name in ('name="to_status"', 'name="reason"', 'name="owner"', 'name="resolution_note"',
                 'id="status-submit"'):
        assert name in form, name


def test_other_kinds_have_no_status_panel(client, auth, coordinator, create_post, author):
    lesson = create_post(author, kind="lesson", statement="Ken je wijk")
    auth.login(coordinator)
    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    assert 'id="change-status"' not in html and "timeline-event" not in html


def test_days_open_stop_when_closed(client, auth, coordinator, friction):
    now = utcnow()
    friction.created_at = now - timedelta(days=10, hours=1)
    friction.change_status = "resolved"
    db.session.add_all([
        StatusChange(post=friction, actor=coordinator, from_status="raised",
                     to_status="on_agenda", reason="a", created_at=now - timedelta(days=8)),
        StatusChange(post=friction, actor=coordinator, from_status="on_agenda",
                     to_status="being_addressed", reason="b", created_at=now - timedelta(days=7)),
        StatusChange(post=friction, actor=coordinator, from_status="being_addressed",
                     to_status="resolved", reason="c", created_at=now - timedelta(days=4)),
    ])
    db.session.commit()
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    assert 'data-days="6"' in html


def test_frictions_start_raised_and_the_edit_form_has_no_status(client, auth, coordinator):
    auth.login(coordinator)
    html = client.get("/posts/nieuw/frictie").get_data(as_text=True)
    assert 'name="change_status"' not in html
    response = client.post("/posts/nieuw/frictie", data={
        "title": "Geen vervoer naar de dagbesteding", "body": "Tekst", "tags": "vervoer",
        "visibility": "public", "obstacle_type": "funding", "change_status": "resolved"})
    assert response.status_code == 302
    post = db.session.scalars(select(Post)).one()
    assert post.change_status == "raised"
    html = client.get(f"/posts/{post.id}/bewerken").get_data(as_text=True)
    assert 'name="change_status"' not in html and 'name="resolution_note"' in html
    response = client.post(f"/posts/{post.id}/bewerken", data={
        "title": "Geen vervoer", "body": "Tekst", "tags": "vervoer", "visibility": "public",
        "obstacle_type": "funding", "change_status": "resolved"})
    assert response.status_code == 302
    assert db.session.get(Post, post.id).change_status == "raised"


# -- timeline events in the thread -----------------------------------------------------------

def test_the_timeline_event_sits_between_the_comments_by_time(client, auth, coordinator,
                                                                create_user, create_comment,
                                                                friction):
    resident = create_user("Bram Bewoner", kind="resident")
    first = create_comment(friction, resident, "Bij ons ook, drie keer een indicatie.")
    reply = create_comment(friction, coordinator, "Ik neem het mee.", parent=first)
    first.created_at = utcnow() - timedelta(hours=2)
    reply.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    auth.login(coordinator)
    move(client, friction.id, "on_agenda", reason="Op de agenda van het wijkoverleg <maart>.")
    later = create_comment(friction, resident, "Dank je, ik ben benieuwd.")
    (change,) = changes_of(friction.id)

    auth.logout()
    auth.login(resident)
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    thread = html.split('id="reacties"')[1]
    positions = [thread.index(f'id="reactie-{first.id}"'), thread.index(f'id="reactie-{reply.id}"'),
                 thread.index(f'id="status-change-{change.id}"'),
                 thread.index(f'id="reactie-{later.id}"')]
    assert positions == sorted(positions)
    event = thread.split(f'id="status-change-{change.id}"')[1].split("</article>")[0]
    assert 'class="status status-raised"' in event and 'class="status status-on_agenda"' in event
    assert "Op de agenda van het wijkoverleg &lt;maart&gt;." in event
    assert "Coby Coördinator" in event
    assert re.search(r'<time datetime="[^"]+">', event)
    assert 'class="timeline-event"' in thread.split(f'id="status-change-{change.id}"')[0][-80:]
    # The comments' own markup is intact: the reply is nested under its comment.
    assert re.search(rf'<li>\s*<article class="comment" id="reactie-{first.id}"[^>]*>', thread)
    nested = thread.split(f'id="reactie-{first.id}"')[1].split(f'id="status-change-{change.id}"')[0]
    assert '<ul class="thread">' in nested and f'id="reactie-{reply.id}"' in nested
    # The heading still counts comments only.
    assert 'data-count="3"' in html


def test_timeline_events_show_without_comments(client, auth, coordinator, friction):
    auth.login(coordinator)
    move(client, friction.id, "on_agenda")
    move(client, friction.id, "being_addressed", reason="Team Zuid pakt het op.")
    first, second = changes_of(friction.id)
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    thread = html.split('id="reacties"')[1]
    assert thread.index(f'id="status-change-{first.id}"') < thread.index(
        f'id="status-change-{second.id}"')
    assert 'class="empty"' in thread


def test_the_post_page_queries_do_not_grow_with_timeline_events(client, auth, coordinator,
                                                                 friction, create_comment):
    from tests.helpers import queries_for

    auth.login(coordinator)
    move(client, friction.id, "on_agenda")
    create_comment(friction, coordinator, "Eerste")
    few = queries_for(client, f"/posts/{friction.id}")
    for status in ("being_addressed", "on_agenda", "being_addressed", "resolved"):
        move(client, friction.id, status)
        create_comment(friction, coordinator, f"Over {status}")
    assert queries_for(client, f"/posts/{friction.id}") == few
