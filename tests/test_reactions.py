"""Reactions ("herkenbaar", "nuttig") on posts and comments: toggling, permissions, the JSON
answer for the script, the redirect without it, counts on pages and cards, and query counts."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select

from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.reactions import services
from learncom.reactions.models import Reaction
from tests.helpers import queries_for
from tests.test_discussion import parse

JSON = {"Accept": "application/json"}
SLUGS = {"recognise": "herkenbaar", "useful": "nuttig"}


def reactions(**where) -> int:
    query = select(func.count()).select_from(Reaction)
    for column, value in where.items():
        query = query.where(getattr(Reaction, column) == value)
    return db.session.scalar(query)


def switch(auth, user):
    """Log in as another member (logging in while logged in keeps the first member)."""
    auth.logout()
    auth.login(user)



# -- toggling --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["recognise", "useful"])
def test_toggling_a_post_reaction_twice_removes_it(client, auth, people, create_post, kind):
    post = create_post(people["author"], kind="friction", title="Wachtlijst schuldhulp")
    switch(auth, people["member"])
    url = f"/posts/{post.id}/{SLUGS[kind]}"

    response = client.post(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}#post-{post.id}"
    assert reactions(post_id=post.id, kind=kind, user_id=people["member"].id) == 1
    other = "useful" if kind == "recognise" else "recognise"
    assert reactions(post_id=post.id, kind=other) == 0

    assert client.post(url).status_code == 302
    assert reactions(post_id=post.id) == 0


@pytest.mark.parametrize("kind", ["recognise", "useful"])
def test_toggling_a_comment_reaction_twice_removes_it(client, auth, people, create_post,
                                                      create_comment, kind):
    post = create_post(people["author"])
    comment = create_comment(post, people["teammate"], "Bij ons precies zo.")
    switch(auth, people["member"])
    url = f"/reacties/{comment.id}/{SLUGS[kind]}"

    response = client.post(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}#reactie-{comment.id}"
    assert reactions(comment_id=comment.id, kind=kind) == 1
    assert reactions(post_id=post.id) == 0

    client.post(url)
    assert reactions(comment_id=comment.id) == 0


def test_both_kinds_and_several_members_count_separately(client, auth, people, create_post):
    post = create_post(people["author"], kind="friction")
    for name in ("member", "teammate", "coordinator"):
        switch(auth, people[name])
        client.post(f"/posts/{post.id}/herkenbaar")
    client.post(f"/posts/{post.id}/nuttig")
    assert services.counts_for_posts([post.id], "recognise") == {post.id: 3}
    assert services.counts_for_posts([post.id], "useful") == {post.id: 1}


def test_json_answer_gives_state_and_count(client, auth, people, create_post, create_comment):
    post = create_post(people["author"], kind="friction")
    comment = create_comment(post, people["teammate"])
    switch(auth, people["coordinator"])
    client.post(f"/posts/{post.id}/herkenbaar")
    switch(auth, people["member"])

    response = client.post(f"/posts/{post.id}/herkenbaar", headers=JSON)
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"active": True, "count": 2}
    assert client.post(f"/posts/{post.id}/herkenbaar", headers=JSON).get_json() == {
        "active": False, "count": 1}

    assert client.post(f"/reacties/{comment.id}/nuttig", headers=JSON).get_json() == {
        "active": True, "count": 1}
    assert client.post(f"/reacties/{comment.id}/nuttig", headers=JSON).get_json() == {
        "active": False, "count": 0}


def test_browser_accept_header_gets_the_redirect(client, auth, people, create_post):
    post = create_post(people["author"])
    switch(auth, people["member"])
    response = client.post(f"/posts/{post.id}/nuttig", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 302


@pytest.mark.parametrize("next_url, expected", [
    ("/tags", "/tags"),
    ("/zoeken?q=wachtlijst", "/zoeken?q=wachtlijst"),
    ("//evil.example/x", None),
    ("https://evil.example/", None),
    ("javascript:alert(1)", None),
])
def test_redirect_follows_only_a_safe_next(client, auth, people, create_post, next_url,
                                           expected):
    post = create_post(people["author"])
    switch(auth, people["member"])
    response = client.post(f"/posts/{post.id}/herkenbaar", data={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == (expected or f"/posts/{post.id}#post-{post.id}")


# -- permissions ---------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_and_nothing_changes(client, people, create_post,
                                                         create_comment):
    post = create_post(people["author"])
    comment = create_comment(post, people["teammate"])
    for url in (f"/posts/{post.id}/herkenbaar", f"/posts/{post.id}/nuttig",
                f"/reacties/{comment.id}/herkenbaar", f"/reacties/{comment.id}/nuttig"):
        response = client.post(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/account/inloggen?next=")
        answer = client.post(url, headers=JSON)
        assert answer.status_code == 401
        assert answer.get_json()["error"]["login"].startswith("/account/inloggen?next=")
    assert reactions() == 0


def test_anonymous_login_next_leads_back_to_the_target(client, people, create_post,
                                                       create_comment):
    post = create_post(people["author"])
    comment = create_comment(post, people["teammate"])
    post_login = client.post(f"/posts/{post.id}/herkenbaar").headers["Location"]
    comment_login = client.post(f"/reacties/{comment.id}/nuttig").headers["Location"]
    assert f"next=/posts/{post.id}%23post-{post.id}" in post_login
    assert f"next=/reacties/{comment.id}" in comment_login


def test_get_is_not_allowed(client, auth, people, create_post):
    post = create_post(people["author"])
    switch(auth, people["member"])
    assert client.get(f"/posts/{post.id}/herkenbaar").status_code == 405
    assert reactions() == 0


def test_members_cannot_react_to_their_own_post_or_comment(client, auth, people, create_post,
                                                           create_comment):
    post = create_post(people["author"])
    own_comment = create_comment(post, people["member"])
    switch(auth, people["author"])
    assert client.post(f"/posts/{post.id}/herkenbaar").status_code == 403
    assert client.post(f"/posts/{post.id}/nuttig", headers=JSON).status_code == 403
    switch(auth, people["member"])
    assert client.post(f"/reacties/{own_comment.id}/herkenbaar").status_code == 403
    # ...but the author of the post may react to comments on it, and vice versa.
    assert client.post(f"/posts/{post.id}/herkenbaar").status_code == 302
    switch(auth, people["author"])
    assert client.post(f"/reacties/{own_comment.id}/nuttig").status_code == 302
    assert reactions() == 2


def test_toggle_service_refuses_own_content_and_bad_arguments(people, create_post,
                                                              create_comment):
    post = create_post(people["author"])
    comment = create_comment(post, people["member"])
    with pytest.raises(services.ReactionError):
        services.toggle(people["author"], "recognise", post=post)
    with pytest.raises(services.ReactionError):
        services.toggle(people["member"], "useful", comment=comment)
    with pytest.raises(ValueError):
        services.toggle(people["member"], "like", post=post)
    with pytest.raises(ValueError):
        services.toggle(people["member"], "recognise")
    with pytest.raises(ValueError):
        services.toggle(people["member"], "recognise", post=post, comment=comment)
    assert reactions() == 0


@pytest.mark.parametrize("viewer, expected", [
    ("author", 403),        # own post
    ("teammate", 302),      # in the team
    ("outsider", 404),      # another team's member: cannot see it
    ("member", 404),        # in no team
    ("coordinator", 404),   # team-only posts are for the team, coordinators included
])
def test_team_only_post_matrix(client, auth, people, create_post, create_comment, viewer,
                               expected):
    post = create_post(people["author"], visibility="team", team="Team Noord")
    comment = create_comment(post, people["author"], "Alleen voor het team.")
    switch(auth, people[viewer])
    for url in (f"/posts/{post.id}/herkenbaar", f"/posts/{post.id}/nuttig",
                f"/reacties/{comment.id}/herkenbaar", f"/reacties/{comment.id}/nuttig"):
        assert client.post(url).status_code == expected, url
    assert reactions() == (4 if expected == 302 else 0)


@pytest.mark.parametrize("viewer, expected", [
    ("member", 302), ("outsider", 302), ("coordinator", 302), ("teammate", 302),
])
def test_members_only_post_is_open_to_every_member(client, auth, people, create_post, viewer,
                                                   expected):
    post = create_post(people["author"], visibility="members")
    switch(auth, people[viewer])
    assert client.post(f"/posts/{post.id}/herkenbaar").status_code == expected


def test_unknown_targets_answer_404(client, auth, people):
    switch(auth, people["member"])
    for url in ("/posts/999999/herkenbaar", "/reacties/999999/nuttig",
                "/posts/99999999999999999999/herkenbaar", "/reacties/0/herkenbaar",
                "/posts/1/leuk"):
        assert client.post(url).status_code == 404, url


def test_deleted_comment_answers_404(client, auth, people, create_post, create_comment):
    post = create_post(people["author"])
    comment = create_comment(post, people["teammate"])
    switch(auth, people["teammate"])
    client.post(f"/reacties/{comment.id}/verwijderen")
    switch(auth, people["member"])
    assert client.post(f"/reacties/{comment.id}/herkenbaar").status_code == 404
    switch(auth, people["coordinator"])
    assert client.post(f"/reacties/{comment.id}/nuttig").status_code == 404
    assert reactions() == 0


def test_hidden_comment_answers_404_except_to_coordinators(client, auth, people, create_post,
                                                          create_comment):
    post = create_post(people["author"])
    comment = create_comment(post, people["teammate"], "Verborgen tekst.")
    comment.hidden_at = utcnow()
    comment.hidden_by_id = people["coordinator"].id
    switch(auth, people["member"])
    assert client.post(f"/reacties/{comment.id}/herkenbaar").status_code == 404
    switch(auth, people["coordinator"])
    assert client.post(f"/reacties/{comment.id}/herkenbaar").status_code == 302
    assert reactions(comment_id=comment.id) == 1


def test_hidden_post_answers_404_except_to_coordinators(client, auth, people, create_post):
    post = create_post(people["author"])
    post.hidden_at = utcnow()
    post.hidden_by_id = people["coordinator"].id
    switch(auth, people["member"])
    assert client.post(f"/posts/{post.id}/herkenbaar").status_code == 404
    switch(auth, people["coordinator"])
    assert client.post(f"/posts/{post.id}/herkenbaar").status_code == 302


def test_comment_on_a_team_post_answers_404_to_outsiders(client, auth, people, create_post,
                                                         create_comment):
    post = create_post(people["author"], visibility="team", team="Team Noord")
    comment = create_comment(post, people["teammate"])
    switch(auth, people["outsider"])
    assert client.post(f"/reacties/{comment.id}/herkenbaar", headers=JSON).status_code == 404


# -- concurrency ---------------------------------------------------------------------------

def test_a_concurrent_insert_is_caught_in_a_savepoint(app, people, create_post):
    """Another request adds the same reaction between this request's check and its insert:
    the unique index refuses the second row, and the toggle still reports "on" without
    spoiling the transaction."""
    post = create_post(people["author"], kind="friction")
    member = people["member"]
    db.session.commit()
    sneaky_insert = ("INSERT INTO reactions (user_id, post_id, kind, created_at) "  # noqa: S608
                     f"VALUES ({member.id}, {post.id}, 'recognise', CURRENT_TIMESTAMP)")
    fired = []

    def sneak_in(conn, cursor, statement, parameters, context, executemany):
        # Just before the savepoint, as if another request had committed the same row.
        if not fired and statement.lstrip().upper().startswith("SAVEPOINT"):
            fired.append(True)
            cursor.execute(sneaky_insert)

    event.listen(db.engine, "before_cursor_execute", sneak_in)
    try:
        assert services.toggle(member, "recognise", post=post) is True
    finally:
        event.remove(db.engine, "before_cursor_execute", sneak_in)
    assert fired
    db.session.commit()  # the transaction is still usable after the refused insert
    assert reactions(post_id=post.id) == 1
    assert services.toggle(member, "recognise", post=post) is False
    db.session.commit()
    assert reactions(post_id=post.id) == 0


def test_double_post_at_once_never_fails(app, people, create_post):
    from tests.conftest import DEFAULT_PASSWORD

    post = create_post(people["author"], kind="friction")
    url, email = f"/posts/{post.id}/herkenbaar", people["member"].email
    db.session.commit()  # the test holds no lock while the requests run
    client = app.test_client()
    client.post("/account/inloggen", data={"email": email, "password": DEFAULT_PASSWORD})
    cookie = client.get_cookie("session")
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def press():
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        with app.app_context():
            barrier.wait()
            statuses.append(other.post(url, headers=JSON).status_code)
            db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 4
    if db.engine.dialect.name == "sqlite":
        assert reactions() == 0  # writers queue up: four toggles one after the other
    else:
        assert reactions() <= 1  # simultaneous adds collapse into one reaction


# -- pages -----------------------------------------------------------------------------------

def reaction_forms(node, kind):
    return node.find_all("form", f"reaction-{kind}")


def test_post_page_shows_forms_with_state_and_counts(client, auth, people, create_post):
    post = create_post(people["author"], kind="friction")
    for name in ("teammate", "coordinator"):
        switch(auth, people[name])
        client.post(f"/posts/{post.id}/herkenbaar")
    switch(auth, people["member"])
    client.post(f"/posts/{post.id}/nuttig")

    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    (recognise,) = reaction_forms(page, "recognise")
    (useful,) = reaction_forms(page, "useful")
    assert "reaction-form" in recognise.classes
    assert recognise.attrs["method"] == "post"
    assert recognise.attrs["action"] == f"/posts/{post.id}/herkenbaar"
    assert useful.attrs["action"] == f"/posts/{post.id}/nuttig"
    (button,) = recognise.find_all("button", "reaction-toggle")
    assert button.attrs["aria-pressed"] == "false"
    assert recognise.find_all("span", "reaction-count")[0].text().strip() == "2"
    assert useful.find_all("button", "reaction-toggle")[0].attrs["aria-pressed"] == "true"
    assert useful.find_all("span", "reaction-count")[0].text().strip() == "1"
    # The forms sit in the post's action bar, and the script is loaded from a file.
    assert any("post-actions" in a.classes for a in recognise.ancestors())
    scripts = [s.attrs.get("src") for s in page.find_all("script")]
    assert "/static/js/reactions.js" in scripts


def test_anonymous_and_author_see_counts_but_no_buttons(client, auth, people, create_post):
    post = create_post(people["author"])
    switch(auth, people["member"])
    client.post(f"/posts/{post.id}/herkenbaar")
    auth.logout()

    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert not page.find_all("form", "reaction-form")
    (summary,) = page.find_all("span", "reaction-summary")[:1]
    assert "reaction-recognise" in summary.classes
    assert summary.find_all("span", "reaction-count")[0].text().strip() == "1"
    (login,) = page.find_all("a", "reaction-login")
    assert login.attrs["href"].startswith("/account/inloggen?next=")

    switch(auth, people["author"])
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert not page.find_all("form", "reaction-form")
    assert not page.find_all("a", "reaction-login")
    assert [s.find_all("span", "reaction-count")[0].text().strip()
            for s in page.find_all("span", "reaction-summary")] == ["1", "0"]


def test_comments_show_forms_and_counts(client, auth, people, create_post, create_comment):
    post = create_post(people["author"])
    theirs = create_comment(post, people["teammate"], "Eerste reactie.")
    mine = create_comment(post, people["member"], "Mijn reactie.")
    switch(auth, people["coordinator"])
    client.post(f"/reacties/{theirs.id}/herkenbaar")
    client.post(f"/reacties/{mine.id}/nuttig")
    switch(auth, people["member"])
    client.post(f"/reacties/{theirs.id}/herkenbaar")

    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    their_article = page.by_id(f"reactie-{theirs.id}")
    (recognise,) = reaction_forms(their_article, "recognise")
    assert recognise.attrs["action"] == f"/reacties/{theirs.id}/herkenbaar"
    assert any("comment-actions" in a.classes for a in recognise.ancestors())
    assert recognise.find_all("button", "reaction-toggle")[0].attrs["aria-pressed"] == "true"
    assert recognise.find_all("span", "reaction-count")[0].text().strip() == "2"
    (useful,) = reaction_forms(their_article, "useful")
    assert useful.attrs["action"] == f"/reacties/{theirs.id}/nuttig"
    assert useful.find_all("span", "reaction-count")[0].text().strip() == "0"
    # On my own comment: the count others gave, no button.
    my_article = page.by_id(f"reactie-{mine.id}")
    assert not my_article.find_all("form", "reaction-form")
    (summary,) = my_article.find_all("span", "reaction-summary")
    assert "reaction-useful" in summary.classes
    assert summary.find_all("span", "reaction-count")[0].text().strip() == "1"

    auth.logout()
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    their_article = page.by_id(f"reactie-{theirs.id}")
    assert not page.find_all("form", "reaction-form")
    (summary,) = their_article.find_all("span", "reaction-summary")
    assert "reaction-recognise" in summary.classes
    assert summary.find_all("span", "reaction-count")[0].text().strip() == "2"


def test_deleted_and_hidden_comments_get_no_buttons(client, auth, people, create_post,
                                                    create_comment):
    post = create_post(people["author"])
    deleted = create_comment(post, people["teammate"], "Weg.")
    hidden = create_comment(post, people["teammate"], "Verborgen.")
    hidden.hidden_at = utcnow()
    switch(auth, people["teammate"])
    client.post(f"/reacties/{deleted.id}/verwijderen")
    switch(auth, people["member"])
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert not page.by_id(f"reactie-{deleted.id}").find_all("form", "reaction-form")
    assert not page.by_id(f"reactie-{hidden.id}").find_all("form", "reaction-form")
    switch(auth, people["coordinator"])
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert len(page.by_id(f"reactie-{hidden.id}").find_all("form", "reaction-form")) == 2


def test_counts_for_comments_in_one_query(people, create_post, create_comment):
    post = create_post(people["author"])
    first = create_comment(post, people["teammate"])
    second = create_comment(post, people["teammate"])
    services.toggle(people["member"], "recognise", comment=first)
    services.toggle(people["coordinator"], "recognise", comment=first)
    services.toggle(people["member"], "useful", comment=first)
    db.session.commit()
    assert services.counts_for_comments([first.id, second.id]) == {
        first.id: {"recognise": 2, "useful": 1},
        second.id: {"recognise": 0, "useful": 0},
    }
    assert services.counts_for_comments([]) == {}
    assert services.counts_for_posts([]) == {}


def test_post_page_queries_do_not_grow_with_comments_and_reactions(client, auth, people,
                                                                   create_user, create_post,
                                                                   create_comment):
    post = create_post(people["author"], kind="friction")
    voters = [create_user(f"Stem {n}", kind="resident") for n in range(6)]

    def add(start, stop):
        for n in range(start, stop):
            comment = create_comment(post, voters[n % 6], f"Reactie {n}")
            for voter in voters[:3]:
                if voter.id != comment.author_id:
                    services.toggle(voter, "recognise", comment=comment)
            if n < 6:
                services.toggle(voters[n], "useful", post=post)
        db.session.commit()

    add(0, 2)
    auth.login(voters[0])
    few = queries_for(client, f"/posts/{post.id}")
    add(2, 30)
    many = queries_for(client, f"/posts/{post.id}")
    assert many == few
    auth.logout()
    assert queries_for(client, f"/posts/{post.id}") <= few


def test_reaction_state_for_the_thread_is_one_query(people, create_post, create_comment):
    from tests.helpers import counted

    post = create_post(people["author"])
    comments = [create_comment(post, people["teammate"], f"R{n}") for n in range(5)]
    for comment in comments:
        services.toggle(people["member"], "recognise", comment=comment)
    services.toggle(people["member"], "useful", post=post)
    db.session.commit()
    member, post_id = people["member"], post.id  # load them before counting
    assert member.id and post_id
    with counted() as statements:
        for_post, for_comments = services.thread_state(post, member)
    assert len(statements) == 1
    assert for_post == {"recognise": {"count": 0, "active": False},
                        "useful": {"count": 1, "active": True}}
    assert all(for_comments[c.id]["recognise"] == {"count": 1, "active": True}
               for c in comments)


# -- friction cards ------------------------------------------------------------------------

def test_friction_cards_show_how_widely_felt(client, auth, people, create_post):
    felt = create_post(people["author"], kind="friction", title="Veel gevoeld")
    quiet = create_post(people["author"], kind="friction", title="Stil")
    experiment = create_post(people["author"], kind="experiment", title="Proef")
    for name in ("member", "teammate", "coordinator"):
        switch(auth, people[name])
        client.post(f"/posts/{felt.id}/herkenbaar")
    client.post(f"/posts/{experiment.id}/herkenbaar")

    page = parse(client.get("/fricties").get_data(as_text=True))
    counts = {}
    for card in page.find_all("article", "card"):
        link = card.find_all("a")
        href = next(a.attrs["href"] for a in link if a.attrs.get("href", "").startswith("/posts/"))
        spans = card.find_all("span", "card-recognise-count")
        counts[int(href.removeprefix("/posts/"))] = [s.attrs["data-count"] for s in spans]
    assert counts[felt.id] == ["3"]
    assert counts[quiet.id] == ["0"]
    # Experiments do not show the figure.
    page = parse(client.get("/experimenten").get_data(as_text=True))
    assert not page.find_all("span", "card-recognise-count")


def test_friction_list_queries_do_not_grow_with_reactions(client, auth, people, create_user,
                                                          create_post):
    voters = [create_user(f"Stem {n}", kind="resident") for n in range(4)]

    def add(start, stop):
        for n in range(start, stop):
            post = create_post(people["author"], kind="friction", title=f"Frictie {n}")
            for voter in voters[: n % 5]:
                services.toggle(voter, "recognise", post=post)
        db.session.commit()

    add(0, 3)
    switch(auth, people["member"])
    few = queries_for(client, "/fricties")
    add(3, 20)
    many = queries_for(client, "/fricties")
    assert many == few


def test_labels_in_english(client, auth, people, create_post):
    post = create_post(people["author"], kind="friction")
    switch(auth, people["member"])
    client.post(f"/posts/{post.id}/herkenbaar")
    client.post("/taal", data={"locale": "en"})
    html = client.get("/fricties").get_data(as_text=True)
    assert "1 × recognisable" in html
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    labels = [s.text().strip() for s in page.find_all("span", "reaction-label")]
    assert labels == ["Recognisable", "Useful"]
