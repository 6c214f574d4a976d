"""Lessons applied: recording where a lesson was used, the list on the lesson page, deleting,
the "applied N×" card badge and sorting lessons by how often they were applied."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from learncom.accounts.services import get_or_create_team
from learncom.applications import services
from learncom.applications.models import LessonApplication
from learncom.extensions import db
from learncom.posts import services as post_services
from tests.helpers import counted, queries_for


@pytest.fixture
def author(create_user):
    return create_user("Anke", kind="professional")


@pytest.fixture
def member(create_user):
    return create_user("Bert", kind="resident", teams=["Wijkteam Overvecht"])


@pytest.fixture
def lesson(author, create_post):
    return create_post(author, kind="lesson", title="Vraag eerst wat iemand zelf wil",
                       statement="Begin bij de vraag van de bewoner.", neighbourhood="Overvecht")


def form_data(**overrides) -> dict:
    data = {
        "applied-neighbourhood": "",
        "applied-place": "Buurthuis De Boog",
        "applied-team": "",
        "applied-applied_on": (date.today() - timedelta(days=3)).isoformat(),
        "applied-what_happened": "We vroegen het **eerst** aan de bewoner.",
        "applied-friction_returned": "no",
    }
    data.update(overrides)
    return data


def application_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="application card" id="application-(\d+)"',
                                       html)]


def count_applications() -> int:
    return db.session.scalar(select(func.count(LessonApplication.id)))


# -- recording ---------------------------------------------------------------------------------

def test_member_records_an_application_shown_on_the_lesson_page(client, auth, lesson, member):
    hood = post_services.get_or_create_neighbourhood("Overvecht")
    team = get_or_create_team("Wijkteam Overvecht")
    db.session.commit()
    auth.login(member)
    with counted() as statements:
        response = client.post(f"/posts/{lesson.id}/toegepast", data=form_data(**{
            "applied-neighbourhood": str(hood.id), "applied-place": "",
            "applied-team": str(team.id), "applied-friction_returned": "yes"}))
    application = db.session.scalars(select(LessonApplication)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/posts/{lesson.id}#application-{application.id}")
    assert (application.user_id, application.neighbourhood_id, application.team_id) == (
        member.id, hood.id, team.id)
    assert application.place is None and application.friction_returned == "yes"
    assert application.applied_on == date.today() - timedelta(days=3)
    assert "<strong>eerst</strong>" in application.what_happened_html
    # The search index is told (the lesson's applied count changed).
    assert any(s.lstrip().upper().startswith("INSERT INTO INDEX_QUEUE") for s in statements)

    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    section = html.split('<section id="applied"')[1].split("</section>")[0]
    assert application_ids(section) == [application.id]
    assert 'data-returned="yes"' in section
    assert "Overvecht" in section and "Wijkteam Overvecht" in section
    assert 'id="application-form"' in section


def test_the_lesson_page_lists_records_newest_first_in_one_query(
        client, auth, lesson, member, create_user):
    others = [create_user(f"Lid {i}") for i in range(3)]
    made = {}
    for index, (who, days) in enumerate([(member, 30), (others[0], 2), (others[1], 10),
                                         (others[2], 2)]):
        made[index] = services.record_application(lesson, who, services.ApplicationInput(
            applied_on=date.today() - timedelta(days=days), what_happened=f"Verhaal {index}",
            place=f"Plek {index}"))
    db.session.commit()
    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    # Newest applied date first; the same date: the latest record first.
    assert application_ids(html) == [made[3].id, made[1].id, made[2].id, made[0].id]

    db.session.refresh(lesson)
    with counted() as statements:
        records = services.applications_for(lesson)
        [(r.user.name, r.neighbourhood, r.team) for r in records]
    assert len(statements) == 1


@pytest.mark.parametrize(("overrides", "error_field"), [
    ({"applied-what_happened": "   "}, "applied-what_happened"),
    ({"applied-applied_on": ""}, "applied-applied_on"),
    ({"applied-applied_on": "gisteren"}, "applied-applied_on"),
    ({"applied-applied_on": (date.today() + timedelta(days=2)).isoformat()},
     "applied-applied_on"),
    ({"applied-place": "", "applied-neighbourhood": ""}, "applied-place"),
    ({"applied-place": "x" * 201}, "applied-place"),
    ({"applied-neighbourhood": "999999"}, "applied-neighbourhood"),
    ({"applied-friction_returned": "misschien"}, "applied-friction_returned"),
    ({"applied-team": "999999"}, "applied-team"),
])
def test_invalid_input_keeps_what_was_typed(client, auth, lesson, member, overrides,
                                            error_field):
    auth.login(member)
    data = form_data(**{"applied-what_happened": "Wat we deden in De Boog"})
    data.update(overrides)
    response = client.post(f"/posts/{lesson.id}/toegepast", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count_applications() == 0
    assert f'id="{error_field}-error"' in html
    assert 'id="application-form"' in html
    if "applied-what_happened" not in overrides:
        assert "Wat we deden in De Boog" in html
    if "applied-place" not in overrides:
        assert 'value="Buurthuis De Boog"' in html


def test_a_team_the_member_is_not_in_is_refused(client, auth, lesson, member):
    other_team = get_or_create_team("Wijkteam Lombok")
    db.session.commit()
    auth.login(member)
    response = client.post(f"/posts/{lesson.id}/toegepast",
                           data=form_data(**{"applied-team": str(other_team.id)}))
    assert response.status_code == 200
    assert 'id="applied-team-error"' in response.get_data(as_text=True)
    assert count_applications() == 0
    # The service refuses it too, whatever a form lets through.
    with pytest.raises(services.ApplicationError):
        services.record_application(lesson, member, services.ApplicationInput(
            applied_on=date.today(), what_happened="x", place="y", team_id=other_team.id))


def test_the_service_refuses_a_future_date_and_a_non_lesson(author, member, lesson, create_post):
    with pytest.raises(services.ApplicationError):
        services.record_application(lesson, member, services.ApplicationInput(
            applied_on=services.local_today() + timedelta(days=1), what_happened="x", place="y"))
    experiment = create_post(author, title="Proef")
    with pytest.raises(services.ApplicationError):
        services.record_application(experiment, member, services.ApplicationInput(
            applied_on=date.today(), what_happened="x", place="y"))
    with pytest.raises(services.ApplicationError):
        services.record_application(lesson, member, services.ApplicationInput(
            applied_on=date.today(), what_happened="x"))


def test_today_is_allowed(client, auth, lesson, member):
    auth.login(member)
    response = client.post(f"/posts/{lesson.id}/toegepast", data=form_data(
        **{"applied-applied_on": services.local_today().isoformat()}))
    assert response.status_code == 302
    assert count_applications() == 1


# -- permissions -------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, lesson):
    response = client.post(f"/posts/{lesson.id}/toegepast", data=form_data())
    assert response.status_code == 302
    assert "/account/inloggen" in response.headers["Location"]
    assert count_applications() == 0
    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    section = html.split('<section id="applied"')[1].split("</section>")[0]
    assert 'id="application-form"' not in section
    assert "/account/inloggen" in section


def test_invisible_lessons_and_other_kinds_answer_404(client, auth, author, member, create_user,
                                                       create_post):
    insider = create_user("Ina", teams=["Wijkteam Zuilen"])
    outsider_lesson = create_post(insider, kind="lesson", title="Teamles", statement="s",
                                  visibility="team", team="Wijkteam Zuilen")
    experiment = create_post(author, title="Proef")
    friction = create_post(author, kind="friction", title="Regel")
    auth.login(member)
    for post in (outsider_lesson, experiment, friction):
        assert client.post(f"/posts/{post.id}/toegepast", data=form_data()).status_code == 404
        assert client.get(f"/posts/{post.id}/toegepast").status_code == 404
    assert client.post("/posts/999999/toegepast", data=form_data()).status_code == 404
    assert count_applications() == 0
    # The experiment page has no "applied" section.
    assert 'id="applied"' not in client.get(f"/posts/{experiment.id}").get_data(as_text=True)


def test_the_form_page_shows_after_logging_in(client, auth, lesson, member):
    auth.login(member)
    response = client.get(f"/posts/{lesson.id}/toegepast")
    assert response.status_code == 200
    assert 'id="application-form"' in response.get_data(as_text=True)


@pytest.fixture
def recorded(lesson, member):
    application = services.record_application(lesson, member, services.ApplicationInput(
        applied_on=date.today(), what_happened="Werkte goed", place="Zuilen"))
    db.session.commit()
    return application


@pytest.mark.parametrize(("who", "status"), [
    ("recorder", 302), ("coordinator", 302), ("admin", 302), ("other", 403), ("author", 403),
])
def test_who_may_delete_a_record(client, auth, create_user, author, member, lesson, recorded,
                                 who, status):
    users = {"recorder": member, "author": author,
             "coordinator": create_user("Coco", role="coordinator"),
             "admin": create_user("Ada", role="admin"), "other": create_user("Olaf")}
    auth.login(users[who])
    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    assert ('class="link-button application-delete"' in html) == (status == 302)
    response = client.post(f"/posts/{lesson.id}/toegepast/{recorded.id}/verwijderen")
    assert response.status_code == status
    assert count_applications() == (0 if status == 302 else 1)
    if status == 302:
        assert response.headers["Location"].endswith(f"/posts/{lesson.id}#applied")


def test_delete_checks_the_lesson_and_the_record(client, auth, member, lesson, recorded,
                                                 author, create_post):
    other_lesson = create_post(author, kind="lesson", title="Andere les", statement="s")
    client.post(f"/posts/{lesson.id}/toegepast/{recorded.id}/verwijderen")
    assert count_applications() == 1  # anonymous: sent to log in
    auth.login(member)
    assert client.post(f"/posts/{other_lesson.id}/toegepast/{recorded.id}/verwijderen"
                       ).status_code == 404
    assert client.post(f"/posts/{lesson.id}/toegepast/999999/verwijderen").status_code == 404
    assert client.get(f"/posts/{lesson.id}/toegepast/{recorded.id}/verwijderen"
                      ).status_code == 405
    assert count_applications() == 1


def test_deleting_a_lesson_deletes_its_records(lesson, recorded):
    post_services.delete_post(lesson)
    db.session.commit()
    assert count_applications() == 0


# -- cards and sorting -------------------------------------------------------------------------

def _apply(post, user, times: int):
    for i in range(times):
        services.record_application(post, user, services.ApplicationInput(
            applied_on=date.today(), what_happened=f"Keer {i}", place="Overvecht"))


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="/posts/\d+">([^<]*)</a>', html)


def test_lesson_cards_show_how_often_they_were_applied(client, author, member, create_post):
    once = create_post(author, kind="lesson", title="Een keer", statement="s")
    thrice = create_post(author, kind="lesson", title="Drie keer", statement="s")
    create_post(author, kind="lesson", title="Nooit", statement="s")
    _apply(once, member, 1)
    _apply(thrice, member, 3)
    db.session.commit()
    html = client.get("/lessen").get_data(as_text=True)
    badges = dict(re.findall(
        r'data-applied="(\d+)".*?<a href="/posts/\d+">([^<]*)</a>', html, flags=re.S))
    assert {title: int(n) for n, title in badges.items()} == {"Een keer": 1, "Drie keer": 3}
    assert html.count('class="badge badge-applied applied-count"') == 2
    assert services.card_context([once, thrice], member) == {
        once.id: {"applied": 1}, thrice.id: {"applied": 3}}


def test_lessons_sort_by_how_often_they_were_applied(client, author, member, create_post):
    lessons = {title: create_post(author, kind="lesson", title=title, statement="s")
               for title in ("Oud twee", "Nieuw nul", "Vijf", "Nieuw twee")}
    _apply(lessons["Oud twee"], member, 2)
    _apply(lessons["Vijf"], member, 5)
    _apply(lessons["Nieuw twee"], member, 2)
    db.session.commit()
    newest = card_titles(client.get("/lessen").get_data(as_text=True))
    assert newest == ["Nieuw twee", "Vijf", "Nieuw nul", "Oud twee"]
    applied_html = client.get("/lessen?sort=applied").get_data(as_text=True)
    # Most applied first; a tie: the newest first; never applied last.
    assert card_titles(applied_html) == ["Vijf", "Nieuw twee", "Oud twee", "Nieuw nul"]
    assert '<option value="applied" selected>' in applied_html
    # Filters keep working with the sort; unknown sorts mean newest.
    assert card_titles(client.get("/lessen?sort=bogus").get_data(as_text=True)) == newest
    assert card_titles(client.get("/lessen?sort=applied&page=abc").get_data(as_text=True))[0] \
        == "Vijf"
    # Other kinds offer no sort choice and ignore the argument.
    experiments_html = client.get("/experimenten?sort=applied").get_data(as_text=True)
    assert 'id="filter-sort"' not in experiments_html
    assert 'id="filter-sort"' in client.get("/lessen").get_data(as_text=True)


def test_the_applied_sort_respects_visibility(client, auth, author, member, create_user,
                                              create_post):
    insider = create_user("Ina", teams=["Wijkteam Zuilen"])
    secret = create_post(insider, kind="lesson", title="Geheim", statement="s",
                         visibility="team", team="Wijkteam Zuilen")
    public = create_post(author, kind="lesson", title="Openbaar", statement="s")
    _apply(secret, insider, 3)
    _apply(public, member, 1)
    db.session.commit()
    assert card_titles(client.get("/lessen?sort=applied").get_data(as_text=True)) == ["Openbaar"]
    query = post_services.filtered_posts(member, kind="lesson", sort="applied")
    assert [p.title for p in db.session.scalars(query)] == ["Openbaar"]


def test_list_query_count_does_not_grow_with_lessons(client, author, member, create_post):
    def add(n):
        for i in range(n):
            post = create_post(author, kind="lesson", title=f"Les {i}", statement="s")
            _apply(post, member, 2)
        db.session.commit()

    add(2)
    few = {url: queries_for(client, url) for url in ("/lessen", "/lessen?sort=applied")}
    add(6)
    many = {url: queries_for(client, url) for url in ("/lessen", "/lessen?sort=applied")}
    assert few == many


def test_lesson_page_query_count_does_not_grow_with_records(client, auth, lesson, member,
                                                            create_user):
    auth.login(member)
    _apply(lesson, member, 1)
    db.session.commit()
    few = queries_for(client, f"/posts/{lesson.id}")
    for i in range(5):
        _apply(lesson, create_user(f"Toepasser {i}", teams=[f"Team {i}"]), 1)
    db.session.commit()
    assert queries_for(client, f"/posts/{lesson.id}") == few
