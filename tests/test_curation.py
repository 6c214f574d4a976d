"""Lesson curation: the queue, marking curated (fields, event, search), undoing it, asking for
changes, the curated mark on the lesson page, featured lessons on the home page and the
coordinator's navigation entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from learncom import events
from learncom.audit.models import AuditEvent
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Post
from learncom.search.models import IndexQueue
from tests.helpers import counted, elements, queries_for

ACTORS = ("anonymous", "member", "coordinator", "admin")




def lesson(create_post, author, title="Een les", **kw):
    kw.setdefault("statement", f"{title}: wat we leerden.")
    kw.setdefault("tags", ["leren"])
    return create_post(author, kind="lesson", title=title, **kw)


@pytest.fixture
def recorder():
    """Records `lesson.curated` events; the subscriber is removed after the test."""
    seen: list[dict] = []

    def record(**kwargs):
        seen.append(kwargs)

    events.subscribe("lesson.curated")(record)
    yield seen
    events.unsubscribe("lesson.curated", record)


# -- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403),
                                         ("coordinator", 200), ("admin", 200)])
def test_queue_is_for_coordinators(client, auth, login_as, people, who, status):
    login_as(who)
    response = client.get("/curatie")
    assert response.status_code == status
    if status == 302:
        assert "/account/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403),
                                         ("coordinator", 302), ("admin", 302)])
def test_curate_permissions(client, auth, login_as, people, create_post, who, status):
    post = lesson(create_post, people["author"])
    login_as(who)
    response = client.post(f"/curatie/{post.id}/cureren", data={"curate-note": "Goed"})
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Post, post.id).curated is (who in ("coordinator", "admin"))


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403),
                                         ("coordinator", 200), ("admin", 200)])
def test_curation_page_permissions(client, auth, login_as, people, create_post, who, status):
    post = lesson(create_post, people["author"])
    login_as(who)
    assert client.get(f"/curatie/{post.id}").status_code == status


@pytest.mark.parametrize("action", ["cureren", "ongedaan-maken", "wijzigingen-vragen"])
def test_member_cannot_use_any_curation_action(client, auth, people, create_post, action):
    post = lesson(create_post, people["author"], curated=True)
    auth.login(people["author"])
    response = client.post(f"/curatie/{post.id}/{action}", data={"changes-message": "Nee"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Post, post.id).curated is True
    assert db.session.scalar(select(Comment.id)) is None


def test_curation_answers_404_for_missing_invisible_and_non_lessons(
        client, auth, people, create_post):
    team_lesson = lesson(create_post, people["author"], visibility="team", team="Team Noord")
    experiment = create_post(people["author"], title="Geen les")
    auth.login(people["coordinator"])
    for url in (f"/curatie/{team_lesson.id}", f"/curatie/{experiment.id}", "/curatie/999999",
                f"/curatie/{2**40}"):
        assert client.get(url).status_code == 404, url
    for action in ("cureren", "ongedaan-maken", "wijzigingen-vragen"):
        assert client.post(f"/curatie/{team_lesson.id}/{action}").status_code == 404
        assert client.post(f"/curatie/{experiment.id}/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Post, team_lesson.id).curated is False


# -- curating ----------------------------------------------------------------------------------

def test_curating_sets_fields_and_emits(client, auth, people, create_post, recorder):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    response = client.post(f"/curatie/{post.id}/cureren",
                           data={"curate-note": "  Sterk onderbouwd.  "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}#curation")
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.curated is True
    assert post.curation_note == "Sterk onderbouwd."
    assert post.curated_by_id == people["coordinator"].id
    assert post.curated_at is not None
    assert abs(post.curated_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert len(recorder) == 1
    assert recorder[0]["post"].id == post.id
    assert recorder[0]["actor"].id == people["coordinator"].id
    assert recorder[0]["note"] == "Sterk onderbouwd."


def test_curation_is_not_searched_so_the_index_is_left_alone(app, people, create_post,
                                                             recorder):
    """What a lesson's search document holds does not change with curation, so the session
    listener queues nothing (it used to be re-indexed for nothing)."""
    from learncom.curation import services
    from learncom.search import documents

    app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False  # queued rows stay where we can see them
    post = lesson(create_post, people["author"])
    before = documents.documents_for(db.session, [post.id])[post.id].fingerprint
    db.session.execute(IndexQueue.__table__.delete())
    services.curate(post, people["coordinator"], None)
    db.session.commit()
    assert recorder[0]["note"] is None
    assert db.session.scalars(select(IndexQueue.post_id)).all() == []
    services.uncurate(db.session.get(Post, post.id), people["coordinator"])
    db.session.commit()
    assert db.session.scalars(select(IndexQueue.post_id)).all() == []
    db.session.expire_all()
    assert documents.documents_for(db.session, [post.id])[post.id].fingerprint == before


def test_curating_again_updates_the_note_without_a_second_event(
        client, auth, people, create_post, recorder):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    client.post(f"/curatie/{post.id}/cureren", data={"curate-note": "Eerste"})
    client.post(f"/curatie/{post.id}/cureren", data={"curate-note": ""})
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.curated is True and post.curation_note is None
    assert len(recorder) == 1


def test_a_too_long_note_rerenders_with_the_input(client, auth, people, create_post, recorder):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    note = "lang " * 500
    response = client.post(f"/curatie/{post.id}/cureren", data={"curate-note": note})
    assert response.status_code == 200
    page = elements(response)
    assert page.find("textarea", id="curate-note", **{"aria-invalid": "true"})
    assert note.strip() in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).curated is False
    assert recorder == []


def test_undo_curation_clears_fields_and_returns_to_queue(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    client.post(f"/curatie/{post.id}/cureren", data={"curate-note": "Goed"})
    response = client.post(f"/curatie/{post.id}/ongedaan-maken")
    assert response.status_code == 302
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert (post.curated, post.curated_at, post.curated_by_id, post.curation_note) == (
        False, None, None, None)
    assert f'data-post-id="{post.id}"' in client.get("/curatie").get_data(as_text=True)
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "lesson.uncurated")).all()
    assert [(a.target_id, a.actor_id) for a in audit] == [(post.id, people["coordinator"].id)]


def test_undo_of_an_uncurated_lesson_changes_nothing(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    assert client.post(f"/curatie/{post.id}/ongedaan-maken").status_code == 302
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_redirect_after_curating_only_goes_to_this_site(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    response = client.post(f"/curatie/{post.id}/cureren",
                           data={"next": "https://evil.example/", "curate-note": ""})
    assert response.headers["Location"].endswith(f"/posts/{post.id}#curation")
    other = lesson(create_post, people["author"], title="Tweede")
    response = client.post(f"/curatie/{other.id}/cureren", data={"next": "/curatie"})
    assert response.headers["Location"].endswith("/curatie")


def test_asking_for_changes_posts_a_comment_and_keeps_the_lesson_queued(
        client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    response = client.post(f"/curatie/{post.id}/wijzigingen-vragen",
                           data={"changes-message": "Kun je de context aanvullen?"})
    comment = db.session.scalars(select(Comment)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}#reactie-{comment.id}")
    assert (comment.post_id, comment.author_id, comment.body) == (
        post.id, people["coordinator"].id, "Kun je de context aanvullen?")
    db.session.expire_all()
    assert db.session.get(Post, post.id).curated is False
    assert f'data-post-id="{post.id}"' in client.get("/curatie").get_data(as_text=True)


def test_asking_for_changes_needs_a_text(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    response = client.post(f"/curatie/{post.id}/wijzigingen-vragen",
                           data={"changes-message": "   "})
    assert response.status_code == 200
    assert elements(response).find("textarea", id="changes-message",
                                   **{"aria-invalid": "true"})
    assert db.session.scalar(select(Comment.id)) is None


# -- the queue ---------------------------------------------------------------------------------

def test_queue_lists_uncurated_visible_unhidden_lessons_oldest_first(
        client, auth, people, create_post):
    now = datetime.now(UTC)
    newer = lesson(create_post, people["author"], title="Nieuwer", created_at=now)
    older = lesson(create_post, people["author"], title="Ouder",
                   created_at=now - timedelta(days=3))
    lesson(create_post, people["author"], title="Al gecureerd", curated=True)
    create_post(people["author"], title="Een experiment")
    hidden = lesson(create_post, people["author"], title="Verborgen")
    hidden.hidden_at = now
    team_only = lesson(create_post, people["author"], title="Teamles", visibility="team",
                       team="Team Noord")
    db.session.commit()
    auth.login(people["coordinator"])
    response = client.get("/curatie")
    html = response.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'data-post-id="(\d+)"', html)]
    assert ids == [older.id, newer.id]
    assert hidden.id not in ids and team_only.id not in ids
    page = elements(response)
    assert page.find("a", class_="queue-curate", href=f"/curatie/{older.id}")
    assert page.find("a", href=f"/posts/{older.id}")
    assert 'id="queue-size"' in html


def test_queue_paginates_and_queries_do_not_grow(client, auth, people, create_post):
    for n in range(3):
        lesson(create_post, people["author"], title=f"Les {n}")
    auth.login(people["coordinator"])
    few = queries_for(client, "/curatie")
    for n in range(3, 25):
        lesson(create_post, people["author"], title=f"Les {n}", tags=[f"tag{n}"])
    many = queries_for(client, "/curatie")
    assert many == few
    html = client.get("/curatie?page=2").get_data(as_text=True)
    assert len(re.findall(r'data-post-id="(\d+)"', html)) == 5
    assert client.get("/curatie?page=abc").status_code == 200


def test_empty_queue(client, auth, people):
    auth.login(people["coordinator"])
    response = client.get("/curatie")
    assert response.status_code == 200
    assert elements(response).find("p", class_="empty")


# -- the lesson page ---------------------------------------------------------------------------

def test_curated_lesson_shows_mark_note_and_curator_to_everyone(
        client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["coordinator"])
    client.post(f"/curatie/{post.id}/cureren", data={"curate-note": "Lees dit <b>nu</b>"})
    auth.logout()
    response = client.get(f"/posts/{post.id}")
    html = response.get_data(as_text=True)
    page = elements(response)
    assert page.find("section", id="curation-mark")
    assert page.find("blockquote", class_="curation-note")
    assert "Lees dit &lt;b&gt;nu&lt;/b&gt;" in html
    # The curator is named; their member page is linked only for those who may see it.
    assert people["coordinator"].name in html
    assert not page.find("a", href=f"/leden/{people['coordinator'].id}")
    # The coordinator forms are not there for visitors.
    assert not page.find("form", id="curate-form")
    assert not page.find("form", id="request-changes-form")


def test_coordinator_sees_curation_forms_on_lessons_only(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    experiment = create_post(people["author"], title="Experiment")
    auth.login(people["coordinator"])
    page = elements(client.get(f"/posts/{post.id}"))
    assert page.find("form", id="curate-form", action=f"/curatie/{post.id}/cureren")
    assert page.find("form", id="request-changes-form",
                     action=f"/curatie/{post.id}/wijzigingen-vragen")
    assert not page.find("form", action=f"/curatie/{post.id}/ongedaan-maken")
    assert not page.find("section", id="curation-mark")
    client.post(f"/curatie/{post.id}/cureren")
    page = elements(client.get(f"/posts/{post.id}"))
    assert page.find("form", action=f"/curatie/{post.id}/ongedaan-maken")
    assert page.find("section", id="curation-mark")
    assert not elements(client.get(f"/posts/{experiment.id}")).find("form", id="curate-form")


def test_member_sees_no_curation_forms(client, auth, people, create_post):
    post = lesson(create_post, people["author"])
    auth.login(people["author"])
    page = elements(client.get(f"/posts/{post.id}"))
    assert not page.find("form", id="curate-form")
    assert not page.find("section", id="curation")


# -- featured on the home page -----------------------------------------------------------------

def _curate(post, coordinator, when):
    post.curated = True
    post.curated_by_id = coordinator.id
    post.curated_at = when
    db.session.commit()


def test_home_features_curated_lessons_newest_curated_first(client, people, create_post):
    now = datetime.now(UTC)
    lessons = [lesson(create_post, people["author"], title=f"Les {n}") for n in range(8)]
    for n, post in enumerate(lessons):
        _curate(post, people["coordinator"], now - timedelta(days=n))
    uncurated = lesson(create_post, people["author"], title="Niet gecureerd")
    hidden = lesson(create_post, people["author"], title="Verborgen")
    _curate(hidden, people["coordinator"], now + timedelta(days=1))
    hidden.hidden_at = now
    members_only = lesson(create_post, people["author"], title="Leden", visibility="members")
    _curate(members_only, people["coordinator"], now + timedelta(days=2))
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    section = html.split('id="featured-lessons"', 1)[1].split("</section>", 1)[0]
    shown = [int(i) for i in re.findall(r'href="/posts/(\d+)"', section)]
    assert shown == [p.id for p in lessons[:6]]
    assert uncurated.id not in shown and hidden.id not in shown
    # A member sees the members-only lesson first; a coordinator never sees hidden ones here.
    from tests.conftest import AuthActions

    AuthActions(client).login(people["coordinator"])
    html = client.get("/").get_data(as_text=True)
    section = html.split('id="featured-lessons"', 1)[1].split("</section>", 1)[0]
    shown = [int(i) for i in re.findall(r'href="/posts/(\d+)"', section)]
    assert shown[0] == members_only.id and hidden.id not in shown and len(shown) == 6


def test_home_without_curated_lessons_has_no_featured_section(client, people, create_post):
    lesson(create_post, people["author"])
    assert 'id="featured-lessons"' not in client.get("/").get_data(as_text=True)


def test_featured_lessons_cost_the_same_for_six_as_for_one(client, people, create_post):
    post = lesson(create_post, people["author"], title="Eerste", neighbourhood="Wijk")
    _curate(post, people["coordinator"], datetime.now(UTC))
    one = queries_for(client, "/")
    for n in range(6):
        extra = lesson(create_post, people["author"], title=f"Les {n}", tags=[f"t{n}"],
                       neighbourhood=f"Wijk {n}")
        _curate(extra, people["coordinator"], datetime.now(UTC))
    assert queries_for(client, "/") == one


# -- navigation --------------------------------------------------------------------------------

def test_nav_shows_queue_size_to_coordinators_only(client, auth, people, create_post):
    lesson(create_post, people["author"], title="Een")
    lesson(create_post, people["author"], title="Twee")
    lesson(create_post, people["author"], title="Drie", curated=True)
    assert 'id="nav-curation"' not in client.get("/").get_data(as_text=True)
    auth.login(people["member"])
    assert 'id="nav-curation"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(people["coordinator"])
    html = client.get("/lessen").get_data(as_text=True)
    assert 'id="nav-curation" href="/curatie"' in html
    assert 'data-count="2"' in html
    # Issue 13 item 7: read as "Curatie, 2 lessen wachten" (no stray space, the right plural).
    assert '<span aria-hidden="true">(2)</span><span class="visually-hidden">2 lessen wachten' \
        '</span>' in html
    lesson(create_post, people["author"], title="Vier", curated=True)
    db.session.execute(update(Post).where(Post.title == "Twee").values(curated=True))
    db.session.commit()
    assert '<span class="visually-hidden">1 les wacht</span>' in client.get("/lessen").text


def test_nav_count_is_one_query_for_coordinators_and_none_for_others(
        client, auth, people, create_post):
    lesson(create_post, people["author"])

    def queue_counts() -> int:
        with counted() as statements:
            assert client.get("/tags").status_code == 200
        return len([s for s in statements if "count(" in s.lower()
                    and "posts.curated" in s.lower()])

    assert queue_counts() == 0
    auth.login(people["member"])
    assert queue_counts() == 0
    auth.logout()
    auth.login(people["coordinator"])
    assert queue_counts() == 1
