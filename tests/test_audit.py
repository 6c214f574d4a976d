"""The audit log: a row for every coordinator and admin action (through the events or a
direct `record`), and the admins' page with its permissions, filters and pagination."""

from __future__ import annotations

import re

from sqlalchemy import select

from learncom import events
from learncom.audit import services
from learncom.audit.models import AuditEvent
from learncom.audit.services import record
from learncom.bundles.models import BundleItem
from learncom.curation import services as curation
from learncom.extensions import db
from learncom.frictions import services as frictions
from learncom.posts import services as post_services
from tests.helpers import queries_for


def rows(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def event_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="audit-event" id="audit-(\d+)"', html)]



# -- rows per event ------------------------------------------------------------------------------

def test_friction_status_change_is_logged(people, create_post):
    friction = create_post(people["member"], kind="friction", title="Wachtlijst schuldhulp")
    frictions.change_status(friction, people["coordinator"], "on_agenda", "Op de agenda van mei")
    db.session.commit()
    [row] = rows("friction.status_changed")
    assert (row.actor_id, row.target_type, row.target_id) == (
        people["coordinator"].id, "posts", friction.id)
    assert row.detail == {"from": "raised", "to": "on_agenda", "reason": "Op de agenda van mei"}


def test_lesson_curation_is_logged(people, create_post):
    lesson = create_post(people["member"], kind="lesson", title="Vraag eerst wat iemand wil",
                         statement="Vraag eerst wat iemand wil.")
    curation.curate(lesson, people["coordinator"], "Sterk onderbouwd")
    db.session.commit()
    [row] = rows("lesson.curated")
    assert (row.actor_id, row.target_type, row.target_id, row.detail) == (
        people["coordinator"].id, "posts", lesson.id, {"note": "Sterk onderbouwd"})


def test_role_and_activation_changes_are_logged(client, auth, people):
    member = people["member"]
    auth.login(people["admin"])
    client.post(f"/beheer/leden/{member.id}/rol", data={"role": "coordinator"})
    client.post(f"/beheer/leden/{member.id}/deactiveren")
    client.post(f"/beheer/leden/{member.id}/activeren")
    logged = [(r.action, r.actor_id, r.target_type, r.target_id, r.detail) for r in rows()]
    admin_id = people["admin"].id
    assert logged == [
        ("member.role_changed", admin_id, "users", member.id,
         {"from": "member", "to": "coordinator"}),
        ("member.deactivated", admin_id, "users", member.id, {}),
        ("member.activated", admin_id, "users", member.id, {}),
    ]


def test_hide_and_restore_events_are_logged(people, create_post, create_comment):
    post = create_post(people["member"])
    comment = create_comment(post, people["member"])
    events.emit("content.hidden", target=comment, actor=people["coordinator"], reason="spam")
    events.emit("content.restored", target=post, actor=people["admin"])
    db.session.commit()
    [hidden] = rows("content.hidden")
    assert (hidden.actor_id, hidden.target_type, hidden.target_id, hidden.detail) == (
        people["coordinator"].id, "comments", comment.id, {"post_id": post.id, "reason": "spam"})
    [restored] = rows("content.restored")
    assert (restored.actor_id, restored.target_type, restored.target_id, restored.detail) == (
        people["admin"].id, "posts", post.id, {})


def test_coordinator_editing_someone_elses_post_is_logged(people, create_post):
    post = create_post(people["member"], title="Eerste titel")

    def edit(editor, title):
        data = post_services.PostInput(kind=post.kind, title=title, body=post.body,
                                       tags=[t.name for t in post.tags],
                                       visibility=post.visibility)
        post_services.update_post(post, editor, data)
        db.session.commit()

    edit(people["member"], "Door de auteur")
    edit(people["coordinator"], "Door de coördinator")
    [row] = rows("post.edited")
    assert (row.actor_id, row.target_id) == (people["coordinator"].id, post.id)
    assert len(rows()) == 1


def test_asking_for_changes_is_logged(client, auth, people, create_post):
    """Issue 13 item 9, the first of four actions the log missed."""
    lesson = create_post(people["member"], kind="lesson", title="Les", statement="Les.")
    auth.login(people["coordinator"])
    client.post(f"/curatie/{lesson.id}/wijzigingen-vragen",
                data={"changes-message": "Kun je de context aanvullen?"})
    [row] = rows("lesson.changes_requested")
    assert (row.actor_id, row.target_type, row.target_id) == (
        people["coordinator"].id, "posts", lesson.id)
    auth.logout()
    auth.login(people["admin"])
    assert "Om wijzigingen gevraagd" in client.get("/beheer/auditlog").get_data(as_text=True)


def test_bundle_item_changes_are_logged(client, auth, people, create_post):
    one = create_post(people["member"], kind="lesson", title="Een", curated=True)
    two = create_post(people["member"], kind="lesson", title="Twee", curated=True)
    auth.login(people["coordinator"])
    client.post("/bundels/nieuw", data={"title": "Raadsavond", "intro": "Voor de raad."})
    for post in (one, two):
        client.post("/bundels/raadsavond/items", data={"add-post": str(post.id)})
    assert [r.detail["post_id"] for r in rows("bundle.item_added")] == [one.id, two.id]
    items = db.session.scalars(select(BundleItem).order_by(BundleItem.position)).all()
    client.post(f"/bundels/raadsavond/items/{items[1].id}/omhoog")
    [moved] = rows("bundle.items_reordered")
    assert moved.detail["order"] == [two.id, one.id]
    client.post(f"/bundels/raadsavond/items/{items[0].id}/verwijderen")
    [removed] = rows("bundle.item_removed")
    assert (removed.actor_id, removed.target_type, removed.detail["post_id"]) == (
        people["coordinator"].id, "bundles", one.id)


def test_a_coordinator_deleting_a_post_is_logged_not_an_author(client, auth, people,
                                                               create_post):
    own = create_post(people["member"], title="Mijn eigen bericht").id
    other = create_post(people["member"], title="Bericht van een ander").id
    auth.login(people["member"])
    client.post(f"/posts/{own}/verwijderen")
    assert rows("post.deleted") == []
    auth.logout()
    auth.login(people["coordinator"])
    client.post(f"/posts/{other}/verwijderen")
    [row] = rows("post.deleted")
    assert (row.actor_id, row.target_id) == (people["coordinator"].id, other)
    assert row.detail == {"title": "Bericht van een ander", "kind": "experiment",
                          "author": people["member"].name}


def test_create_admin_is_logged(runner, people):
    result = runner.invoke(args=["learncom", "create-admin", "--email", "nieuw@example.org",
                                 "--name", "Nieuwe Beheerder", "--password", "lang genoeg 123"])
    assert result.exit_code == 0, result.output
    [created] = rows("member.created")
    assert (created.actor_id, created.target_type, created.detail) == (
        None, "users", {"to": "admin"})
    people["member"].active = False
    db.session.commit()
    runner.invoke(args=["learncom", "create-admin", "--email", people["member"].email,
                        "--name", "x", "--password", "lang genoeg 123"])
    [promoted] = rows("member.role_changed")
    assert (promoted.actor_id, promoted.target_id, promoted.detail) == (
        None, people["member"].id, {"from": "member", "to": "admin"})
    assert [r.target_id for r in rows("member.activated")] == [people["member"].id]


def test_a_rolled_back_action_leaves_no_row(people):
    record(people["admin"], "member.role_changed", people["member"], {"from": "a", "to": "b"})
    db.session.rollback()
    assert rows() == []


# -- the page --------------------------------------------------------------------------------------

def test_only_admins_see_the_log(client, auth, people):
    response = client.get("/beheer/auditlog")
    assert response.status_code == 302 and "/account/inloggen" in response.headers["Location"]
    for name in ("member", "coordinator"):
        auth.login(people[name])
        assert client.get("/beheer/auditlog").status_code == 403
        assert 'id="nav-audit"' not in client.get("/").get_data(as_text=True)
        auth.logout()
    auth.login(people["admin"])
    response = client.get("/beheer/auditlog")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="audit-empty"' in html and 'id="nav-audit"' in html


def test_page_shows_rows_newest_first_with_labels_targets_and_detail(
        client, auth, people, create_post, create_comment, create_user):
    coordinator, admin = people["coordinator"], people["admin"]
    friction = create_post(people["member"], kind="friction", title="Wachtlijst schuldhulp")
    outsider_team = create_user("Teamlid", teams=["Team Noord"])
    secret = create_post(outsider_team, title="GEHEIM-TEAMVERSLAG", visibility="team",
                         team="Team Noord")
    gone = create_post(people["member"], title="Verdwenen post")
    comment = create_comment(friction, people["member"])
    first = record(coordinator, "friction.status_changed", friction,
                   {"from": "raised", "to": "on_agenda", "reason": "Besproken"})
    second = record(coordinator, "content.hidden", comment,
                    {"post_id": friction.id, "reason": "personal_data, spam"})
    third = record(coordinator, "post.promoted", secret, {"kind": "lesson",
                                                         "source_post": friction.id})
    fourth = record(coordinator, "content.restored", gone)
    fifth = record(admin, "member.role_changed", people["member"],
                   {"from": "member", "to": "coordinator"})
    sixth = record(None, "bundle.archived_for_good", None, {"title": "Raadsvergadering"})
    post_services.delete_post(gone)
    db.session.commit()

    auth.login(admin)
    client.post("/taal", data={"locale": "en"})
    html = client.get("/beheer/auditlog").get_data(as_text=True)
    assert event_ids(html) == [e.id for e in (sixth, fifth, fourth, third, second, first)]

    def row(event) -> str:
        return re.search(rf'id="audit-{event.id}".*?</tr>', html, re.S).group(0)

    assert "Friction status changed" in row(first)
    assert f'href="/posts/{friction.id}">Wachtlijst schuldhulp</a>' in row(first)
    assert "Raised" in row(first) and "On the agenda" in row(first) and "Besproken" in row(first)
    assert f'href="/posts/{friction.id}#reactie-{comment.id}"' in row(second)
    assert "Personal data or client information, Spam or advertising" in row(second)
    # A team post the admin cannot see: no title and no link; the linked source post does link.
    assert "GEHEIM" not in html and f'href="/posts/{secret.id}"' not in html
    assert f"Post #{secret.id}" in row(third) and "Lesson" in row(third)
    assert f'href="/posts/{friction.id}"' in row(third)
    # A deleted target: no link.
    assert f"Post #{gone.id}" in row(fourth) and f'href="/posts/{gone.id}"' not in html
    assert f'href="/leden/{people["member"].id}">Mira Lid</a>' in row(fifth)
    assert "Member" in row(fifth) and "Coordinator" in row(fifth)
    # An action without a label still reads well; no actor means the system.
    assert "Bundle: archived for good" in row(sixth) and "the system" in row(sixth)
    assert "Raadsvergadering" in row(sixth)


def test_filters_and_pagination(client, auth, people, create_post):
    coordinator, admin = people["coordinator"], people["admin"]
    post = create_post(people["member"])
    hidden = [record(coordinator, "content.hidden", post) for _ in range(22)]
    restored = record(admin, "content.restored", post)
    roles = record(admin, "member.role_changed", people["member"], {"from": "member",
                                                                   "to": "admin"})
    db.session.commit()
    auth.login(admin)

    first = client.get("/beheer/auditlog").get_data(as_text=True)
    assert len(event_ids(first)) == 20
    assert event_ids(first)[:2] == [roles.id, restored.id]
    assert 'rel="next" href="/beheer/auditlog?page=2"' in first
    second = client.get("/beheer/auditlog?page=2").get_data(as_text=True)
    assert event_ids(second) == [h.id for h in hidden[:4]][::-1]

    by_action = client.get("/beheer/auditlog?action=content.restored").get_data(as_text=True)
    assert event_ids(by_action) == [restored.id]
    assert '<option value="content.restored" selected>' in by_action
    by_actor = client.get(f"/beheer/auditlog?actor={admin.id}").get_data(as_text=True)
    assert event_ids(by_actor) == [roles.id, restored.id]
    assert f'<option value="{admin.id}" selected>' in by_actor
    both = client.get(f"/beheer/auditlog?actor={coordinator.id}&action=content.hidden&page=2")
    assert event_ids(both.get_data(as_text=True)) == [h.id for h in hidden[:2]][::-1]
    none = client.get(f"/beheer/auditlog?actor={coordinator.id}&action=member.role_changed")
    assert event_ids(none.get_data(as_text=True)) == []

    # Bad filter values are ignored; nothing fails.
    for query in ("action=bogus", "actor=abc", f"actor={people['member'].id}", "actor=-1",
                  "actor=99999999999999999999", "page=x", "page=999", "action=%00"):
        response = client.get(f"/beheer/auditlog?{query}")
        assert response.status_code == 200, query
    assert len(event_ids(client.get("/beheer/auditlog?action=bogus&actor=abc").get_data(True))) \
        == 20


def test_page_queries_do_not_grow_with_rows(client, auth, people, create_post, create_comment):
    def add_rows():
        post = create_post(people["member"])
        comment = create_comment(post, people["member"])
        record(people["coordinator"], "content.hidden", comment, {"post_id": post.id})
        record(people["coordinator"], "post.promoted", post, {"source_post": post.id})
        record(people["admin"], "member.role_changed", people["member"], {"from": "member",
                                                                         "to": "admin"})
        db.session.commit()

    add_rows()
    auth.login(people["admin"])
    few = queries_for(client, "/beheer/auditlog")
    for _ in range(5):
        add_rows()
    assert queries_for(client, "/beheer/auditlog") == few


def test_action_label_reads_unknown_actions():
    assert services.action_label("bundle.archived_for_good") == "Bundle: archived for good"
    assert services.action_label("odd") == "Odd"
    assert str(services.ACTION_LABELS["content.hidden"]) == services.action_label(
        "content.hidden")


def test_team_actions_are_logged(client, auth, people):
    auth.login(people["coordinator"])
    client.post("/teams", data={"name": "Wijkteam Zuilen", "description": ""})
    client.post("/teams/wijkteam-zuilen/leden", data={"member": people["member"].name})
    client.post(f"/teams/wijkteam-zuilen/leden/{people['member'].id}/verwijderen")
    logged = [(r.action, r.actor_id, r.target_type, r.detail) for r in rows()]
    coordinator_id = people["coordinator"].id
    assert logged == [
        ("team.created", coordinator_id, "teams", {"team": "Wijkteam Zuilen"}),
        ("team.member_added", coordinator_id, "teams", {"member": "Mira Lid"}),
        ("team.member_removed", coordinator_id, "teams", {"member": "Mira Lid"}),
    ]
    auth.logout()
    auth.login(people["admin"])
    html = client.get("/beheer/auditlog").get_data(as_text=True)
    assert html.count('href="/teams/wijkteam-zuilen"') == 3
