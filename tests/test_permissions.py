"""The permission matrices.

1. Every rule of learncom/permissions.py × the cast (anonymous, a member, an author, a member of
   the author's team, a member of another team, a coordinator, an admin) × the objects it is
   about: the rule's answer is what RULE_MATRIX says. A rule the matrix does not cover fails
   `test_every_rule_is_in_the_matrix`. The SQL forms of the visibility rules
   (`Post.visible_to`, `Post.drafts_of`, `Comment.text_shown_to`) find exactly what the rules
   allow.
2. Every state-changing route × anonymous / author / other member / coordinator / admin.
   Refused requests answer 302-to-login, 403 or 404 and change nothing; allowed ones make the
   change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from learncom import permissions
from learncom.accounts.models import EmailChange, Team, User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import LogEntry, Neighbourhood, Post, PostLink
from tests.conftest import DEFAULT_PASSWORD

# -- 1. the rules ----------------------------------------------------------------------------------

CAST = ("anonymous", "member", "author", "teammate", "outsider", "coordinator", "admin")
EVERYONE = frozenset(CAST)
MEMBERS = EVERYONE - {"anonymous"}
COORDINATORS = frozenset({"coordinator", "admin"})
ADMINS = frozenset({"admin"})
NOBODY = frozenset()
AUTHOR = frozenset({"author"})
TEAM = frozenset({"author", "teammate"})  # Team Noord

#: rule -> the object it is asked about (None: a rule about the viewer alone) -> who passes.
#: The objects (see `things`): posts by the author (public, members-only, Team Noord, hidden
#: by moderation, a draft, a draft shared with coordinators, a lesson, a friction), comments by
#: the member (visible, hidden, deleted) and the teammate's comment on the team post, log
#: entries, the member's record of applying the lesson, bundles, teams, and member pages.
RULE_MATRIX: dict[str, dict[str | None, frozenset]] = {
    "moderate": {None: COORDINATORS},
    "curate": {None: COORDINATORS},
    "coordinate_posts": {None: COORDINATORS},
    "manage_neighbourhoods": {None: COORDINATORS},
    "manage_teams": {None: COORDINATORS},
    "manage_bundles": {None: COORDINATORS},
    "view_dashboard": {None: COORDINATORS},
    "read_privacy_overrides": {None: COORDINATORS},
    "manage_accounts": {None: ADMINS},
    "read_audit_log": {None: ADMINS},
    "read_outbox": {None: ADMINS},
    "own_friction": {None: COORDINATORS},
    "view_member": {"active member": MEMBERS, "public member": EVERYONE,
                    "deactivated member": ADMINS, "deleted member": NOBODY},
    "see_email": {"active member": {"member"} | COORDINATORS},
    "confirm_email_change": {"email change": {"member"}},
    "see_hidden": {"hidden post": AUTHOR | COORDINATORS,
                   "hidden comment": {"member"} | COORDINATORS},
    "view_post": {"public post": EVERYONE, "members post": MEMBERS, "team post": TEAM,
                  "hidden post": AUTHOR | COORDINATORS, "draft": AUTHOR,
                  "shared draft": AUTHOR | COORDINATORS, "lesson": EVERYONE,
                  "friction": EVERYONE},
    "edit_post": {"public post": AUTHOR | COORDINATORS, "members post": AUTHOR | COORDINATORS,
                  "team post": AUTHOR, "hidden post": AUTHOR | COORDINATORS, "draft": AUTHOR,
                  "shared draft": AUTHOR | COORDINATORS},
    "post_for_team": {"no team": EVERYONE, "Team Noord": TEAM | COORDINATORS,
                      "Team Zuid": {"outsider"} | COORDINATORS},
    "log": {"public post": AUTHOR | COORDINATORS, "team post": TEAM,
            "hidden post": AUTHOR | COORDINATORS, "draft": AUTHOR, "lesson": NOBODY},
    "change_log_entry": {"log entry": AUTHOR | COORDINATORS,
                         "team log entry": {"teammate"}},
    "view_history": {"public post": MEMBERS, "team post": TEAM, "draft": AUTHOR,
                     "hidden post": AUTHOR | COORDINATORS},
    "redact_revision": {"public post": AUTHOR | COORDINATORS, "team post": AUTHOR,
                        "draft": AUTHOR},
    "comment": {"public post": MEMBERS, "members post": MEMBERS, "team post": TEAM,
                "hidden post": AUTHOR | COORDINATORS, "draft": NOBODY},
    "read_comment": {"comment": EVERYONE, "hidden comment": {"member"} | COORDINATORS,
                     "deleted comment": NOBODY, "team comment": TEAM},
    "edit_comment": {"comment": {"member"} | COORDINATORS,
                     "hidden comment": {"member"} | COORDINATORS, "deleted comment": NOBODY,
                     "team comment": {"teammate"}},
    "react": {"public post": MEMBERS - AUTHOR, "team post": {"teammate"},
              "comment": MEMBERS - {"member"}, "hidden comment": COORDINATORS,
              "deleted comment": NOBODY, "team comment": AUTHOR},
    "flag": {"public post": MEMBERS - AUTHOR, "team post": {"teammate"},
             "comment": MEMBERS - {"member"}, "hidden comment": COORDINATORS,
             "deleted comment": NOBODY, "team comment": AUTHOR},
    "moderate_content": {"public post": COORDINATORS, "hidden post": COORDINATORS,
                         "team post": NOBODY, "comment": COORDINATORS,
                         "team comment": NOBODY},
    "change_friction_status": {"friction": COORDINATORS, "public post": NOBODY},
    "record_application": {"lesson": MEMBERS, "public post": NOBODY},
    "delete_application": {"application": {"member"} | COORDINATORS},
    "view_bundle": {"published bundle": EVERYONE, "unpublished bundle": COORDINATORS},
}


@pytest.fixture
def things(people, create_user, create_post, create_comment):
    """The cast (people) and the objects of RULE_MATRIX."""
    from learncom.applications.services import ApplicationInput, record_application
    from learncom.bundles.models import Bundle
    from learncom.discussion.services import delete_comment
    from learncom.posts import services

    author, member, teammate = people["author"], people["member"], people["teammate"]
    for who in CAST[1:]:
        people[who]  # noqa: B018  (created now, in the cast's teams)
    post = {name: create_post(author, title=name, visibility=visibility, team=team)
            for name, visibility, team in (("public post", "public", None),
                                           ("members post", "members", None),
                                           ("team post", "team", "Team Noord"),
                                           ("hidden post", "public", None))}
    post["hidden post"].hidden_at = utcnow()
    post["lesson"] = create_post(author, kind="lesson", title="Les")
    post["friction"] = create_post(author, kind="friction", title="Frictie")
    for name, shared in (("draft", False), ("shared draft", True)):
        post[name] = services.create_post(author, services.PostInput(
            kind="experiment", title=name, tags=["concept"]), draft=True,
            shared_with_coordinators=shared)
    comments = {name: create_comment(post["public post"], member, name)
                for name in ("comment", "hidden comment", "deleted comment")}
    comments["hidden comment"].hidden_at = utcnow()
    delete_comment(comments["deleted comment"])
    comments["team comment"] = create_comment(post["team post"], teammate, "In het team")
    entries = {"log entry": services.add_log_entry(post["public post"], author, "Week 1"),
               "team log entry": services.add_log_entry(post["team post"], teammate, "Week 2")}
    application = record_application(post["lesson"], member, ApplicationInput(
        applied_on=date(2026, 1, 5), what_happened="Het werkte.", place="Buurthuis"))
    members = {"active member": member}
    for name, changes in (("public member", {"public_profile": True}),
                          ("deactivated member", {"active": False}),
                          ("deleted member", {"deleted_at": utcnow()})):
        members[name] = create_user(name.capitalize())
        for key, value in changes.items():
            setattr(members[name], key, value)
    teams = {name: db.session.scalar(select(Team.id).where(Team.name == name))
             for name in ("Team Noord", "Team Zuid")}
    db.session.commit()
    objects = {**post, **comments, **entries, **members, "application": application,
               "published bundle": Bundle(title="Bundel", slug="b", published_at=utcnow()),
               "unpublished bundle": Bundle(title="Concept", slug="c"),
               "no team": None, **teams,
               "email change": EmailChange(user_id=member.id, new_email="nieuw@example.org")}
    viewers = {"anonymous": AnonymousUserMixin(), **{who: people[who] for who in CAST[1:]}}
    return viewers, objects


def test_every_rule_is_in_the_matrix():
    assert set(RULE_MATRIX) == set(permissions.RULES)
    assert all(rule.__name__ == f"can_{name}" for name, rule in permissions.RULES.items())


def test_each_rule_answers_as_the_matrix_says(things):
    viewers, objects = things
    wrong, cases = [], 0
    for name, expected in RULE_MATRIX.items():
        rule = permissions.RULES[name]
        for thing, allowed in expected.items():
            arguments = () if thing is None else (objects[thing],)
            for who, viewer in viewers.items():
                cases += 1
                if rule(viewer, *arguments) != (who in allowed):
                    wrong.append(f"can_{name}({who}, {thing}) should be {who in allowed}")
    print(f"{len(RULE_MATRIX)} rules, {cases} cases")
    assert wrong == []
    assert cases > 500


def test_the_sql_forms_find_what_the_rules_allow(things):
    viewers, objects = things
    posts = [thing for thing in objects.values() if isinstance(thing, Post)]
    comments = [thing for thing in objects.values() if isinstance(thing, Comment)]
    for who, viewer in viewers.items():
        visible = set(db.session.scalars(select(Post.id).where(Post.visible_to(viewer))))
        assert visible == {p.id for p in posts if not p.is_draft
                           and permissions.can_view_post(viewer, p)}, who
        drafts = set(db.session.scalars(select(Post.id).where(Post.drafts_of(viewer))))
        assert drafts == {p.id for p in posts if p.is_draft
                          and permissions.can_view_post(viewer, p)}, who
        readable = set(db.session.scalars(
            select(Comment.id).join(Post, Post.id == Comment.post_id).where(
                Post.visible_to(viewer), Comment.text_shown_to(viewer),
                Comment.deleted_at.is_(None))))
        assert readable == {c.id for c in comments
                            if permissions.can_read_comment(viewer, c)}, who


def test_require_answers_403_or_404_and_can_reads_the_viewer(app, things):
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden, NotFound

    viewers, objects = things
    with app.test_request_context():
        login_user(viewers["member"])
        permissions.require(permissions.can_view_post, objects["public post"])
        with pytest.raises(Forbidden):
            permissions.require(permissions.can_edit_post, objects["public post"])
        with pytest.raises(NotFound):
            permissions.require(permissions.can_view_post, objects["team post"], hide=True)
        assert permissions.can("react", objects["public post"])
        assert not permissions.can("moderate")


# -- 2. the routes ---------------------------------------------------------------------------------

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
    Case("ask for a new e-mail address", lambda w: "/account/e-mailadres",
         lambda w: {"email": "nieuw@example.org", "email_password": DEFAULT_PASSWORD},
         lambda w, before: _count(EmailChange) == before + 1, lambda w: _count(EmailChange),
         frozenset({"author", "other", "coordinator", "admin"})),
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
