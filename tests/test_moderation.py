"""Moderation: members flag posts and comments; coordinators hide, restore or dismiss; hidden
content disappears for everyone but its author and coordinators (pages, lists, search)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from learncom.audit.models import AuditEvent
from learncom.discussion.models import Comment
from learncom.discussion.services import delete_comment
from learncom.extensions import db
from learncom.moderation.models import Flag
from learncom.posts.models import Post
from tests.helpers import counted, queries_for

SECRET_WORD = "zwembadpasregeling"
COMMENT_WORD = "kerkstraatbewoonster"


@pytest.fixture
def world(create_user, create_post, create_comment):
    author = create_user("Auteur")
    member = create_user("Lid")
    other = create_user("Ander", teams=["Team Zuid"])
    coordinator = create_user("Coördinator", role="coordinator")
    admin = create_user("Beheerder", role="admin")
    post = create_post(author, title="Zwembadpas voor mantelzorgers",
                       body=f"De {SECRET_WORD} werkt goed.", tags=["zwembadpas"],
                       neighbourhood="Lombok")
    comment = create_comment(post, member, f"De {COMMENT_WORD} belde me gisteren.")
    team_post = create_post(other, title="Teamoverleg", visibility="team", team="Team Zuid")
    team_comment = create_comment(team_post, other, "Alleen voor het team.")
    return SimpleNamespace(author=author, member=member, other=other,
                           coordinator=coordinator, admin=admin, post=post, comment=comment,
                           team_post=team_post, team_comment=team_comment)


def flags() -> list[Flag]:
    db.session.expire_all()
    return list(db.session.scalars(select(Flag).order_by(Flag.id)))


def audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def hide(client, kind: str, target_id: int, **data):
    return client.post(f"/beheer/moderatie/{kind}/{target_id}/verbergen", data=data)


def restore(client, kind: str, target_id: int, **data):
    return client.post(f"/beheer/moderatie/{kind}/{target_id}/terugzetten", data=data)


def dismiss(client, kind: str, target_id: int, **data):
    return client.post(f"/beheer/moderatie/{kind}/{target_id}/afwijzen", data=data)


# -- flagging ------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for url in (f"/posts/{world.post.id}/melden", f"/reacties/{world.comment.id}/melden"):
        for response in (client.get(url), client.post(url, data={"reason": "spam"})):
            assert response.status_code == 302
            assert "/account/inloggen" in response.headers["Location"]
    assert flags() == []


def test_member_flags_a_post_and_a_second_flag_updates_the_first(client, auth, world):
    auth.login(world.member)
    url = f"/posts/{world.post.id}/melden"
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="flag-form"' in page.get_data(as_text=True)

    response = client.post(url, data={"reason": "personal_data", "explanation": "Een naam."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{world.post.id}"
    [row] = flags()
    assert (row.post_id, row.comment_id, row.user_id) == (world.post.id, None, world.member.id)
    assert (row.reason, row.explanation, row.resolved_at) == ("personal_data", "Een naam.", None)
    assert 'class="flash flash-success"' in client.get(response.headers["Location"]).get_data(True)

    # The form shows the member's open flag; flagging again changes it, no second row.
    assert re.search(r'<input checked[^>]*value="personal_data"', client.get(url).get_data(True))
    again = client.post(url, data={"reason": "spam"})
    assert again.status_code == 302
    [row] = flags()
    assert (row.reason, row.explanation) == ("spam", None)


def test_member_flags_a_comment_but_not_their_own_content(client, auth, world):
    """Issue 13 item 15: nobody flags their own post or comment (they can edit or delete it);
    the page offers no "Report" link for it."""
    auth.login(world.member)  # the comment's own author
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert f'href="/reacties/{world.comment.id}/melden"' not in html
    for url in (f"/reacties/{world.comment.id}/melden",):
        assert client.get(url).status_code == 404
        assert client.post(url, data={"reason": "other", "explanation": "Adres."}
                           ).status_code == 404
    auth.logout()
    auth.login(world.author)  # the post's own author
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert 'id="flag-post-link"' not in html
    assert client.post(f"/posts/{world.post.id}/melden",
                       data={"reason": "wrong_place"}).status_code == 404
    assert flags() == []
    auth.logout()
    auth.login(world.coordinator)  # someone else flags the comment: that counts
    response = client.post(f"/reacties/{world.comment.id}/melden",
                           data={"reason": "personal_data"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{world.post.id}#reactie-{world.comment.id}"
    assert [(r.user_id, r.post_id, r.comment_id, r.reason) for r in flags()] == [
        (world.coordinator.id, None, world.comment.id, "personal_data")]


@pytest.mark.parametrize("data", [
    {"reason": "other", "explanation": "   "},  # "other" needs an explanation
    {"reason": "whatever", "explanation": "Tekst die blijft staan"},  # not a choice
    {"explanation": "Tekst die blijft staan"},  # no reason
    {"reason": "spam", "explanation": "x" * 2001},  # too long
])
def test_bad_flag_input_re_renders_the_form(client, auth, world, data):
    auth.login(world.member)
    response = client.post(f"/posts/{world.post.id}/melden", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and 'class="error"' in html
    if data["explanation"].strip():
        assert data["explanation"][:30] in html  # what the member typed stays
    assert flags() == []


def test_flag_targets_the_member_cannot_see_are_404(client, auth, world, create_comment):
    gone = create_comment(world.post, world.author, "Weg ermee.")
    delete_comment(gone)
    db.session.commit()
    auth.login(world.member)
    urls = [
        f"/posts/{world.team_post.id}/melden",  # team post of another team
        f"/reacties/{world.team_comment.id}/melden",  # comment on it
        f"/reacties/{gone.id}/melden",  # deleted comment
        "/posts/999999/melden", "/reacties/999999/melden", "/posts/99999999999999/melden",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"reason": "spam"}).status_code == 404, url
    assert flags() == []


def test_hidden_content_cannot_be_flagged_by_others(client, auth, world):
    auth.login(world.coordinator)
    hide(client, "posts", world.post.id)
    auth.logout()
    auth.login(world.other)
    assert client.get(f"/posts/{world.post.id}/melden").status_code == 404
    assert client.get(f"/reacties/{world.comment.id}/melden").status_code == 404
    auth.logout()
    auth.login(world.author)  # the author still sees the post (and cannot flag their own)
    assert client.get(f"/posts/{world.post.id}").status_code == 200
    assert client.get(f"/posts/{world.post.id}/melden").status_code == 404


def test_flag_links_on_the_post_page(client, auth, world):
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "flag-link" not in html
    auth.login(world.other)
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert f'class="flag-link" id="flag-post-link" href="/posts/{world.post.id}/melden"' in html
    assert f'class="flag-link" href="/reacties/{world.comment.id}/melden"' in html
    assert 'id="hide-post"' not in html and "comment-hide" not in html


# -- the queue ---------------------------------------------------------------------------------

def test_queue_permissions(client, auth, world):
    assert "/account/inloggen" in client.get("/beheer/moderatie").headers["Location"]
    auth.login(world.member)
    assert client.get("/beheer/moderatie").status_code == 403
    for action in (hide, restore, dismiss):
        assert action(client, "posts", world.post.id).status_code == 403
        assert action(client, "reacties", world.comment.id).status_code == 403
    auth.logout()
    for user in (world.coordinator, world.admin):
        auth.login(user)
        assert client.get("/beheer/moderatie").status_code == 200
        auth.logout()
    db.session.expire_all()
    assert db.session.get(Post, world.post.id).hidden_at is None


def test_moderation_of_invisible_or_missing_targets_is_404(client, auth, world, create_comment):
    gone = create_comment(world.post, world.author, "Weg ermee.")
    delete_comment(gone)
    db.session.commit()
    auth.login(world.coordinator)  # not in Team Zuid
    for action in (hide, restore, dismiss):
        assert action(client, "posts", world.team_post.id).status_code == 404
        assert action(client, "reacties", world.team_comment.id).status_code == 404
        assert action(client, "reacties", gone.id).status_code == 404
        assert action(client, "posts", 999999).status_code == 404
    assert client.post(f"/beheer/moderatie/gebruikers/{world.member.id}/verbergen"
                       ).status_code == 404


def test_queue_groups_open_flags_by_target(client, auth, world, create_user):
    for user, url, reason in ((world.member, f"/posts/{world.post.id}/melden", "spam"),
                              (world.other, f"/posts/{world.post.id}/melden", "offensive"),
                              (world.author, f"/reacties/{world.comment.id}/melden",
                               "personal_data")):
        auth.login(user)
        client.post(url, data={"reason": reason})
        auth.logout()
    auth.login(create_user("Teamgenoot", teams=["Team Zuid"]))
    # flags on the team post, which the coordinator cannot see
    client.post(f"/posts/{world.team_post.id}/melden", data={"reason": "spam"})
    auth.logout()

    auth.login(world.coordinator)
    html = client.get("/beheer/moderatie").get_data(as_text=True)
    groups = re.findall(r'<article class="flag-group" id="([^"]+)"', html)
    assert groups == [f"post-{world.post.id}", f"comment-{world.comment.id}"]  # most flagged first
    assert html.count('class="flag"') == 3
    assert "flag-reason-spam" in html and "flag-reason-offensive" in html
    assert "flag-reason-personal_data" in html
    assert COMMENT_WORD in html  # the excerpt
    assert f'href="/posts/{world.post.id}#reactie-{world.comment.id}"' in html
    assert "Teamoverleg" not in html and 'id="flags-elsewhere"' in html
    # The nav entry counts the targets the coordinator can handle.
    assert re.search(r'id="nav-moderation".*?data-count="2"', html, re.S)


def test_queue_queries_do_not_grow_with_flags(client, auth, world, create_user, create_post,
                                              create_comment):
    def flag_some(n) -> list:
        made = []
        for i in range(n):
            user = create_user()
            post = create_post(user, title=f"Post {i}")
            comment = create_comment(post, user, f"Reactie {i}")
            db.session.add_all([Flag(user_id=user.id, post_id=post.id, reason="spam"),
                                Flag(user_id=user.id, comment_id=comment.id, reason="other",
                                     explanation="Waarom")])
            made.append((post, comment))
        db.session.commit()
        return made

    auth.login(world.coordinator)
    [(post, comment)] = flag_some(1)
    hide(client, "posts", post.id)
    dismiss(client, "reacties", comment.id)
    flag_some(1)
    few = queries_for(client, "/beheer/moderatie")
    for post, comment in flag_some(6)[:3]:
        hide(client, "reacties", comment.id)
        dismiss(client, "posts", post.id)
    many = queries_for(client, "/beheer/moderatie")
    html = client.get("/beheer/moderatie").get_data(as_text=True)
    assert html.count('class="flag-group"') == 8 and html.count('class="resolved-group"') == 8
    assert many == few


def test_nav_count_runs_one_query_for_coordinators_only(client, auth, world):
    auth.login(world.member)
    with counted() as statements:
        assert client.get("/tags").status_code == 200
    assert not [s for s in statements if "flags" in s]
    auth.logout()
    auth.login(world.coordinator)
    with counted() as statements:
        html = client.get("/tags").get_data(as_text=True)
    assert len([s for s in statements if "flags" in s]) == 1
    assert 'id="nav-moderation"' in html and "moderation-count" not in html  # nothing open


# -- hide, restore, dismiss ----------------------------------------------------------------------

def listed(client, url: str, post: Post) -> bool:
    return f'href="/posts/{post.id}"' in client.get(url).get_data(as_text=True)


def searchable(client, word: str, post: Post) -> bool:
    html = client.get(f"/zoeken?q={word}").get_data(as_text=True)
    api = client.get(f"/api/v1/search?q={word}").get_json()
    in_html = f'id="hit-{post.id}"' in html
    assert in_html == (post.id in [item["id"] for item in api["items"]])
    return in_html


@pytest.mark.search
def test_hiding_a_post_hides_it_everywhere_but_for_author_and_coordinators(client, auth, world):
    pages = ["/", "/experimenten", "/experimenten?tag=zwembadpas", "/tags/zwembadpas",
             "/wijken/lombok", f"/leden/{world.author.id}"]
    world.author.public_profile = True  # so anonymous visitors see the member page too
    db.session.commit()
    for url in pages:
        assert listed(client, url, world.post), url
    assert searchable(client, SECRET_WORD, world.post)
    auth.login(world.member)
    client.post(f"/posts/{world.post.id}/melden", data={"reason": "personal_data"})
    auth.logout()

    auth.login(world.coordinator)
    response = hide(client, "posts", world.post.id, note="Naam van een cliënt",
                    next="/beheer/moderatie")
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/moderatie"
    db.session.expire_all()
    post = db.session.get(Post, world.post.id)
    assert post.hidden_at is not None and post.hidden_by_id == world.coordinator.id
    [row] = flags()
    assert (row.resolution, row.resolved_by_id) == ("hidden", world.coordinator.id)
    assert row.resolved_at is not None
    [event] = audit_rows("content.hidden")
    assert (event.actor_id, event.target_type, event.target_id) == (
        world.coordinator.id, "posts", world.post.id)
    assert event.detail == {"reason": "Naam van een cliënt"}
    coordinator_view = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "status-hidden" in coordinator_view and 'id="restore-post"' in coordinator_view
    auth.logout()

    # Others: a 404, and gone from every list and from search (page and API).
    assert client.get(f"/posts/{world.post.id}").status_code == 404
    for url in pages:
        assert not listed(client, url, world.post), url
    assert not searchable(client, SECRET_WORD, world.post)
    auth.login(world.other)
    assert client.get(f"/posts/{world.post.id}").status_code == 404
    for url in pages:
        assert not listed(client, url, world.post), url
    assert not searchable(client, SECRET_WORD, world.post)
    auth.logout()

    # The author still sees it, with the badge.
    auth.login(world.author)
    own = client.get(f"/posts/{world.post.id}")
    assert own.status_code == 200 and "status-hidden" in own.get_data(as_text=True)
    auth.logout()

    # Restoring brings everything back.
    auth.login(world.coordinator)
    response = restore(client, "posts", world.post.id)
    assert response.headers["Location"] == f"/posts/{world.post.id}"
    auth.logout()
    db.session.expire_all()
    assert db.session.get(Post, world.post.id).hidden_at is None
    assert db.session.get(Post, world.post.id).hidden_by_id is None
    [event] = audit_rows("content.restored")
    assert (event.actor_id, event.target_id, event.detail) == (
        world.coordinator.id, world.post.id, {})
    assert client.get(f"/posts/{world.post.id}").status_code == 200
    for url in pages:
        assert listed(client, url, world.post), url
    assert searchable(client, SECRET_WORD, world.post)


def test_hide_without_note_takes_the_flag_reasons(client, auth, world):
    for user, reason in ((world.member, "spam"), (world.other, "offensive")):
        auth.login(user)
        client.post(f"/posts/{world.post.id}/melden", data={"reason": reason})
        auth.logout()
    auth.login(world.coordinator)
    hide(client, "posts", world.post.id)
    # Hiding what is already hidden changes nothing and emits nothing.
    assert hide(client, "posts", world.post.id).status_code == 302
    assert restore(client, "reacties", world.comment.id).status_code == 302  # was not hidden
    [event] = audit_rows("content.hidden")
    assert event.detail == {"reason": "spam, offensive"}
    assert audit_rows("content.restored") == []


@pytest.mark.search
def test_hidden_comment_shows_a_placeholder_to_others(client, auth, world):
    assert searchable(client, COMMENT_WORD, world.post)
    auth.login(world.coordinator)
    post_page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert 'class="inline moderation-form comment-hide"' in post_page
    response = hide(client, "reacties", world.comment.id)
    assert response.headers["Location"] == f"/posts/{world.post.id}#reactie-{world.comment.id}"
    db.session.expire_all()
    comment = db.session.get(Comment, world.comment.id)
    assert comment.hidden_at is not None and comment.hidden_by_id == world.coordinator.id
    [event] = audit_rows("content.hidden")
    assert (event.target_type, event.target_id, event.detail) == (
        "comments", world.comment.id, {"post_id": world.post.id})
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert COMMENT_WORD in html and "comment-restore" in html  # the coordinator reads it
    auth.logout()

    def check_hidden(html: str) -> None:
        assert COMMENT_WORD not in html
        assert "comment-hidden" in html

    check_hidden(client.get(f"/posts/{world.post.id}").get_data(as_text=True))
    for url in ("/", f"/leden/{world.member.id}"):
        assert COMMENT_WORD not in client.get(url).get_data(as_text=True), url
    assert not searchable(client, COMMENT_WORD, world.post)
    assert searchable(client, SECRET_WORD, world.post)  # the post itself stays findable
    auth.login(world.other)
    check_hidden(client.get(f"/posts/{world.post.id}").get_data(as_text=True))
    assert f"/reacties/{world.comment.id}/melden" not in client.get(
        f"/posts/{world.post.id}").get_data(as_text=True)
    for url in ("/", f"/leden/{world.member.id}"):
        assert COMMENT_WORD not in client.get(url).get_data(as_text=True), url
    auth.logout()

    auth.login(world.member)  # its author still reads it, on the post and on their own page
    assert COMMENT_WORD in client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert COMMENT_WORD in client.get(f"/leden/{world.member.id}").get_data(as_text=True)
    auth.logout()

    auth.login(world.coordinator)
    restore(client, "reacties", world.comment.id)
    auth.logout()
    assert COMMENT_WORD in client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert searchable(client, COMMENT_WORD, world.post)
    [event] = audit_rows("content.restored")
    assert (event.target_type, event.target_id) == ("comments", world.comment.id)


def test_dismiss_closes_flags_and_keeps_content(client, auth, world):
    auth.login(world.author)
    client.post(f"/reacties/{world.comment.id}/melden", data={"reason": "offensive"})
    auth.logout()
    auth.login(world.coordinator)
    assert 'id="post-flag-count"' not in client.get(f"/posts/{world.post.id}").get_data(True)
    assert "comment-flag-count" in client.get(f"/posts/{world.post.id}").get_data(True)
    response = dismiss(client, "reacties", world.comment.id)
    assert response.headers["Location"] == "/beheer/moderatie"
    [row] = flags()
    assert (row.resolution, row.resolved_by_id) == ("dismissed", world.coordinator.id)
    db.session.expire_all()
    assert db.session.get(Comment, world.comment.id).hidden_at is None
    [event] = audit_rows("flags.dismissed")
    assert (event.actor_id, event.target_type, event.target_id) == (
        world.coordinator.id, "comments", world.comment.id)
    assert event.detail == {"flags": 1, "reasons": "offensive"}
    assert dismiss(client, "reacties", world.comment.id).status_code == 302  # nothing open
    assert len(audit_rows("flags.dismissed")) == 1

    html = client.get("/beheer/moderatie").get_data(as_text=True)
    assert 'id="no-open-flags"' in html
    assert f'id="resolved-comment-{world.comment.id}"' in html
    assert "resolution-dismissed" in html and "action-restore" not in html

    # A new flag after dismissal opens the target again; the member's old flag stays closed.
    auth.logout()
    auth.login(world.author)
    client.post(f"/reacties/{world.comment.id}/melden", data={"reason": "spam"})
    assert [(r.reason, r.resolution) for r in flags()] == [("offensive", "dismissed"),
                                                          ("spam", None)]


def test_resolved_list_offers_restore_for_hidden_targets(client, auth, world):
    auth.login(world.member)
    client.post(f"/posts/{world.post.id}/melden", data={"reason": "spam"})
    auth.logout()
    auth.login(world.coordinator)
    hide(client, "posts", world.post.id)
    html = client.get("/beheer/moderatie").get_data(as_text=True)
    row = re.search(rf'<tr class="resolved-group" id="resolved-post-{world.post.id}">.*?</tr>',
                    html, re.S).group(0)
    assert "resolution-hidden" in row
    assert f'action="/beheer/moderatie/posts/{world.post.id}/terugzetten"' in row


def test_post_page_hide_button_for_coordinators(client, auth, world):
    auth.login(world.coordinator)
    html = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert f'id="hide-post" method="post" action="/beheer/moderatie/posts/{world.post.id}' \
           '/verbergen"' in html
    assert hide(client, "posts", world.post.id).headers["Location"] == f"/posts/{world.post.id}"
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0
    assert len(audit_rows("content.hidden")) == 1


# -- feeds and the JSON API ------------------------------------------------------------------------

FEEDS = ["/feeds/alles.atom", "/feeds/experimenten.atom", "/feeds/tags/zwembadpas.atom",
         "/feeds/wijken/lombok.atom"]


def test_hidden_post_leaves_feeds_and_the_api(client, auth, world):
    def in_feeds() -> list[bool]:
        return [f"/posts/{world.post.id}" in client.get(url).get_data(as_text=True)
                for url in FEEDS]

    def in_api() -> bool:
        items = client.get("/api/v1/posts").get_json()["items"]
        return world.post.id in [item["id"] for item in items]

    assert in_feeds() == [True] * len(FEEDS) and in_api()
    assert client.get(f"/api/v1/posts/{world.post.id}").status_code == 200
    assert client.get(f"/posts/{world.post.id}/reacties.atom").status_code == 200
    auth.login(world.coordinator)
    hide(client, "posts", world.post.id)
    auth.logout()
    assert in_feeds() == [False] * len(FEEDS) and not in_api()
    assert client.get(f"/api/v1/posts/{world.post.id}").status_code == 404
    assert client.get(f"/api/v1/posts/{world.post.id}/comments").status_code == 404
    assert client.get(f"/posts/{world.post.id}/reacties.atom").status_code == 404


def test_hidden_comment_leaves_the_thread_feed_and_the_api(client, auth, world):
    def comment_texts() -> str:
        return str(client.get(f"/api/v1/posts/{world.post.id}/comments").get_json())

    assert COMMENT_WORD in client.get(f"/posts/{world.post.id}/reacties.atom").get_data(True)
    assert COMMENT_WORD in comment_texts()
    auth.login(world.coordinator)
    hide(client, "reacties", world.comment.id)
    auth.logout()
    assert COMMENT_WORD not in client.get(f"/posts/{world.post.id}/reacties.atom").get_data(True)
    assert COMMENT_WORD not in comment_texts()
    auth.login(world.member)  # its author still reads it through the API
    assert COMMENT_WORD in comment_texts()
