"""With CSRF protection on (as in production), a state change without a valid token is refused
with 400 and changes nothing; the same request with the page's token goes through."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from learncom.discussion.models import Comment
from learncom.extensions import db
from tests.conftest import DEFAULT_PASSWORD

TOKEN = re.compile(r'name="csrf_token"[^>]*\svalue="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    """The suite's settings, with CSRF protection switched back on."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token_from(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user) -> None:
    response = client.post("/account/inloggen", data={
        "email": user.email, "password": DEFAULT_PASSWORD,
        "csrf_token": token_from(client, "/account/inloggen")})
    assert response.status_code == 302


def comments() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def is_logged_in(client, user) -> bool:
    return f'href="/leden/{user.id}"' in client.get("/").get_data(as_text=True)


def test_csrf_is_on_in_this_module(app):
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_comment_without_token_is_refused(client, create_user, create_post):
    anke = create_user("Anke")
    post = create_post(anke)
    login(client, anke)

    for data in ({"body": "Zonder token"}, {"body": "Vals token", "csrf_token": "nep"}):
        response = client.post(f"/posts/{post.id}/reacties", data=data)
        assert response.status_code == 400
    assert comments() == 0

    token = token_from(client, f"/posts/{post.id}")
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Met token", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalars(select(Comment.body)).all() == ["Met token"]


def test_edit_and_delete_without_token_are_refused(client, create_user, create_post,
                                                   create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Origineel")
    login(client, anke)

    assert client.post(f"/reacties/{comment.id}/bewerken",
                       data={"body": "Gewijzigd"}).status_code == 400
    assert client.post(f"/reacties/{comment.id}/verwijderen").status_code == 400
    db.session.refresh(comment)
    assert (comment.body, comment.edited_at, comment.deleted_at) == ("Origineel", None, None)


def test_logout_without_token_is_refused(client, create_user):
    anke = create_user("Anke")
    login(client, anke)
    assert is_logged_in(client, anke)

    assert client.post("/account/uitloggen").status_code == 400
    assert is_logged_in(client, anke)

    response = client.post("/account/uitloggen", data={"csrf_token": token_from(client)})
    assert response.status_code == 302
    assert not is_logged_in(client, anke)
