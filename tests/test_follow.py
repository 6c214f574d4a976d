"""Following posts, tags and neighbourhoods: toggles, automatic following, the /volgen page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from learncom.extensions import db
from learncom.follow import services
from learncom.follow.models import Follow
from learncom.posts.models import Neighbourhood, Tag


def follows_of(user) -> list[Follow]:
    return list(db.session.scalars(select(Follow).where(Follow.user_id == user.id)
                                   .order_by(Follow.id)))


def pressed(html: str, button_id: str) -> str:
    match = re.search(rf'<button[^>]*id="{button_id}"[^>]*data-following="(true|false)"', html)
    assert match, f"no {button_id} button"
    return match.group(1)


def test_follow_and_unfollow_a_post(client, auth, create_user, create_post):
    author = create_user("Auteur")
    reader = create_user("Lezer")
    post = create_post(author)
    auth.login(reader)
    assert pressed(client.get(f"/posts/{post.id}").text, "follow-post") == "false"

    response = client.post(f"/volgen/post/{post.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}")
    [follow] = follows_of(reader)
    assert (follow.post_id, follow.active, follow.automatic) == (post.id, True, False)
    assert pressed(client.get(f"/posts/{post.id}").text, "follow-post") == "true"

    client.post(f"/volgen/post/{post.id}")
    [follow] = follows_of(reader)
    assert follow.active is False
    assert pressed(client.get(f"/posts/{post.id}").text, "follow-post") == "false"


def test_an_explicit_state_makes_a_double_click_harmless(client, auth, create_user, create_post):
    reader = create_user("Lezer")
    post = create_post(create_user("Auteur"))
    auth.login(reader)
    for _ in range(2):
        client.post(f"/volgen/post/{post.id}", data={"state": "on"})
    assert [f.active for f in follows_of(reader)] == [True]
    for _ in range(2):
        client.post(f"/volgen/post/{post.id}", data={"state": "off"})
    assert [f.active for f in follows_of(reader)] == [False]


def test_follow_goes_back_to_a_safe_next_url_only(client, auth, create_user, create_post):
    reader = create_user("Lezer")
    post = create_post(create_user("Auteur"), tags=["schuldhulp"])
    auth.login(reader)
    response = client.post(f"/volgen/post/{post.id}", data={"next": "/tags/schuldhulp?page=2"})
    assert response.headers["Location"] == "/tags/schuldhulp?page=2"
    response = client.post(f"/volgen/post/{post.id}", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/posts/{post.id}")


def test_anonymous_visitors_are_sent_to_log_in(client, create_user, create_post):
    post = create_post(create_user("Auteur"), tags=["armoede"], neighbourhood="Overvecht")
    for url in (f"/volgen/post/{post.id}", "/volgen/tag/armoede", "/volgen/wijk/overvecht"):
        response = client.post(url)
        assert response.status_code == 302
        assert "/account/inloggen" in response.headers["Location"]
    # Only the author's automatic follow of their own post exists.
    assert [(f.post_id, f.automatic) for f in db.session.scalars(select(Follow))] == [
        (post.id, True)]
    assert client.get("/volgen").status_code == 302
    html = client.get(f"/posts/{post.id}").text
    assert 'id="follow-post"' not in html


@pytest.mark.parametrize("url", ["/volgen/post/{team_post}", "/volgen/post/999999",
                                 "/volgen/post/99999999999", "/volgen/tag/bestaat-niet",
                                 "/volgen/wijk/bestaat-niet"])
def test_targets_must_exist_and_be_visible(client, auth, create_user, create_post, url):
    author = create_user("Auteur", teams=["Team Noord"])
    outsider = create_user("Buitenstaander")
    team_post = create_post(author, visibility="team", team="Team Noord")
    auth.login(outsider)
    assert client.post(url.format(team_post=team_post.id)).status_code == 404
    assert follows_of(outsider) == []


def test_get_is_not_allowed(client, auth, create_user, create_post):
    post = create_post(create_user("Auteur"))
    auth.login(create_user("Lezer"))
    assert client.get(f"/volgen/post/{post.id}").status_code == 405


def test_follow_a_tag_and_a_neighbourhood(client, auth, create_user, create_post):
    reader = create_user("Lezer")
    create_post(create_user("Auteur"), tags=["mantelzorg"], neighbourhood="Kanaleneiland")
    auth.login(reader)
    assert pressed(client.get("/tags/mantelzorg").text, "follow-tag") == "false"
    assert pressed(client.get("/wijken/kanaleneiland").text, "follow-neighbourhood") == "false"

    assert client.post("/volgen/tag/mantelzorg").headers["Location"].endswith("/tags/mantelzorg")
    response = client.post("/volgen/wijk/kanaleneiland")
    assert response.headers["Location"].endswith("/wijken/kanaleneiland")

    tag = db.session.scalar(select(Tag).where(Tag.name == "mantelzorg"))
    hood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == "kanaleneiland"))
    assert services.is_following(reader, tag) and services.is_following(reader, hood)
    assert pressed(client.get("/tags/mantelzorg").text, "follow-tag") == "true"
    assert pressed(client.get("/wijken/kanaleneiland").text, "follow-neighbourhood") == "true"
    # Issue 13 item 15: the button says what it does now, and the page says what is so.
    html = client.get("/tags/mantelzorg").text
    assert re.search(r'<span class="follow-state">Je volgt deze tag\.</span>\s*<button[^>]*'
                     r'id="follow-tag"[^>]*>Ontvolg deze tag</button>', html)
    html = client.get("/wijken/kanaleneiland").text
    assert 'id="follow-neighbourhood" data-following="true">Ontvolg deze wijk</button>' in html

    client.post("/volgen/tag/mantelzorg")
    assert not services.is_following(reader, tag)
    assert services.is_following(reader, hood)
    html = client.get("/tags/mantelzorg").text
    assert 'data-following="false">Volg deze tag</button>' in html and "follow-state" not in html


def test_you_follow_your_own_posts_automatically(create_user, create_post):
    author = create_user("Auteur")
    post = create_post(author)
    [follow] = follows_of(author)
    assert (follow.post_id, follow.active, follow.automatic) == (post.id, True, True)


def test_you_follow_threads_you_comment_in(create_user, create_post, create_comment):
    author, commenter = create_user("Auteur"), create_user("Reageerder")
    post = create_post(author)
    create_comment(post, commenter)
    create_comment(post, commenter, "Nog een reactie.")
    [follow] = follows_of(commenter)
    assert (follow.post_id, follow.active, follow.automatic) == (post.id, True, True)


def test_an_explicit_unfollow_is_never_undone(client, auth, create_user, create_post,
                                              create_comment):
    author = create_user("Auteur")
    post = create_post(author)
    auth.login(author)
    client.post(f"/volgen/post/{post.id}")  # stop following my own post
    create_comment(post, author, "Ik reageer zelf ook nog.")
    [follow] = follows_of(author)
    assert follow.active is False and follow.automatic is False
    assert not services.is_following(author, post)


def test_the_following_page(client, auth, create_user, create_post):
    reader = create_user("Lezer", teams=["Team Zuid"])
    author = create_user("Auteur", teams=["Team Zuid"])
    public = create_post(author, title="Open voor iedereen", tags=["buurt"],
                         neighbourhood="Overvecht")
    team_post = create_post(author, title="Alleen team", visibility="team", team="Team Zuid")
    auth.login(reader)
    assert client.get("/volgen").status_code == 200
    assert 'id="following-empty"' in client.get("/volgen").text
    for url in (f"/volgen/post/{public.id}", f"/volgen/post/{team_post.id}", "/volgen/tag/buurt",
                "/volgen/wijk/overvecht"):
        client.post(url)
    html = client.get("/volgen").text
    assert f'data-post-id="{public.id}"' in html and f'data-post-id="{team_post.id}"' in html
    assert 'data-tag="buurt"' in html and 'data-neighbourhood="overvecht"' in html
    assert 'id="following-empty"' not in html
    assert html.count('data-following="true"') == 4
    assert f'action="/volgen/post/{public.id}"' in html

    # Leaving the team: the post is no longer listed (nothing about it shows).
    reader.teams = []
    db.session.commit()
    html = client.get("/volgen").text
    assert f'data-post-id="{team_post.id}"' not in html and "Alleen team" not in html

    # Unfollow from the list.
    client.post("/volgen/tag/buurt", data={"state": "off", "next": "/volgen"})
    assert 'data-tag="buurt"' not in client.get("/volgen").text
