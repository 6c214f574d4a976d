"""The real demo file loads through the importer, its accounts log in with the shared demo
password, and loading again does nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from learncom.accounts.models import User
from learncom.accounts.services import check_password
from learncom.applications.models import LessonApplication
from learncom.bundles.models import Bundle
from learncom.demo import loader
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.posts.kinds import KINDS
from learncom.posts.models import Post, PostLink
from learncom.reactions.models import Reaction
from learncom.vocab import MEMBER_KINDS


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def load_demo(runner, *args):
    result = runner.invoke(args=["learncom", "load-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_loads_once_and_its_accounts_log_in(runner, client, auth):
    # One load of the real file for everything (it takes a few seconds).
    result = load_demo(runner)
    assert result.stdout.startswith("Demo data loaded. Imported: ")

    assert count(Post) >= 60
    assert all(count(Post, Post.kind == kind) >= 10 for kind in KINDS)
    assert count(Comment) >= 150
    assert count(Comment, Comment.parent_id.is_not(None)) >= 30  # threads, not flat lists
    assert count(PostLink) >= 10
    for kind in MEMBER_KINDS:
        assert count(User, User.kind == kind) >= 15, kind
    assert count(Post, Post.visibility == "team") >= 1
    assert count(User, User.role == "admin") >= 1
    assert count(User, User.role == "coordinator") >= 1

    # The change process around the posts: status histories ending in each friction's status,
    # reactions, curation, applications and a published bundle.
    for friction in db.session.scalars(select(Post).where(Post.kind == "friction")):
        changes = db.session.scalars(select(StatusChange).where(StatusChange.post_id == friction.id)
                                     .order_by(StatusChange.created_at)).all()
        if friction.change_status == "raised":
            assert changes == []
        else:
            assert changes[-1].to_status == friction.change_status
            assert changes[0].from_status == "raised"
            assert all(c.created_at >= friction.created_at for c in changes)
    assert count(Reaction, Reaction.kind == "recognise") >= 30
    assert count(Post, Post.curated.is_(True), Post.curated_at.is_(None)) == 0
    assert count(LessonApplication) >= 5
    bundle = db.session.scalar(select(Bundle))
    assert bundle.is_published and len(bundle.items) >= 4
    # A few professionals chose a public member page; no resident did.
    public = db.session.scalars(select(User).where(User.public_profile.is_(True))).all()
    assert len(public) >= 3 and {user.kind for user in public} <= {"professional",
                                                                   "civil_servant"}
    directory = client.get("/leden").get_data(as_text=True)
    assert directory.count('class="member-row"') == len(public)

    # Every account from the file shares one password hash (computed once) and the CLI names
    # an admin, a coordinator and a member of every kind to try (issue 13 item 2), members in a
    # team where the kind has one; the second run names them again.
    hashes = set(db.session.scalars(select(User.password_hash)))
    assert len(hashes) == 1 and None not in hashes
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    assert admin.email in result.stdout
    assert "learncom-demo" in result.stdout
    accounts = [line for line in result.stdout.splitlines() if "@" in line]
    assert len(accounts) == 2 + len(MEMBER_KINDS)
    emails = [word for line in accounts[2:] for word in line.split() if "@" in word]
    printed = [db.session.scalar(select(User).where(User.email == email)) for email in emails]
    assert [u.kind for u in printed] == list(MEMBER_KINDS)
    assert all(u.role == "member" for u in printed)
    in_team = [u for u in printed if u.teams]
    assert len(in_team) >= 2 and len({u.teams[0].id for u in in_team}) == 1
    assert f"team {in_team[0].teams[0].name}" in result.stdout
    again = load_demo(runner)
    assert "not loaded" in again.stdout
    assert [line for line in again.stdout.splitlines() if "@" in line] == accounts
    # Once on the agenda, a friction has an owner (the board shows who; issue 13 item 15).
    moved = db.session.scalars(select(Post).where(Post.kind == "friction",
                                                  Post.change_status != "raised")).all()
    assert moved and all(p.owner is not None and p.owner.has_role("coordinator") for p in moved)

    # A demo resident logs in with the demo password through the login form.
    resident = printed[list(MEMBER_KINDS).index("resident")]
    assert resident.email in result.stdout
    response = auth.login(resident.email, "learncom-demo")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert 'action="/account/uitloggen"' in page
    assert f'href="/leden/{resident.id}"' in page

    # make run calls it on every start: the second time it changes nothing.
    before = (count(User), count(Post), count(Comment), count(PostLink))
    again = load_demo(runner)
    assert "not loaded" in again.stdout
    assert (count(User), count(Post), count(Comment), count(PostLink)) == before


def test_load_demo_with_own_password(runner, tmp_path, monkeypatch):
    # A two-line demo file keeps this test fast; the real file is loaded above.
    tiny = tmp_path / "demo.jsonl"
    tiny.write_text(
        '{"type": "user", "email": "ria@demo.example", "name": "Ria", "kind": "resident"}\n'
        '{"type": "post", "ref": "p", "kind": "lesson", "title": "Les", "tags": ["les"], '
        '"author": "kees@demo.example", "fields": {"statement": "Vraag het de bewoner."}}\n',
        encoding="utf-8")
    monkeypatch.setattr(loader, "DEMO_FILE", tiny)
    too_short = runner.invoke(args=["learncom", "load-demo", "--password", "kort"])
    assert too_short.exit_code == 2
    assert count(Post) == 0 and count(User) == 0

    result = load_demo(runner, "--password", "een-eigen-wachtwoord")
    assert "ria@demo.example" in result.stdout  # the resident to try
    users = db.session.scalars(select(User)).all()
    assert {u.email for u in users} == {"ria@demo.example", "kees@demo.example"}
    assert all(check_password(u, "een-eigen-wachtwoord") for u in users)
    assert not check_password(users[0], "learncom-demo")


def test_broken_demo_file_loads_nothing(runner, tmp_path, monkeypatch):
    broken = tmp_path / "demo.jsonl"
    broken.write_text('{"type": "user", "email": "ria@demo.example"}\n{"type": "post"}\n',
                      encoding="utf-8")
    monkeypatch.setattr(loader, "DEMO_FILE", broken)
    result = runner.invoke(args=["learncom", "load-demo"])
    assert result.exit_code == 1
    assert "Line 2: " in result.stderr
    assert count(User) == 0


def test_load_demo_leaves_a_database_with_posts_alone(runner, create_user, create_post):
    create_post(create_user("Anke", email="anke@example.org"))
    result = load_demo(runner)
    assert "not loaded" in result.stdout
    assert count(User) == 1 and count(Post) == 1
