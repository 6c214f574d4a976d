"""Drafts (issue 13 item 16): a member saves any post as a draft, finds it at /mijn/concepten and
publishes it later. Until then it is in no list, count, feed, API answer, search result,
notification or follow, and only its author opens it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from learncom.extensions import db
from learncom.follow.models import Follow, Notification
from learncom.posts.models import Post
from learncom.search.whoosh import queue

SECRET = "Wijkpaspoortregeling"


def experiment_form(**extra) -> dict:
    data = {"title": f"{SECRET} voor nieuwe bewoners", "body": "Een concept.",
            "tags": "onboarding, wijkpas", "visibility": "public", "neighbourhood": "",
            "status": "idea", "evidence_level": "described"}
    data.update(extra)
    return data


@pytest.fixture
def draft(client, auth, people):
    """A draft saved through the form by its author, who is then logged out."""
    auth.login(people["author"])
    response = client.post("/posts/nieuw/experiment",
                           data=experiment_form(action="draft"))
    post = db.session.scalars(select(Post)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}")
    auth.logout()
    return post


def notifications() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0


def test_saving_a_draft_publishes_nothing(client, auth, people, draft):
    assert draft.is_draft and not draft.shared_with_coordinators
    # Nobody followed anything: no automatic follow for the author yet.
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0

    auth.login(people["author"])
    page = client.get(f"/posts/{draft.id}").get_data(as_text=True)
    assert 'id="draft-notice"' in page and 'id="publish-form"' in page
    assert 'id="reacties"' not in page  # no discussion on a draft
    listing = client.get("/mijn/concepten").get_data(as_text=True)
    assert f'id="draft-{draft.id}"' in listing and SECRET in listing
    # Not in the author's own lists either: a draft lives at /mijn/concepten only.
    for url in ("/", "/experimenten", "/tags/wijkpas", f"/leden/{people['author'].id}",
                "/api/v1/posts", "/tags"):
        assert SECRET not in client.get(url).get_data(as_text=True), url
    assert "wijkpas" not in client.get("/tags").get_data(as_text=True)
    auth.logout()

    for who in ("member", "teammate", "coordinator"):
        auth.login(people[who])
        for url in (f"/posts/{draft.id}", f"/posts/{draft.id}/bewerken",
                    f"/posts/{draft.id}/geschiedenis", f"/api/v1/posts/{draft.id}"):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(f"/posts/{draft.id}/publiceren").status_code == 404, who
        assert SECRET not in client.get("/mijn/concepten").get_data(as_text=True), who
        auth.logout()
    assert client.get(f"/posts/{draft.id}").status_code == 404
    assert SECRET not in client.get("/feeds/alles.atom").get_data(as_text=True)


def test_nothing_can_be_done_with_a_draft_but_finish_it(client, auth, people, draft):
    auth.login(people["author"])
    for url, data in ((f"/posts/{draft.id}/reacties", {"body": "Eerste reactie"}),
                      (f"/posts/{draft.id}/herkenbaar", {}),
                      (f"/volgen/post/{draft.id}", {}),
                      (f"/posts/{draft.id}/melden", {"reason": "spam"})):
        assert client.post(url, data=data).status_code == 404, url
    # But it is the author's own: log entries and links are part of writing it.
    assert client.post(f"/posts/{draft.id}/logboek",
                       data={"log-date": "2026-01-05", "log-text": "Opzet klaar."}
                       ).status_code == 302


def test_a_tag_follower_hears_of_it_when_it_is_published(client, auth, people, draft,
                                                          create_post):
    # A tag is followable once a post the member can see carries it (no oracle for drafts).
    create_post(people["coordinator"], title="Eerder over de wijkpas", tags=("wijkpas",))
    auth.login(people["member"])
    assert client.post("/volgen/tag/wijkpas").status_code == 302
    auth.logout()
    assert notifications() == 0

    auth.login(people["author"])
    response = client.post(f"/posts/{draft.id}/bewerken",
                           data=experiment_form(body="Nu af.", action="draft"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, draft.id).is_draft and notifications() == 0

    before = datetime.now(UTC)
    client.post(f"/posts/{draft.id}/publiceren")
    db.session.expire_all()
    post = db.session.get(Post, draft.id)
    assert not post.is_draft
    # Its date is the day readers first saw it, and it is not marked "edited".
    assert post.created_at == post.published_at >= before
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'class="edited"' not in html and 'id="draft-notice"' not in html
    assert f'id="draft-{post.id}"' not in client.get("/mijn/concepten").get_data(as_text=True)
    # The author now follows it, the tag follower is told, and everyone sees it.
    assert db.session.scalar(select(Follow.active).where(
        Follow.user_id == people["author"].id, Follow.post_id == post.id)) is True
    assert db.session.scalar(select(Notification.user_id)) == people["member"].id
    auth.logout()
    assert SECRET in client.get("/experimenten").get_data(as_text=True)
    assert SECRET in client.get("/feeds/alles.atom").get_data(as_text=True)
    assert client.get(f"/api/v1/posts/{post.id}").status_code == 200


def test_publishing_from_the_edit_form(client, auth, people, draft):
    auth.login(people["author"])
    form = client.get(f"/posts/{draft.id}/bewerken").get_data(as_text=True)
    assert 'name="action" value="publish"' in form and 'id="save-draft"' in form
    client.post(f"/posts/{draft.id}/bewerken", data=experiment_form(action="publish"))
    db.session.expire_all()
    assert not db.session.get(Post, draft.id).is_draft
    # A published post's form only saves changes: no way back to a draft.
    form = client.get(f"/posts/{draft.id}/bewerken").get_data(as_text=True)
    assert 'id="save-draft"' not in form


def test_a_new_post_form_offers_both_and_enter_publishes(client, auth, people):
    auth.login(people["author"])
    form = client.get("/posts/nieuw/les").get_data(as_text=True)
    assert form.index('value="publish"') < form.index('id="save-draft"')
    client.post("/posts/nieuw/experiment", data=experiment_form())  # no button named: Enter
    assert not db.session.scalars(select(Post)).one().is_draft


def test_deleting_a_draft(client, auth, people, draft):
    auth.login(people["author"])
    page = client.get(f"/posts/{draft.id}/verwijderen").get_data(as_text=True)
    assert "Dit concept verwijderen?" in page
    response = client.post(f"/posts/{draft.id}/verwijderen")
    assert response.headers["Location"].endswith("/mijn/concepten")
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_drafts_page_needs_a_login(client):
    response = client.get("/mijn/concepten")
    assert response.status_code == 302 and "/account/inloggen" in response.headers["Location"]


@pytest.mark.search
def test_a_draft_is_no_search_result_until_published(client, auth, people, draft):
    queue.drain()
    auth.login(people["author"])
    assert f'href="/posts/{draft.id}"' not in client.get(f"/zoeken?q={SECRET}").get_data(
        as_text=True)
    assert client.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 0
    client.post(f"/posts/{draft.id}/publiceren")
    queue.drain()
    assert client.get(f"/api/v1/search?q={SECRET}").get_json()["total"] == 1


def test_export_and_import_keep_a_draft_a_draft(app, draft):
    from learncom.portability.services import export_lines

    lines = [line for line in export_lines() if '"type": "post"' in line]
    assert len(lines) == 1 and '"draft": true' in lines[0]
