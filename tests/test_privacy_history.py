"""Revision history without side doors: a version is shown only to those who could see the post
when it was current, anonymous visitors see no history, and the author and coordinators can
remove the text of an earlier version (audit-logged)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from learncom.accounts.services import get_or_create_team
from learncom.audit.models import AuditEvent
from learncom.extensions import db
from learncom.posts import services
from learncom.posts.models import PostRevision


@pytest.fixture
def world(create_user, create_post):
    author = create_user("Anke", teams=["Team Oost"])
    teammate = create_user("Bert", teams=["Team Oost"])
    outsider = create_user("Carla")
    coordinator = create_user("Coördinator", role="coordinator")
    team = get_or_create_team("Team Oost")
    post = create_post(author, title="Inloop", body="Eerste versie TEAMGEHEIM in het team.",
                       visibility="team", team=team)
    services.update_post(post, author, services.PostInput(
        kind="experiment", title="Inloop", body="Openbare versie zonder geheim.",
        tags=["eenzaamheid"], visibility="public", team_id=None,
        fields={"status": "running"}))
    services.update_post(post, author, services.PostInput(
        kind="experiment", title="Inloop", body="Openbare versie, nu met meer tekst.",
        tags=["eenzaamheid"], visibility="public", team_id=None,
        fields={"status": "running"}))
    db.session.commit()

    class World:
        pass

    world = World()
    world.__dict__.update(author=author, teammate=teammate, outsider=outsider,
                          coordinator=coordinator, post=post)
    return world


def history_html(client, post) -> str:
    response = client.get(f"/posts/{post.id}/geschiedenis")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_visitors_see_no_history(client, world):
    response = client.get(f"/posts/{world.post.id}/geschiedenis")
    assert response.status_code == 302 and "/account/inloggen" in response.location
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert 'id="history-link"' not in page
    assert f"/posts/{world.post.id}/geschiedenis" not in page
    assert 'class="edited"' in page  # "edited on …" stays, without a link


def test_a_team_only_era_stays_team_only_after_the_post_goes_public(client, auth, world):
    auth.login(world.outsider)
    html = history_html(client, world.post)
    assert "TEAMGEHEIM" not in html
    assert 'id="revision-1"' not in html
    assert 'id="revision-2"' in html and 'id="revision-3"' in html
    assert 'class="revision-earliest"' in html
    # Version 3 is a diff against version 2, the earliest this member may see; version 2
    # shows what it was, never what changed since the team-only version.
    third = html.split('id="revision-3"')[1].split('id="revision-2"')[0]
    second = html.split('id="revision-2"')[1]
    assert "<del>geheim.</del>" in third and "meer tekst.</ins>" in third
    assert 'class="revision-earliest"' in second
    assert "<ins>Openbare versie zonder geheim.</ins>" in second


@pytest.mark.parametrize("who", ["author", "teammate"])
def test_the_team_sees_every_version_and_the_diff(client, auth, world, who):
    auth.login(getattr(world, who))
    html = history_html(client, world.post)
    assert 'id="revision-1"' in html and "TEAMGEHEIM" in html
    assert "<del>" in html and "<ins>" in html
    assert 'class="revision-earliest"' not in html


def test_a_coordinator_outside_the_team_does_not_see_the_team_era(client, auth, world):
    auth.login(world.coordinator)
    html = history_html(client, world.post)
    assert "TEAMGEHEIM" not in html and 'id="revision-1"' not in html


def test_the_author_removes_the_text_of_an_earlier_version(client, auth, world):
    auth.login(world.author)
    html = history_html(client, world.post)
    assert f'action="/posts/{world.post.id}/geschiedenis/1/weghalen"' in html
    assert f'action="/posts/{world.post.id}/geschiedenis/3/weghalen"' not in html  # current
    response = client.post(f"/posts/{world.post.id}/geschiedenis/1/weghalen")
    assert response.status_code == 302
    revision = db.session.scalar(select(PostRevision).where(
        PostRevision.post_id == world.post.id, PostRevision.number == 1))
    assert "TEAMGEHEIM" not in json.dumps(revision.snapshot)
    assert revision.snapshot["body"] == "[weggehaald]" and revision.snapshot["title"] == \
        "[weggehaald]"
    assert revision.snapshot["visibility"] == "team"  # the era is kept
    assert revision.redacted_by_id == world.author.id
    html = history_html(client, world.post)
    assert "TEAMGEHEIM" not in html
    assert "[weggehaald door Anke]" in html
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "revision.redacted")).all()
    assert (event.actor_id, event.target_type, event.target_id, event.detail) == (
        world.author.id, "posts", world.post.id, {"revision": 1})


def test_the_current_version_cannot_be_redacted(client, auth, world):
    auth.login(world.author)
    client.post(f"/posts/{world.post.id}/geschiedenis/3/weghalen")
    revision = db.session.scalar(select(PostRevision).where(
        PostRevision.post_id == world.post.id, PostRevision.number == 3))
    assert revision.redacted_at is None


def test_who_may_redact(client, auth, world):
    url = f"/posts/{world.post.id}/geschiedenis/2/weghalen"
    assert client.post(url).status_code == 302  # anonymous: to the login page
    auth.login(world.outsider)
    assert client.post(url).status_code == 403
    # A version this member could not see is not there for them.
    assert client.post(f"/posts/{world.post.id}/geschiedenis/1/weghalen").status_code == 404
    assert client.post(f"/posts/{world.post.id}/geschiedenis/99/weghalen").status_code == 404
    auth.logout()
    auth.login(world.coordinator)
    assert client.post(url).status_code == 302
    revision = db.session.scalar(select(PostRevision).where(
        PostRevision.post_id == world.post.id, PostRevision.number == 2))
    assert revision.redacted_by_id == world.coordinator.id
    assert "[weggehaald door Coördinator]" in history_html(client, world.post)
