"""The change board at /verandering: every friction the viewer can see, per change status,
filtered by tag, neighbourhood and obstacle type, most felt and longest open first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from learncom import vocab
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.posts.models import Post
from learncom.reactions.models import Reaction
from tests.helpers import queries_for


@pytest.fixture
def member(create_user, auth):
    user = create_user("Mo Lid", email="mo@example.org")
    auth.login(user)
    return user


@pytest.fixture
def coordinator(create_user):
    return create_user("Coby Coördinator", role="coordinator", email="coby@example.org")


@pytest.fixture
def reporter(create_user):
    return create_user("Rita Bewoner", kind="resident", email="rita@example.org")


def recognise(post, users):
    for user in users:
        db.session.add(Reaction(user_id=user.id, post_id=post.id, kind="recognise"))
    db.session.commit()


def card_ids(html: str, status: str) -> list[int]:
    column = html.split(f'id="column-{status}"')[1].split("</section>")[0]
    return [int(n) for n in re.findall(r'id="board-card-(\d+)"', column)]


def all_card_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="board-card-(\d+)"', html)]


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/verandering")
    assert response.status_code == 302
    assert "/account/inloggen" in response.headers["Location"]


def test_the_nav_links_to_the_board_for_members_only(client, create_user, auth):
    assert 'id="nav-change-board"' not in client.get("/").get_data(as_text=True)
    auth.login(create_user("Mo Lid"))
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<a id="nav-change-board" href="/verandering"', html)
    assert 'aria-current="page">' in client.get("/verandering").get_data(as_text=True).split(
        'id="nav-change-board"')[1].split("</a>")[0] + ">"


def test_columns_hold_the_frictions_the_member_can_see(client, member, reporter, create_user,
                                                       create_post):
    raised = create_post(reporter, kind="friction", title="Indicatie per vraag")
    agenda = create_post(reporter, kind="friction", title="Geen vervoer")
    agenda.change_status = "on_agenda"
    closed = create_post(reporter, kind="friction", title="Formulier te lang")
    closed.change_status = "not_resolved"
    team_only = create_post(create_user("Ina", teams=["Wijkteam Zuid"]), kind="friction",
                            title="Intern", visibility="team", team="Wijkteam Zuid")
    experiment = create_post(reporter, kind="experiment", title="Buurtkamer")
    db.session.commit()
    response = client.get("/verandering")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'<section class="board-column" id="column-(\w+)"', html) == list(
        vocab.CHANGE_STATUSES)
    assert card_ids(html, "raised") == [raised.id]
    assert card_ids(html, "on_agenda") == [agenda.id]
    assert card_ids(html, "not_resolved") == [closed.id]
    assert card_ids(html, "being_addressed") == card_ids(html, "resolved") == []
    assert team_only.id not in all_card_ids(html) and experiment.id not in all_card_ids(html)
    card = html.split(f'id="board-card-{raised.id}"')[1].split("</article>")[0]
    assert f'href="/posts/{raised.id}"' in card
    # Members move nothing.
    assert "board-move-form" not in html


def test_cards_show_count_days_owner_tags_and_neighbourhood(client, member, reporter,
                                                            coordinator, create_user,
                                                            create_post):
    friction = create_post(reporter, kind="friction", title="Indicatie per vraag",
                           tags=("indicatie", "jeugd"), neighbourhood="Overvecht",
                           obstacle_type="rule")
    friction.owner = coordinator
    friction.created_at = utcnow() - timedelta(days=9, hours=2)
    db.session.commit()
    recognise(friction, [create_user(f"Lid {n}") for n in range(3)])
    # "useful" reactions and reactions on comments do not count.
    db.session.add(Reaction(user_id=member.id, post_id=friction.id, kind="useful"))
    db.session.commit()
    html = client.get("/verandering").get_data(as_text=True)
    card = html.split(f'id="board-card-{friction.id}"')[0][-200:] + html.split(
        f'id="board-card-{friction.id}"')[1].split("</article>")[0]
    assert 'data-recognised="3"' in card and 'data-days-open="9"' in card
    assert "Coby Coördinator" in card
    assert 'href="/tags/indicatie"' in card and 'href="/tags/jeugd"' in card
    assert "Overvecht" in card


def test_sorted_by_herkenbaar_then_days_open(client, member, reporter, create_user, create_post):
    voters = [create_user(f"Stemmer {n}") for n in range(4)]
    now = utcnow()
    posts = {}
    for name, votes, age in (("twee-oud", 2, 30), ("vier", 4, 1), ("twee-jong", 2, 3),
                             ("nul-oud", 0, 60)):
        post = create_post(reporter, kind="friction", title=name)
        post.created_at = now - timedelta(days=age)
        db.session.commit()
        recognise(post, voters[:votes])
        posts[name] = post.id
    html = client.get("/verandering").get_data(as_text=True)
    assert card_ids(html, "raised") == [posts["vier"], posts["twee-oud"], posts["twee-jong"],
                                        posts["nul-oud"]]


def test_closed_frictions_count_days_until_they_were_closed(client, member, reporter,
                                                            coordinator, create_post):
    friction = create_post(reporter, kind="friction", title="Opgelost")
    now = utcnow()
    friction.created_at = now - timedelta(days=20, hours=1)
    friction.change_status = "resolved"
    db.session.add_all([
        StatusChange(post=friction, actor=coordinator, from_status="being_addressed",
                     to_status="resolved", reason="eerst", created_at=now - timedelta(days=15)),
        StatusChange(post=friction, actor=coordinator, from_status="resolved",
                     to_status="raised", reason="terug", created_at=now - timedelta(days=12)),
        StatusChange(post=friction, actor=coordinator, from_status="being_addressed",
                     to_status="resolved", reason="weer", created_at=now - timedelta(days=5)),
    ])
    db.session.commit()
    html = client.get("/verandering").get_data(as_text=True)
    assert card_ids(html, "resolved") == [friction.id]
    assert 'data-days-open="15"' in html


@pytest.fixture
def three_frictions(reporter, create_post):
    a = create_post(reporter, kind="friction", title="A", tags=("indicatie",),
                    neighbourhood="Overvecht", obstacle_type="rule")
    b = create_post(reporter, kind="friction", title="B", tags=("vervoer",),
                    neighbourhood="Kanaleneiland", obstacle_type="funding")
    c = create_post(reporter, kind="friction", title="C", tags=("indicatie", "vervoer"),
                    obstacle_type="funding")
    return a, b, c


@pytest.mark.parametrize(("query", "expected"), [
    ("tag=indicatie", "ac"),
    ("tag=Indicatie", "ac"),
    ("neighbourhood=overvecht", "a"),
    ("type=funding", "bc"),
    ("tag=vervoer&type=funding", "bc"),
    ("tag=indicatie&type=funding", "c"),
    ("tag=indicatie&neighbourhood=kanaleneiland", ""),
    ("tag=bestaat-niet", ""),
    # Values that match nothing known are ignored.
    ("type=bogus", "abc"),
    ("neighbourhood=nergens", "abc"),
    ("neighbourhood=%00x&type=%00", "abc"),
    ("tag=", "abc"),
    ("page=x&type=", "abc"),
])
def test_filters(client, member, three_frictions, query, expected):
    ids = {name: post.id for name, post in zip("abc", three_frictions, strict=True)}
    response = client.get(f"/verandering?{query}")
    assert response.status_code == 200
    assert sorted(all_card_ids(response.get_data(as_text=True))) == sorted(
        ids[n] for n in expected)


def test_the_filter_form_keeps_its_values(client, member, three_frictions):
    html = client.get("/verandering?tag=indicatie&neighbourhood=overvecht&type=rule").get_data(
        as_text=True)
    assert 'name="tag" value="indicatie"' in html
    assert '<option value="overvecht" selected>' in html
    assert '<option value="rule" selected>' in html


def test_coordinators_move_cards_and_come_back_to_the_board(client, auth, coordinator,
                                                            three_frictions):
    a, _b, _c = three_frictions
    auth.login(coordinator)
    html = client.get("/verandering?tag=indicatie").get_data(as_text=True)
    card = html.split(f'id="board-card-{a.id}"')[1].split("</article>")[0]
    assert f'action="/posts/{a.id}/status"' in card
    assert 'name="next" value="/verandering?tag=indicatie"' in card
    assert re.findall(r'<option value="(\w+)"', card) == ["on_agenda", "not_resolved"]
    assert 'name="reason"' in card and 'name="owner"' not in card
    response = client.post(f"/posts/{a.id}/status", data={
        "to_status": "on_agenda", "reason": "Naar het wijkoverleg",
        "next": "/verandering?tag=indicatie"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verandering?tag=indicatie")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert card_ids(html, "on_agenda") == [a.id]
    # A move without a reason shows the form again, with the way back to the board.
    response = client.post(f"/posts/{a.id}/status", data={
        "to_status": "being_addressed", "reason": "", "next": "/verandering?tag=indicatie"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="reason-error"' in html
    assert re.search(r'name="next"[^>]*value="/verandering\?tag=indicatie"', html)
    assert db.session.get(Post, a.id).change_status == "on_agenda"


def test_the_board_does_not_query_per_friction(client, auth, coordinator, create_user,
                                               create_post):
    voters = [create_user(f"Stemmer {n}") for n in range(2)]
    other_owner = create_user("Olga", role="coordinator")
    auth.login(coordinator)

    def add(n):
        for i in range(n):
            post = create_post(coordinator, kind="friction", title=f"Frictie {i}",
                               tags=(f"tag-{i}", "gedeeld"), neighbourhood=f"Wijk {i % 3}")
            post.owner = other_owner if i % 2 else coordinator
            post.change_status = list(vocab.CHANGE_STATUSES)[i % 5]
            db.session.add(StatusChange(post=post, actor=coordinator, from_status="raised",
                                        to_status=post.change_status, reason="r"))
            db.session.commit()
            recognise(post, voters[: i % 3])

    add(2)
    few = queries_for(client, "/verandering")
    add(8)
    many = queries_for(client, "/verandering")
    assert many == few
    assert len(all_card_ids(client.get("/verandering").get_data(as_text=True))) == 10
    assert db.session.scalar(select(Post.id).where(Post.kind != "friction")) is None
