"""Perspective balance: who took part in a thread, by member kind, and the flag when no resident
or expert by experience did (on the post page and on cards)."""

from __future__ import annotations

import pytest

from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.reactions import services
from tests.helpers import counted, queries_for
from tests.test_discussion import parse


def panel(client, post) -> dict[str, int]:
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    section = page.by_id("perspectives")
    assert section is not None and section.tag == "section"
    return {li.attrs["data-kind"]: int(li.find_all("span", "perspective-count")[0].text())
            for li in section.find_all("li")}


def page_flagged(client, post) -> bool:
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    return bool(page.by_id("perspectives").find_all(class_="perspective-missing"))


def card_flags(client, url: str) -> dict[int, bool]:
    page = parse(client.get(url).get_data(as_text=True))
    flags = {}
    for card in page.find_all("article", "card"):
        title = card.find_all("h3", "card-title")[0].find_all("a")[0]
        post_id = int(title.attrs["href"].removeprefix("/posts/"))
        flags[post_id] = bool(card.find_all("span", "perspective-missing"))
    return flags


@pytest.fixture
def kinds(create_user):
    return {
        "pro1": create_user("Pro Een", kind="professional"),
        "pro2": create_user("Pro Twee", kind="professional"),
        "resident": create_user("Bewoner", kind="resident"),
        "expert": create_user("Ervaring", kind="expert_by_experience"),
        "volunteer": create_user("Vrijwilliger", kind="volunteer"),
        "civil": create_user("Ambtenaar", kind="civil_servant"),
    }


def test_counts_each_member_once_and_skip_deleted_and_hidden_comments(kinds, create_post,
                                                                       create_comment):
    from learncom.discussion.services import delete_comment

    post = create_post(kinds["pro1"], kind="friction")
    create_comment(post, kinds["pro1"], "De auteur reageert zelf.")
    create_comment(post, kinds["pro2"], "Eén.")
    create_comment(post, kinds["pro2"], "Twee.")
    create_comment(post, kinds["volunteer"], "Vrijwilliger.")
    gone = create_comment(post, kinds["resident"], "Straks weg.")
    delete_comment(gone)
    hidden = create_comment(post, kinds["expert"], "Verborgen.")
    hidden.hidden_at = utcnow()
    other = create_post(kinds["resident"], kind="experiment")
    empty_ids = [other.id, post.id]
    db.session.commit()

    with counted() as statements:
        counts = services.perspective_counts(empty_ids)
    assert len(statements) == 1
    assert counts == {post.id: {"professional": 2, "volunteer": 1},
                      other.id: {"resident": 1}}
    assert services.perspective_counts([]) == {}


def test_thread_and_list_figures_agree(kinds, create_post, create_comment):
    post = create_post(kinds["civil"], kind="lesson")
    for key in ("pro1", "resident", "resident", "expert"):
        create_comment(post, kinds[key])
    hidden = create_comment(post, kinds["volunteer"])
    hidden.hidden_at = utcnow()
    db.session.commit()
    from learncom.discussion.services import iter_thread, thread_for

    comments = [node.comment for node in iter_thread(thread_for(post))]
    expected = {"civil_servant": 1, "professional": 1, "resident": 1, "expert_by_experience": 1}
    assert services.perspective_of_thread(post, comments) == expected
    assert services.perspective_counts([post.id])[post.id] == expected


def test_a_post_without_author_counts_only_its_commenters(app, kinds, create_post,
                                                          create_comment):
    post = create_post(kinds["pro1"])
    create_comment(post, kinds["resident"])
    post.author_id = None
    db.session.commit()
    assert services.perspective_counts([post.id]) == {post.id: {"resident": 1}}


def test_panel_lists_each_kind_that_took_part(client, kinds, create_post, create_comment):
    post = create_post(kinds["pro1"], kind="friction")
    create_comment(post, kinds["pro2"])
    create_comment(post, kinds["pro2"])
    create_comment(post, kinds["resident"])
    create_comment(post, kinds["civil"])
    assert panel(client, post) == {"professional": 2, "resident": 1, "civil_servant": 1}
    # The panel comes before the discussion.
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert html.index('id="perspectives"') < html.index('id="reacties"')


def test_panel_shows_plural_labels_in_english(client, kinds, create_post, create_comment):
    post = create_post(kinds["pro1"])
    create_comment(post, kinds["pro2"])
    create_comment(post, kinds["expert"])
    client.post("/taal", data={"locale": "en"})
    page = parse(client.get(f"/posts/{post.id}").get_data(as_text=True))
    items = [(li.find_all("span", "badge")[0].text(),
              li.find_all("span", "perspective-count")[0].text())
             for li in page.by_id("perspectives").find_all("li")]
    assert items == [("Professionals", "2"), ("Experts by experience", "1")]


def test_professionals_only_thread_is_flagged_until_a_resident_joins(client, auth, kinds,
                                                                     create_post):
    post = create_post(kinds["pro1"], kind="friction", title="Alleen professionals")
    auth.login(kinds["pro2"])
    client.post(f"/posts/{post.id}/reacties", data={"body": "Herkenbaar voor ons team."})
    assert page_flagged(client, post)
    assert card_flags(client, "/fricties") == {post.id: True}
    client.post("/taal", data={"locale": "en"})
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "No residents or experts by experience have taken part yet." in html

    auth.logout()
    auth.login(kinds["resident"])
    client.post(f"/posts/{post.id}/reacties", data={"body": "Ik woon hier en zie het ook."})
    assert not page_flagged(client, post)
    assert card_flags(client, "/fricties") == {post.id: False}
    assert panel(client, post) == {"professional": 2, "resident": 1}


def test_an_expert_by_experience_also_clears_the_flag(client, kinds, create_post,
                                                      create_comment):
    flagged = create_post(kinds["pro1"], kind="experiment", title="Zonder bewoners")
    create_comment(flagged, kinds["volunteer"])
    create_comment(flagged, kinds["civil"])
    cleared = create_post(kinds["pro1"], kind="experiment", title="Met ervaringskennis")
    create_comment(cleared, kinds["expert"])
    by_resident = create_post(kinds["resident"], kind="experiment", title="Door een bewoner")
    assert card_flags(client, "/experimenten") == {
        flagged.id: True, cleared.id: False, by_resident.id: False}
    assert page_flagged(client, flagged)
    assert not page_flagged(client, cleared)
    assert not page_flagged(client, by_resident)


def test_a_deleted_resident_comment_brings_the_flag_back(client, auth, kinds, create_post,
                                                         create_comment):
    post = create_post(kinds["pro1"])
    comment = create_comment(post, kinds["resident"])
    assert not page_flagged(client, post)
    auth.login(kinds["resident"])
    client.post(f"/reacties/{comment.id}/verwijderen")
    assert page_flagged(client, post)
    assert card_flags(client, "/experimenten") == {post.id: True}


def test_list_queries_do_not_grow_with_posts_and_comments(client, auth, kinds, create_post,
                                                          create_comment):
    people = list(kinds.values())

    def add(start, stop):
        for n in range(start, stop):
            post = create_post(people[n % 6], kind=("friction", "experiment", "lesson")[n % 3],
                               title=f"Post {n}")
            for k in range(n % 4):
                create_comment(post, people[(n + k) % 6], f"Reactie {k}")

    add(0, 4)
    auth.login(kinds["pro1"])
    urls = ["/", "/fricties", "/experimenten", "/tags/eenzaamheid"]
    few = {url: queries_for(client, url) for url in urls}
    add(4, 30)
    many = {url: queries_for(client, url) for url in urls}
    assert many == few


def test_card_context_is_one_grouped_query_per_figure(kinds, create_post, create_comment):
    from learncom.reactions.context import card_context

    posts = [create_post(kinds["pro1"], kind=kind, title=f"{kind} {n}")
             for n, kind in enumerate(["friction", "experiment", "friction", "lesson"])]
    create_comment(posts[0], kinds["resident"])
    ids = [post.id for post in posts]
    assert all(ids)
    with counted() as statements:
        extras = card_context(posts, None)
    assert len(statements) == 2
    assert extras[posts[0].id]["perspective_missing"] is False
    assert extras[posts[0].id]["recognise_count"] == 0
    assert extras[posts[2].id]["perspective_missing"] is True
    assert "recognise_count" not in extras[posts[1].id]
