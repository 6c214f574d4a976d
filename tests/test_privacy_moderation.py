"""Hidden content without side doors: a hidden comment shows "verborgen door moderatie" and not
who wrote it; the author is told that, and why, it was hidden; whoever flagged it hears what
came of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learncom.extensions import db
from learncom.follow.models import Notification


@pytest.fixture
def world(create_user, create_post, create_comment):
    class World:
        author = create_user("Willem Verborgenhuis", email="willem@example.org")
        flagger = create_user("Fenna Melder")
        reader = create_user("Rob Lezer")
        coordinator = create_user("Carla Coördinator", role="coordinator")
        post = create_post(create_user("Petra Poster"), title="Inloop op dinsdag")
    World.comment = create_comment(World.post, World.author, "Deze tekst mag niet blijven.")
    World.answer = create_comment(World.post, World.reader, "Eens.", parent=World.comment)
    return World


def notes_of(user) -> list[Notification]:
    """The member's notifications about moderation."""
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id,
        Notification.kind.in_(("hidden", "report_hidden", "report_kept")))
        .order_by(Notification.id)))


def flag_and_hide(client, auth, world, target="reacties", target_id=None, note=""):
    target_id = target_id or world.comment.id
    auth.login(world.flagger)
    client.post(f"/{target}/{target_id}/melden", data={"reason": "personal_data"})
    auth.logout()
    auth.login(world.coordinator)
    client.post(f"/beheer/moderatie/{target}/{target_id}/verbergen", data={"note": note})
    auth.logout()


def test_a_hidden_comment_does_not_show_its_author_to_others(client, auth, world):
    flag_and_hide(client, auth, world)
    for viewer in (None, world.reader, world.flagger):
        if viewer is not None:
            auth.login(viewer)
        html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
        article = html.split(f'id="reactie-{world.comment.id}"')[1].split("</article>")[0]
        assert "Verborgenhuis" not in article and "verborgen door moderatie" in article
        assert "Deze tekst mag niet blijven." not in html
        # The reply names the comment it answers without its author.
        assert "Verborgenhuis" not in html
        api = client.get(f"/api/v1/posts/{world.post.id}/comments").get_json()
        assert api["items"][0]["author"] is None and api["items"][0]["hidden"] is True
        feed = client.get(f"/posts/{world.post.id}/reacties.atom").get_data(as_text=True)
        assert "Verborgenhuis" not in feed
        if viewer is not None:
            replying = client.get(f"/reacties/{world.answer.id}/bewerken")
            assert "Verborgenhuis" not in replying.get_data(as_text=True)
            auth.logout()
    for insider in (world.author, world.coordinator):  # they still see who and what
        auth.login(insider)
        html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
        assert "Verborgenhuis" in html and "Deze tekst mag niet blijven." in html
        auth.logout()


def test_the_author_is_told_why_and_the_flagger_what_came_of_it(client, auth, world):
    flag_and_hide(client, auth, world)
    [told] = notes_of(world.author)
    assert (told.kind, told.post_id, told.comment_id, told.note) == (
        "hidden", world.post.id, world.comment.id, "personal_data")
    auth.login(world.author)
    html = client.get("/meldingen").get_data(as_text=True)
    assert ("Een coördinator heeft je reactie bij “Inloop op dinsdag” verborgen. Reden: "
            "persoonsgegevens of informatie over een cliënt.") in html
    auth.logout()

    [outcome] = notes_of(world.flagger)
    assert (outcome.kind, outcome.post_id, outcome.comment_id) == ("report_hidden", None, None)
    auth.login(world.flagger)
    html = client.get("/meldingen").get_data(as_text=True)
    assert "Bedankt voor je melding. Een coördinator heeft ernaar gekeken en de bijdrage " \
        "verborgen." in html
    # Reading it marks it read and stays on the notifications (there is nothing to go to).
    response = client.post(f"/meldingen/{outcome.id}/gelezen")
    assert response.status_code == 302 and response.location.endswith("/meldingen")
    assert client.get("/meldingen").status_code == 200
    auth.logout()
    assert notes_of(world.reader) == []


def test_the_coordinators_note_is_the_reason_and_a_hidden_post_is_told_too(client, auth, world):
    flag_and_hide(client, auth, world, target="posts", target_id=world.post.id,
                  note="Er staat een adres in.")
    author = world.post.author
    [told] = notes_of(author)
    assert (told.kind, told.comment_id, told.note) == ("hidden", None, "Er staat een adres in.")
    auth.login(author)
    html = client.get("/meldingen").get_data(as_text=True)
    assert "Een coördinator heeft je post “Inloop op dinsdag” verborgen. Reden: Er staat een " \
        "adres in.." not in html  # no doubled full stop
    assert "Reden: Er staat een adres in." in html


def test_a_dismissed_report_is_told_with_a_link(client, auth, world):
    auth.login(world.flagger)
    client.post(f"/reacties/{world.comment.id}/melden", data={"reason": "offensive"})
    auth.logout()
    auth.login(world.coordinator)
    client.post(f"/beheer/moderatie/reacties/{world.comment.id}/afwijzen")
    auth.logout()
    [outcome] = notes_of(world.flagger)
    assert (outcome.kind, outcome.post_id, outcome.comment_id) == (
        "report_kept", world.post.id, world.comment.id)
    assert notes_of(world.author) == []  # nothing was hidden
    auth.login(world.flagger)
    html = client.get("/meldingen").get_data(as_text=True)
    assert "Een coördinator heeft je melding over “Inloop op dinsdag” bekeken en de bijdrage " \
        "laten staan." in html


def test_a_hidden_post_says_so_without_its_title_or_author(client, auth, world, create_user,
                                                         create_post):
    """Someone following a link to a hidden post learns why it is gone, not what it said or who
    wrote it; a post they could not read anyway stays a bare 404 (no oracle)."""
    outsider = create_user("Olga Buiten")
    team_post = create_post(create_user("Tessa Team", teams=["Wijkteam Zuid"]),
                            title="Teamoverleg", visibility="team", team="Wijkteam Zuid")
    flag_and_hide(client, auth, world, target="posts", target_id=world.post.id)
    for viewer in (None, world.reader):
        if viewer is not None:
            auth.login(viewer)
        answer = client.get(f"/posts/{world.post.id}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 404
        assert "Dit bericht is verborgen door de moderatie." in html
        assert "Inloop op dinsdag" not in html and "Petra Poster" not in html
        auth.logout()
    db.session.execute(db.text("UPDATE posts SET hidden_at = CURRENT_TIMESTAMP WHERE id = :id"),
                       {"id": team_post.id})
    db.session.commit()
    auth.login(outsider)
    html = client.get(f"/posts/{team_post.id}").get_data(as_text=True)
    assert "verborgen" not in html and "Teamoverleg" not in html
    auth.logout()
    auth.login(world.coordinator)
    assert "Inloop op dinsdag" in client.get(f"/posts/{world.post.id}").get_data(as_text=True)
