"""In-app notifications: who gets which kind, never twice, never to the actor, never about
content the recipient cannot see; the header badge; the /meldingen page; @mentions and the
name look-up behind the autocomplete."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from learncom import events
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.follow import services
from learncom.follow.mentions import mentioned_users, suggest_names
from learncom.follow.models import Notification
from learncom.frictions.models import StatusChange
from learncom.posts.models import Neighbourhood, Tag
from tests.helpers import counted


def notes(user=None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))


def kinds(user) -> list[str]:
    return [n.kind for n in notes(user)]


def follow(user, target) -> None:
    services.set_following(user, target, True)
    db.session.commit()


def tag(name: str) -> Tag:
    return db.session.scalar(select(Tag).where(Tag.name == name))


# -- who gets what ---------------------------------------------------------------------------------

def test_a_comment_on_your_post_is_a_reply(create_user, create_post, create_comment):
    author, commenter = create_user("Auteur"), create_user("Reageerder")
    post = create_post(author)
    comment = create_comment(post, commenter)
    [note] = notes(author)
    assert (note.kind, note.actor_id, note.post_id, note.comment_id) == (
        "reply", commenter.id, post.id, comment.id)
    assert notes(commenter) == []  # never to the actor


def test_a_reply_to_your_comment(create_user, create_post, create_comment):
    author, first, second = create_user("Auteur"), create_user("Eerste"), create_user("Tweede")
    post = create_post(author)
    parent = create_comment(post, first)
    create_comment(post, second, "Eens!", parent=parent)
    assert kinds(first) == ["reply"]
    # The post's author follows the thread: a comment under someone else's comment.
    assert kinds(author) == ["reply", "comment"]
    assert kinds(second) == []


def test_replying_to_yourself_notifies_no_one_else_twice(create_user, create_post,
                                                         create_comment):
    author = create_user("Auteur")
    post = create_post(author)
    first = create_comment(post, author, "Aanvulling.")
    create_comment(post, author, "Nog een.", parent=first)
    assert notes() == []


def test_followers_of_a_thread_get_comments(create_user, create_post, create_comment):
    author, follower, commenter = (create_user("Auteur"), create_user("Volger"),
                                   create_user("Reageerder"))
    post = create_post(author)
    follow(follower, post)
    create_comment(post, commenter)
    assert kinds(follower) == ["comment"]
    assert kinds(author) == ["reply"]


def test_a_reply_that_mentions_you_in_a_thread_you_follow_is_one_notification(
        create_user, create_post, create_comment):
    author, anke, bert = create_user("Auteur"), create_user("Anke Siegers"), create_user("Bert")
    post = create_post(author)
    parent = create_comment(post, anke, "Mijn ervaring.")  # Anke now follows the thread
    create_comment(post, bert, "@Anke Siegers dank je, herkenbaar.", parent=parent)
    [note] = notes(anke)
    assert note.kind == "reply"


def test_a_mention_beats_following(create_user, create_post, create_comment):
    author, anke, bert = create_user("Auteur"), create_user("Anke Siegers"), create_user("Bert")
    post = create_post(author)
    follow(anke, post)
    create_comment(post, bert, "Wat vind jij, @anke siegers?")
    assert kinds(anke) == ["mention"]


def test_a_mention_reaches_only_members_who_can_see_the_post(create_user, create_post,
                                                             create_comment):
    author = create_user("Auteur", teams=["Team Oost"])
    insider = create_user("Ingrid", teams=["Team Oost"])
    outsider = create_user("Otto")
    post = create_post(author, visibility="team", team="Team Oost")
    create_comment(post, author, "Zie je dit, @Ingrid en @Otto?")
    assert kinds(insider) == ["mention"]
    assert notes(outsider) == []


def test_an_event_is_delivered_at_most_once(create_user, create_post, create_comment):
    author, commenter = create_user("Auteur"), create_user("Reageerder")
    post = create_post(author)
    comment = create_comment(post, commenter)
    events.emit("comment.created", comment=comment, actor=commenter)
    db.session.commit()
    assert kinds(author) == ["reply"]


def test_new_posts_under_a_followed_tag_or_neighbourhood(create_user, create_post):
    seed_author, writer = create_user("Eerste"), create_user("Schrijver")
    tag_fan, hood_fan, both = (create_user("Tagvolger"), create_user("Wijkvolger"),
                               create_user("Allebei"))
    create_post(seed_author, tags=["armoede"], neighbourhood="Overvecht")
    overvecht = db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == "overvecht"))
    follow(tag_fan, tag("armoede"))
    follow(hood_fan, overvecht)
    follow(both, tag("armoede"))
    follow(both, overvecht)
    follow(writer, tag("armoede"))

    post = create_post(writer, tags=["armoede", "werk"], neighbourhood="Overvecht")
    for member in (tag_fan, hood_fan, both):
        [note] = notes(member)
        assert (note.kind, note.post_id, note.actor_id) == ("post", post.id, writer.id)
    assert notes(writer) == []
    assert notes(seed_author) == []

    # A team-only post reaches only followers who are in the team.
    team_writer = create_user("Teamlid", teams=["Team West"])
    insider = create_user("Insider", teams=["Team West"])
    follow(insider, tag("armoede"))
    team_post = create_post(team_writer, tags=["armoede"], visibility="team", team="Team West")
    assert [n.post_id for n in notes(insider)] == [team_post.id]
    assert [n.post_id for n in notes(tag_fan)] == [post.id]


def test_a_friction_status_change_reaches_its_followers(create_user, create_post):
    author = create_user("Melder")
    coordinator = create_user("Coördinator", role="coordinator")
    follower, bystander = create_user("Volger"), create_user("Omstander")
    friction = create_post(author, kind="friction", title="Regel blokkeert")
    follow(follower, friction)
    change = StatusChange(post=friction, actor=coordinator, from_status="raised",
                          to_status="on_agenda", reason="Op de agenda van het overleg.")
    db.session.add(change)
    db.session.flush()
    events.emit("friction.status_changed", post=friction, change=change, actor=coordinator)
    db.session.commit()
    for member in (author, follower):
        [note] = notes(member)
        assert (note.kind, note.post_id, note.event_key) == ("status", friction.id,
                                                             f"status:{change.id}")
        assert services.target_anchor(note) == f"status-change-{change.id}"
    assert notes(coordinator) == [] and notes(bystander) == []


def test_a_curated_lesson_notifies_its_author(create_user, create_post):
    author = create_user("Auteur")
    coordinator = create_user("Coördinator", role="coordinator")
    lesson = create_post(author, kind="lesson", title="Vertrouwen eerst",
                         statement="Eerst luisteren.")
    lesson.curated, lesson.curated_at, lesson.curated_by_id = True, utcnow(), coordinator.id
    db.session.flush()
    events.emit("lesson.curated", post=lesson, actor=coordinator, note="Sterk")
    db.session.commit()
    assert kinds(author) == ["curated"]
    assert notes(coordinator) == []

    # A coordinator who curates their own lesson gets nothing.
    own = create_post(coordinator, kind="lesson", title="Eigen les", statement="Zelf gedaan.")
    own.curated, own.curated_at = True, utcnow()
    events.emit("lesson.curated", post=own, actor=coordinator, note=None)
    db.session.commit()
    assert notes(coordinator) == []


def test_nothing_about_hidden_content(create_user, create_post, create_comment):
    author = create_user("Auteur")
    coordinator = create_user("Coördinator", role="coordinator")
    post = create_post(author)
    post.hidden_at, post.hidden_by_id = utcnow(), coordinator.id
    db.session.commit()
    create_comment(post, coordinator, "Ik kijk hiernaar, @Auteur.")
    assert notes(author) == []


# -- after the fact: hidden or invisible content disappears ----------------------------------------

def test_notifications_about_content_hidden_later_are_not_shown(client, auth, create_user,
                                                                create_post, create_comment):
    author, commenter = create_user("Auteur"), create_user("Reageerder")
    post = create_post(author)
    comment = create_comment(post, commenter, "Een reactie die later verborgen wordt.")
    auth.login(author)
    assert f'id="melding-{notes(author)[0].id}"' in client.get("/meldingen").text
    comment.hidden_at = utcnow()
    db.session.commit()
    html = client.get("/meldingen").text
    assert 'id="melding-' not in html and "verborgen wordt" not in html
    assert 'class="unread-count"' not in html
    note_id = notes(author)[0].id
    assert client.post(f"/meldingen/{note_id}/gelezen").status_code == 404


def test_notifications_about_a_post_you_can_no_longer_see_are_not_shown(
        client, auth, create_user, create_post, create_comment):
    author = create_user("Auteur", teams=["Team Noord"])
    member = create_user("Teamlid", teams=["Team Noord"])
    post = create_post(author, visibility="team", team="Team Noord", title="Geheim plan")
    create_comment(post, author, "Wat denk jij, @Teamlid?")
    auth.login(member)
    assert "Geheim plan" in client.get("/meldingen").text
    member.teams = []
    db.session.commit()
    html = client.get("/meldingen").text
    assert "Geheim plan" not in html and 'class="unread-count"' not in html


# -- the header badge ------------------------------------------------------------------------------

def unread_badge(html: str) -> int | None:
    match = re.search(r'id="notifications-link"[^>]*>.*?<span class="unread-count">(\d+)', html,
                      re.S)
    return int(match.group(1)) if match else None


def test_the_unread_count_in_the_header(client, auth, create_user, create_post, create_comment):
    author = create_user("Auteur")
    post = create_post(author)
    auth.login(author)
    html = client.get("/").text
    assert 'id="notifications-link"' in html and unread_badge(html) is None
    for n in range(3):
        create_comment(post, create_user(f"Reageerder {n}"))
    assert unread_badge(client.get("/").text) == 3

    with counted() as statements:
        client.get("/tags")
    assert sum("FROM notifications" in s for s in statements) == 1

    auth.logout()
    with counted() as statements:
        html = client.get("/tags").text
    assert not any("notifications" in s for s in statements)
    assert 'id="notifications-link"' not in html


# -- the notifications page ------------------------------------------------------------------------

def test_the_notifications_page_lists_newest_first_and_pages(client, auth, app, create_user,
                                                              create_post, create_comment):
    app.config["PER_PAGE"] = 2
    author = create_user("Auteur")
    post = create_post(author)
    comments = [create_comment(post, create_user(f"Reageerder {n}"), f"Reactie {n}")
                for n in range(3)]
    auth.login(author)
    assert client.get("/meldingen").status_code == 200
    html = client.get("/meldingen").text
    ids = [int(i) for i in re.findall(r'id="melding-(\d+)"', html)]
    by_comment = {n.comment_id: n.id for n in notes(author)}
    assert ids == [by_comment[comments[2].id], by_comment[comments[1].id]]
    assert html.count("notification-reply unread") == 2
    page2 = client.get("/meldingen?page=2").text
    assert re.findall(r'id="melding-(\d+)"', page2) == [str(by_comment[comments[0].id])]
    assert client.get("/meldingen?page=abc").status_code == 200


def test_the_notifications_page_does_not_grow_in_queries(client, auth, create_user, create_post,
                                                         create_comment):
    author = create_user("Auteur")
    post = create_post(author)
    create_comment(post, create_user("Eerste"))
    auth.login(author)
    with counted() as few:
        client.get("/meldingen")
    for n in range(8):
        create_comment(post, create_user(f"Reageerder {n}"), f"Reactie {n}")
    with counted() as many:
        client.get("/meldingen")
    assert len(many) == len(few)


def test_following_a_notification_marks_it_read(client, auth, create_user, create_post,
                                                create_comment):
    author, commenter = create_user("Auteur"), create_user("Reageerder")
    post = create_post(author)
    comment = create_comment(post, commenter)
    [note] = notes(author)
    auth.login(author)
    assert client.get(f"/meldingen/{note.id}/gelezen").status_code == 405
    response = client.post(f"/meldingen/{note.id}/gelezen")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}#reactie-{comment.id}")
    assert notes(author)[0].read_at is not None
    html = client.get("/meldingen").text
    assert "unread" not in re.search(r'<li class="([^"]*)" id="melding-', html).group(1)
    assert f'href="/posts/{post.id}#reactie-{comment.id}"' in html


def test_someone_elses_notification_is_404(client, auth, create_user, create_post,
                                           create_comment):
    author, other = create_user("Auteur"), create_user("Ander")
    post = create_post(author)
    create_comment(post, other)
    [note] = notes(author)
    auth.login(other)
    assert client.post(f"/meldingen/{note.id}/gelezen").status_code == 404
    assert client.post("/meldingen/999999/gelezen").status_code == 404
    assert notes(author)[0].read_at is None


def test_mark_all_read(client, auth, create_user, create_post, create_comment):
    author, other = create_user("Auteur"), create_user("Ander")
    post = create_post(author)
    other_post = create_post(other)
    create_comment(post, other)
    create_comment(post, create_user("Derde"))
    create_comment(other_post, author)
    auth.login(author)
    assert client.get("/meldingen/alles-gelezen").status_code == 405
    response = client.post("/meldingen/alles-gelezen")
    assert response.headers["Location"].endswith("/meldingen")
    assert all(n.read_at is not None for n in notes(author))
    assert all(n.read_at is None for n in notes(other))  # only your own


@pytest.mark.parametrize("method,url", [("get", "/meldingen"), ("post", "/meldingen/1/gelezen"),
                                        ("post", "/meldingen/alles-gelezen")])
def test_notifications_need_a_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/account/inloggen" in response.headers["Location"]


# -- @mentions -------------------------------------------------------------------------------------

def test_mention_parsing(create_user):
    anke = create_user("Anke")
    siegers = create_user("Anke Siegers")
    jan = create_user("Jan de Vries")
    former = create_user("Oud Lid")
    former.active = False
    db.session.commit()
    assert mentioned_users("@Anke Siegers, wat vind jij?") == [siegers]
    assert mentioned_users("Dank @anke! En @JAN DE VRIES ook.") == [anke, jan]
    assert mentioned_users("@Ankie en @Niemand Bekend") == []
    assert mentioned_users("Mail naar a@b.nl of anke@example.org") == []
    assert mentioned_users("Ook @Oud Lid") == []
    assert mentioned_users("(@Jan de Vries) en nog eens @jan de vries") == [jan]
    assert mentioned_users("@Anke Siegersen") == [anke]
    assert mentioned_users("") == [] and mentioned_users(None) == []


def test_name_lookup_for_the_autocomplete(client, auth, create_user):
    for n in range(10):
        create_user(f"Anne {n}", email=f"anne{n}@example.org")
    create_user("Marie-Anne Jansen", email="marie@example.org")
    create_user("Bob", email="bob@example.org")
    viewer = create_user("Kijker")
    response = client.get("/leden/namen?q=an")
    assert response.status_code in (302, 401)
    assert "anne" not in response.text.lower()

    auth.login(viewer)
    data = client.get("/leden/namen?q=an").get_json()
    assert len(data["names"]) == 8
    assert all(name.startswith("Anne ") for name in data["names"])
    assert "@" not in client.get("/leden/namen?q=an").text
    assert client.get("/leden/namen?q=jan").get_json() == {"names": ["Marie-Anne Jansen"]}
    assert client.get("/leden/namen?q=a").get_json() == {"names": []}
    assert client.get("/leden/namen").get_json() == {"names": []}
    assert client.get("/leden/namen?q=%25%25").get_json() == {"names": []}
    assert suggest_names("@bo") == ["Bob"]


def test_the_comment_box_gets_the_autocomplete_script(client, auth, create_user, create_post):
    post = create_post(create_user("Auteur"))
    assert "js/mentions.js" not in client.get(f"/posts/{post.id}").text
    auth.login(create_user("Lezer"))
    html = client.get(f"/posts/{post.id}").text
    assert re.search(r'<script src="/static/js/mentions.js[^"]*" defer\s+'
                     r'data-names-url="/leden/namen"', html)
    assert "js/mentions.js" not in client.get("/tags").text


def test_a_plain_text_mention_through_the_comment_form(client, auth, create_user, create_post):
    author, anke, bert = create_user("Auteur"), create_user("Anke Siegers"), create_user("Bert")
    post = create_post(author)
    auth.login(bert)
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Goed idee. @Anke Siegers, kun jij hier iets mee?"})
    assert response.status_code == 302
    [note] = notes(anke)
    assert (note.kind, note.actor_id, note.post_id) == ("mention", bert.id, post.id)
    assert kinds(author) == ["reply"]
    auth.logout()
    auth.login(anke)
    assert unread_badge(client.get("/").text) == 1


def test_a_mention_is_a_link_to_the_member_s_page(client, auth, create_user, create_post):
    """Issue 13 item 15: "@Anke Siegers" in a comment links to her member page (stored with the
    comment, through learncom.markdown's link finders); not in code, not a non-member."""
    author, anke = create_user("Auteur"), create_user("Anke Siegers")
    post = create_post(author)
    auth.login(author)
    client.post(f"/posts/{post.id}/reacties",
                data={"body": "Vraag het @anke siegers. Niet `@Anke Siegers`, niet @Ankie."})
    html = client.get(f"/posts/{post.id}").text
    body = html.split('class="comment-body"')[1].split("</div>")[0]
    assert re.search(rf'<a href="/leden/{anke.id}"[^>]*>@anke siegers</a>\.', body)
    assert "<code>@Anke Siegers</code>" in body and "@Ankie." in body
    assert body.count("<a ") == 1
    # Edited: the link follows the text.
    comment_id = re.search(r'id="reactie-(\d+)"', html).group(1)
    client.post(f"/reacties/{comment_id}/bewerken", data={"body": "Geen vermelding meer."})
    assert f'href="/leden/{anke.id}"' not in client.get(f"/posts/{post.id}").text.split(
        'class="comment-body"')[1].split("</div>")[0]
