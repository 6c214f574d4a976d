"""The permission matrix: every state-changing route × anonymous / author / other member /
coordinator / admin. Refused requests answer 302-to-login, 403 or 404 and change nothing;
allowed ones make the change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from learncom.accounts.models import Team, User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import LogEntry, Neighbourhood, Post, PostLink

ACTORS = ("anonymous", "author", "other", "coordinator", "admin")


@dataclass
class Ref:
    """Ids and keys only: rows may be gone after the request (deleted posts)."""

    id: int
    slug: str = ""
    email: str = ""


@dataclass
class World:
    users: dict
    post: Ref
    team_post: Ref
    target: Ref
    link: Ref
    comment: Ref
    team: Ref
    entry: Ref
    draft: Ref


@pytest.fixture
def world(create_user, create_post, create_comment):
    from learncom.posts import services

    users = {
        "author": create_user("Auteur", teams=["Team Oost"]),
        "other": create_user("Ander lid", kind="resident"),
        "coordinator": create_user("Coördinator", role="coordinator", kind="civil_servant"),
        "admin": create_user("Beheerder", role="admin"),
    }
    post = create_post(users["author"], title="Origineel", tags=["wonen"])
    team_post = create_post(users["author"], title="Teamlog", visibility="team", team="Team Oost")
    target = create_post(users["other"], kind="friction", title="Doel", tags=["regels"])
    link = services.add_link(post, target, "addresses", users["author"])
    db.session.commit()
    comment = create_comment(post, users["author"], "Eerste reactie")
    team = db.session.scalar(select(Team).where(Team.name == "Team Oost"))
    entry = services.add_log_entry(post, users["author"], "Week 1", date(2026, 1, 5))
    draft = services.create_post(users["author"], services.PostInput(
        kind="experiment", title="Concept", tags=["wonen"]), draft=True)
    db.session.commit()
    refs = {name: Ref(user.id, email=user.email) for name, user in users.items()}
    return World(refs, Ref(post.id), Ref(team_post.id), Ref(target.id), Ref(link.id),
                 Ref(comment.id), Ref(team.id, slug=team.slug), Ref(entry.id), Ref(draft.id))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post_form(title: str, **extra) -> dict:
    data = {"title": title, "body": "Tekst", "tags": "wonen, zorg", "visibility": "public",
            "status": "running", "evidence_level": "described"}
    data.update(extra)
    return data


@dataclass
class Case:
    name: str
    url: Callable[[World], str]
    data: Callable[[World], dict]
    changed: Callable[[World, int], bool]  # given the "before" measure
    measure: Callable[[World], object]
    allowed: frozenset
    refused_status: int = 403


def _in_team(w: World, user: str) -> bool:
    return db.session.get(User, w.users[user].id) in db.session.get(Team, w.team.id).members


def _title(w: World, post_id: int) -> str | None:
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    return post.title if post else None


CASES = [
    Case("new post", lambda w: "/posts/nieuw/experiment",
         lambda w: _post_form("Nieuw experiment"),
         lambda w, before: _count(Post) == before + 1, lambda w: _count(Post),
         frozenset({"author", "other", "coordinator", "admin"})),
    Case("edit post", lambda w: f"/posts/{w.post.id}/bewerken",
         lambda w: _post_form("Gewijzigd"),
         lambda w, before: _title(w, w.post.id) == "Gewijzigd", lambda w: None,
         frozenset({"author", "coordinator", "admin"})),
    Case("edit team post", lambda w: f"/posts/{w.team_post.id}/bewerken",
         lambda w: _post_form("Gewijzigd", visibility="team", team=str(w.team.id)),
         lambda w, before: _title(w, w.team_post.id) == "Gewijzigd", lambda w: None,
         frozenset({"author"}), refused_status=404),
    Case("delete post", lambda w: f"/posts/{w.post.id}/verwijderen", lambda w: {},
         lambda w, before: _title(w, w.post.id) is None, lambda w: None,
         frozenset({"author", "coordinator", "admin"})),
    Case("add log entry", lambda w: f"/posts/{w.post.id}/logboek",
         lambda w: {"log-date": "2026-01-05", "log-text": "Week 2: twaalf bezoekers."},
         lambda w, before: _count(LogEntry) == before + 1, lambda w: _count(LogEntry),
         frozenset({"author", "coordinator", "admin"})),
    Case("edit log entry", lambda w: f"/posts/{w.post.id}/logboek/{w.entry.id}/bewerken",
         lambda w: {"date": "2026-01-06", "text": "Week 1, aangepast"},
         lambda w, before: db.session.get(LogEntry, w.entry.id).body == "Week 1, aangepast",
         lambda w: None, frozenset({"author", "coordinator", "admin"})),
    Case("delete log entry", lambda w: f"/posts/{w.post.id}/logboek/{w.entry.id}/verwijderen",
         lambda w: {},
         lambda w, before: db.session.get(LogEntry, w.entry.id) is None, lambda w: None,
         frozenset({"author", "coordinator", "admin"})),
    Case("publish draft", lambda w: f"/posts/{w.draft.id}/publiceren", lambda w: {},
         lambda w, before: not db.session.get(Post, w.draft.id).is_draft, lambda w: None,
         frozenset({"author"}), refused_status=404),
    Case("edit draft", lambda w: f"/posts/{w.draft.id}/bewerken",
         lambda w: _post_form("Gewijzigd", action="draft"),
         lambda w, before: _title(w, w.draft.id) == "Gewijzigd", lambda w: None,
         frozenset({"author"}), refused_status=404),
    Case("add link", lambda w: f"/posts/{w.post.id}/koppelingen",
         lambda w: {"link-relation": "related", "link-target": str(w.target.id)},
         lambda w, before: _count(PostLink) == before + 1, lambda w: _count(PostLink),
         frozenset({"author", "coordinator", "admin"})),
    Case("remove link", lambda w: f"/posts/{w.post.id}/koppelingen/{w.link.id}/verwijderen",
         lambda w: {},
         lambda w, before: _count(PostLink) == before - 1, lambda w: _count(PostLink),
         frozenset({"author", "coordinator", "admin"})),
    Case("comment", lambda w: f"/posts/{w.post.id}/reacties", lambda w: {"body": "Herkenbaar!"},
         lambda w, before: _count(Comment) == before + 1, lambda w: _count(Comment),
         frozenset({"author", "other", "coordinator", "admin"})),
    Case("comment on team post", lambda w: f"/posts/{w.team_post.id}/reacties",
         lambda w: {"body": "Van buiten"},
         lambda w, before: _count(Comment) == before + 1, lambda w: _count(Comment),
         frozenset({"author"}), refused_status=404),
    Case("edit comment", lambda w: f"/reacties/{w.comment.id}/bewerken",
         lambda w: {"body": "Aangepast"},
         lambda w, before: db.session.get(Comment, w.comment.id).body == "Aangepast",
         lambda w: None, frozenset({"author", "coordinator", "admin"})),
    Case("delete comment", lambda w: f"/reacties/{w.comment.id}/verwijderen", lambda w: {},
         lambda w, before: db.session.get(Comment, w.comment.id).deleted_at is not None,
         lambda w: None, frozenset({"author", "coordinator", "admin"})),
    Case("create team", lambda w: "/teams", lambda w: {"name": "Team West", "description": ""},
         lambda w, before: _count(Team) == before + 1, lambda w: _count(Team),
         frozenset({"coordinator", "admin"})),
    Case("add team member", lambda w: f"/teams/{w.team.slug}/leden",
         lambda w: {"member": w.users["other"].email},
         lambda w, before: _in_team(w, "other"),
         lambda w: None, frozenset({"coordinator", "admin"})),
    Case("remove team member",
         lambda w: f"/teams/{w.team.slug}/leden/{w.users['author'].id}/verwijderen", lambda w: {},
         lambda w, before: not _in_team(w, "author"),
         lambda w: None, frozenset({"coordinator", "admin"})),
    Case("change role", lambda w: f"/beheer/leden/{w.users['other'].id}/rol",
         lambda w: {"role": "coordinator"},
         lambda w, before: db.session.get(User, w.users["other"].id).role == "coordinator",
         lambda w: None, frozenset({"admin"})),
    Case("deactivate member", lambda w: f"/beheer/leden/{w.users['other'].id}/deactiveren",
         lambda w: {},
         lambda w, before: not db.session.get(User, w.users["other"].id).active,
         lambda w: None, frozenset({"admin"})),
    Case("add neighbourhood", lambda w: "/wijken", lambda w: {"name": "Lombok", "city": "Utrecht"},
         lambda w, before: _count(Neighbourhood) == before + 1, lambda w: _count(Neighbourhood),
         frozenset({"coordinator", "admin"})),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_permission_matrix(client, auth, world, case, actor):
    if actor != "anonymous":
        auth.login(world.users[actor].email)
    before = case.measure(world)
    response = client.post(case.url(world), data=case.data(world))
    db.session.expire_all()
    if actor in case.allowed:
        assert response.status_code in (200, 302), response.status_code
        assert "/account/inloggen" not in response.headers.get("Location", "")
        assert case.changed(world, before), f"{actor} should be able to {case.name}"
        return
    if actor == "anonymous" and case.refused_status != 404:
        assert response.status_code == 302
        assert "/account/inloggen" in response.headers["Location"]
    elif actor == "anonymous":
        assert response.status_code in (302, 404)
    else:
        assert response.status_code == case.refused_status
    assert not case.changed(world, before), f"{actor} must not be able to {case.name}"
