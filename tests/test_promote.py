"""Promoting a comment or a whole thread into a draft lesson or friction: the prefilled form,
permissions, saving, and provenance shown both ways (new post → source, comment → new post)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from learncom.audit.models import AuditEvent
from learncom.curation.models import Promotion
from learncom.extensions import db
from learncom.posts.models import Post, PostLink
from learncom.reactions.models import Reaction
from tests.helpers import counted


class Page(HTMLParser):
    """Start tags with attributes, and the text and value of form fields."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.textareas: dict[str, str] = {}
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "textarea":
            self._textarea = attrs.get("name")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data

    def find(self, tag=None, class_=None, **attrs) -> list[dict]:
        return [a for t, a in self.tags if (tag is None or t == tag)
                and (class_ is None or class_ in a.get("class", "").split())
                and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def value(self, name: str) -> str | None:
        for attrs in self.find("input", name=name):
            return attrs.get("value", "")
        text = self.textareas.get(name)
        # A newline right after <textarea> is not part of its value (HTML parsing rules).
        return text.removeprefix("\r\n").removeprefix("\n") if text is not None else None

    def selected(self, name: str) -> str | None:
        inside = False
        for tag, attrs in self.tags:
            if tag == "select":
                inside = attrs.get("name") == name
            elif inside and tag == "option" and "selected" in attrs:
                return attrs.get("value", "")
        return None


def page(response) -> Page:
    return Page(response.get_data(as_text=True))



@pytest.fixture
def source(people, create_post, create_comment):
    post = create_post(people["author"], kind="friction", title="Elke hulpvraag een indicatie",
                       body="Voor **elke** kleine vraag moet een nieuwe indicatie komen.",
                       tags=["wmo", "regelreflex"], neighbourhood="Overvecht")
    comment = create_comment(
        post, people["commenter"],
        "Wij vragen eerst wat iemand zelf wil. Daarna pas het formulier!\nDat scheelt weken.")
    return post, comment



def lesson_form(**extra) -> dict:
    data = {"title": "Vraag eerst wat iemand wil", "body": "> Citaat", "tags": "wmo, leren",
            "visibility": "public", "statement": "Vraag eerst wat iemand wil.",
            "confidence": "single_observation", "neighbourhood": ""}
    data.update(extra)
    return data


# -- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403),
                                         ("coordinator", 200), ("admin", 200)])
def test_promote_comment_form_permissions(client, auth, login_as, people, source, who, status):
    post, comment = source
    login_as(who)
    response = client.get(f"/reacties/{comment.id}/promoveren/les")
    assert response.status_code == status
    if status == 302:
        assert "/account/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403),
                                         ("coordinator", 200), ("admin", 200)])
def test_promote_thread_form_permissions(client, auth, login_as, people, source, who, status):
    post, _ = source
    login_as(who)
    assert client.get(f"/posts/{post.id}/promoveren/frictie").status_code == status


@pytest.mark.parametrize("who", ["anonymous", "member", "author"])
def test_only_coordinators_can_save_a_promotion(client, auth, login_as, people, source, who):
    post, comment = source
    login_as(who)
    response = client.post(f"/reacties/{comment.id}/promoveren/les", data=lesson_form())
    assert response.status_code in (302, 403)
    response = client.post(f"/posts/{post.id}/promoveren/les", data=lesson_form())
    assert response.status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_promote_404s(client, auth, people, source, create_post, create_comment):
    post, comment = source
    team_post = create_post(people["author"], title="Teamlog", visibility="team",
                            team="Team Noord")
    team_comment = create_comment(team_post, people["author"], "Binnen het team.")
    deleted = create_comment(post, people["commenter"], "Weg ermee.")
    hidden = create_comment(post, people["commenter"], "Verborgen.")
    hidden.hidden_at = datetime.now(UTC)
    db.session.commit()
    from learncom.discussion import services as discussion_services

    discussion_services.delete_comment(deleted)
    db.session.commit()
    auth.login(people["coordinator"])
    for url in (f"/reacties/{comment.id}/promoveren/experiment",
                f"/reacties/{comment.id}/promoveren/onzin",
                f"/reacties/{team_comment.id}/promoveren/les",
                f"/reacties/{deleted.id}/promoveren/les",
                f"/reacties/{hidden.id}/promoveren/les",
                "/reacties/999999/promoveren/les",
                f"/posts/{team_post.id}/promoveren/les",
                f"/posts/{post.id}/promoveren/experiment",
                "/posts/999999/promoveren/frictie"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=lesson_form()).status_code == 404, url
    assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0


# -- the draft ---------------------------------------------------------------------------------

def test_comment_draft_is_prefilled_and_stores_nothing(client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    before = db.session.scalar(select(func.count()).select_from(Post))
    response = client.get(f"/reacties/{comment.id}/promoveren/les")
    form = page(response)
    assert form.find("form", id="post-form", action=f"/reacties/{comment.id}/promoveren/les")
    # A working title naming the post it came from, never the comment's first sentence
    # (often a greeting such as "Leuk dat jullie het gaan proberen!").
    assert form.value("title") == "Les uit: Elke hulpvraag een indicatie"
    assert form.value("statement") == "Wij vragen eerst wat iemand zelf wil."
    body = form.value("body")
    assert body.startswith("> Wij vragen eerst wat iemand zelf wil. Daarna pas het formulier!\n"
                           "> Dat scheelt weken.")
    assert "Bea Bewoner" in body
    assert f"/posts/{post.id}#reactie-{comment.id}" in body
    assert form.value("tags") == "regelreflex, wmo"
    assert form.selected("neighbourhood") == str(post.neighbourhood_id)
    assert form.selected("visibility") == "public"
    # The provenance notice links to the comment.
    assert form.find("a", class_="provenance-source",
                     href=f"/posts/{post.id}#reactie-{comment.id}")
    assert db.session.scalar(select(func.count()).select_from(Post)) == before
    assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0


def test_friction_draft_from_a_comment(client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    form = page(client.get(f"/reacties/{comment.id}/promoveren/frictie"))
    assert form.find("form", id="post-form", action=f"/reacties/{comment.id}/promoveren/frictie")
    assert form.value("title") == "Frictie uit: Elke hulpvraag een indicatie"
    assert form.find("select", name="obstacle_type")
    assert form.value("statement") is None


def test_draft_from_a_team_thread_stays_team_only(client, auth, people, create_post,
                                                   create_comment):
    post = create_post(people["author"], title="Teamlog", visibility="team", team="Team Noord")
    comment = create_comment(post, people["author"], "Dit moet beter.")
    coordinator = people["coordinator"]
    from learncom.accounts.services import get_or_create_team

    coordinator.teams = [get_or_create_team("Team Noord")]
    db.session.commit()
    auth.login(coordinator)
    form = page(client.get(f"/reacties/{comment.id}/promoveren/les"))
    assert form.selected("visibility") == "team"
    assert form.selected("team") == str(post.team_id)


def test_thread_draft_quotes_the_summary_and_best_comments(
        client, auth, people, source, create_comment):
    post, first = source
    short = create_comment(post, people["member"], "Kort.")
    liked = create_comment(post, people["member"], "Deze reactie vond iedereen nuttig.")
    for user in (people["author"], people["commenter"], people["coordinator"]):
        db.session.add(Reaction(user_id=user.id, comment_id=liked.id, kind="useful"))
    filler = [create_comment(post, people["author"], f"Nog een lange gedachte nummer {n}.")
              for n in range(5)]
    db.session.commit()
    auth.login(people["coordinator"])
    form = page(client.get(f"/posts/{post.id}/promoveren/les"))
    assert form.find("form", id="post-form", action=f"/posts/{post.id}/promoveren/les")
    assert form.value("title") == f"Les uit: {post.title}"
    body = form.value("body")
    assert "Voor elke kleine vraag moet een nieuwe indicatie komen." in body
    assert f"#reactie-{liked.id}" in body and f"#reactie-{first.id}" in body
    assert f"#reactie-{short.id}" not in body
    quoted = [int(n) for n in re.findall(r"#reactie-(\d+)", body)]
    assert len(quoted) == 5 and quoted == sorted(quoted)
    assert set(quoted) <= {first.id, liked.id, *(c.id for c in filler)}
    assert form.find("a", class_="provenance-source", href=f"/posts/{post.id}#reacties")


# -- saving ------------------------------------------------------------------------------------

def test_saving_a_comment_promotion_keeps_provenance_both_ways(
        client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    response = client.post(f"/reacties/{comment.id}/promoveren/les", data=lesson_form())
    new = db.session.scalars(select(Post).where(Post.id != post.id)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{new.id}")
    assert (new.kind, new.title, new.author_id) == (
        "lesson", "Vraag eerst wat iemand wil", people["coordinator"].id)
    promotion = db.session.scalars(select(Promotion)).one()
    assert (promotion.post_id, promotion.source_post_id, promotion.source_comment_id,
            promotion.promoted_by_id) == (new.id, post.id, comment.id, people["coordinator"].id)
    link = db.session.scalars(select(PostLink)).one()
    assert (link.source_id, link.target_id, link.relation) == (new.id, post.id, "learned_from")
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "post.promoted")
                               ).one()
    assert (audit.actor_id, audit.target_type, audit.target_id) == (
        people["coordinator"].id, "posts", new.id)
    assert audit.detail["source_comment"] == comment.id
    assert audit.detail["source_post"] == post.id

    # Until it is published the draft is the coordinators' only: not under the comment, not
    # for its author or anyone else. Coordinators find it in the curation queue.
    assert new.is_draft and new.shared_with_coordinators
    queue = page(client.get("/curatie"))
    assert queue.find("li", **{"data-post-id": str(new.id)})
    assert queue.find("a", href=f"/posts/{new.id}")
    auth.logout()
    assert client.get(f"/posts/{new.id}").status_code == 404
    assert not page(client.get(f"/posts/{post.id}")).find("a", class_="comment-promoted")
    auth.login(people["commenter"])
    assert client.get(f"/posts/{new.id}").status_code == 404
    auth.logout()
    auth.login(people["admin"])  # another coordinator finishes it
    assert client.post(f"/posts/{new.id}/publiceren").status_code == 302
    auth.logout()

    # The new post shows where it came from ...
    new_page = page(client.get(f"/posts/{new.id}"))
    assert new_page.find("aside", id="provenance")
    assert new_page.find("a", class_="provenance-source",
                         href=f"/posts/{post.id}#reactie-{comment.id}")
    # ... and the comment shows what it led to.
    source_page = page(client.get(f"/posts/{post.id}"))
    assert source_page.find("a", class_="comment-promoted", href=f"/posts/{new.id}")


def test_a_promoted_lesson_is_curated_after_it_is_published_not_before(
        client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    form = page(client.get(f"/reacties/{comment.id}/promoveren/les"))
    assert not form.find("input", name="curated")
    assert form.find("button", id="save-draft")
    client.post(f"/reacties/{comment.id}/promoveren/les", data=lesson_form(curated="y"))
    new = db.session.scalars(select(Post).where(Post.id != post.id)).one()
    assert new.is_draft and new.curated is False


def test_saving_a_thread_promotion(client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    data = {"title": "Indicaties stapelen zich op", "body": "Uit de discussie.",
            "tags": "wmo", "visibility": "public", "obstacle_type": "procedure",
            "change_status": "raised", "neighbourhood": ""}
    response = client.post(f"/posts/{post.id}/promoveren/frictie", data=data)
    assert response.status_code == 302
    new = db.session.scalars(select(Post).where(Post.id != post.id)).one()
    assert (new.kind, new.obstacle_type) == ("friction", "procedure")
    promotion = db.session.scalars(select(Promotion)).one()
    assert (promotion.source_post_id, promotion.source_comment_id) == (post.id, None)
    assert db.session.scalar(select(func.count()).select_from(PostLink).where(
        PostLink.source_id == new.id, PostLink.target_id == post.id,
        PostLink.relation == "learned_from")) == 1
    client.post(f"/posts/{new.id}/publiceren")
    new_page = page(client.get(f"/posts/{new.id}"))
    assert new_page.find("a", class_="provenance-source", href=f"/posts/{post.id}#reacties")
    source_page = page(client.get(f"/posts/{post.id}"))
    assert source_page.find("a", class_="thread-promoted", href=f"/posts/{new.id}")
    assert not source_page.find("a", class_="comment-promoted")


def test_invalid_promote_form_keeps_the_input(client, auth, people, source):
    post, comment = source
    auth.login(people["coordinator"])
    data = lesson_form(title="", statement="", body="Mijn eigen woorden", tags="a, b")
    response = client.post(f"/reacties/{comment.id}/promoveren/les", data=data)
    assert response.status_code == 200
    form = page(response)
    assert form.value("body") == "Mijn eigen woorden"
    assert form.value("tags") == "a, b"
    assert form.find("input", name="title", **{"aria-invalid": "true"})
    assert form.find("input", name="statement", **{"aria-invalid": "true"})
    assert form.find("form", id="post-form", action=f"/reacties/{comment.id}/promoveren/les")
    assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_provenance_is_hidden_from_viewers_who_cannot_see_either_side(
        client, auth, people, create_post, create_comment):
    team_post = create_post(people["author"], title="Teamlog", visibility="team",
                            team="Team Noord")
    comment = create_comment(team_post, people["author"], "Wat we leerden in het team.")
    coordinator = people["coordinator"]
    auth.login(coordinator)
    # The coordinator is not in the team, so cannot see the thread: 404.
    assert client.get(f"/reacties/{comment.id}/promoveren/les").status_code == 404
    from learncom.accounts.services import get_or_create_team

    coordinator.teams = [get_or_create_team("Team Noord")]
    db.session.commit()
    response = client.post(f"/reacties/{comment.id}/promoveren/les",
                           data=lesson_form(visibility="public"))
    assert response.status_code == 302
    new = db.session.scalars(select(Post).where(Post.id != team_post.id)).one()
    client.post(f"/posts/{new.id}/publiceren")
    auth.logout()
    # The public lesson does not reveal the team-only thread it came from.
    public_page = page(client.get(f"/posts/{new.id}"))
    assert not public_page.find("aside", id="provenance")
    assert not public_page.find("a", href=f"/posts/{team_post.id}#reactie-{comment.id}")
    # And a team lesson drawn from a public comment is not shown under that comment.
    pub = create_post(people["author"], title="Openbaar")
    pub_comment = create_comment(pub, people["commenter"], "Openbare gedachte.")
    auth.login(coordinator)
    client.post(f"/reacties/{pub_comment.id}/promoveren/les",
                data=lesson_form(visibility="team", team=str(team_post.team_id)))
    team_lesson = db.session.scalars(select(Promotion).where(
        Promotion.source_comment_id == pub_comment.id)).one().post_id
    client.post(f"/posts/{team_lesson}/publiceren")
    assert page(client.get(f"/posts/{pub.id}")).find("a", class_="comment-promoted",
                                                     href=f"/posts/{team_lesson}")
    auth.logout()
    assert not page(client.get(f"/posts/{pub.id}")).find("a", class_="comment-promoted")


# -- links on comments -------------------------------------------------------------------------

def test_promote_links_only_for_coordinators(client, auth, login_as, people, source):
    post, comment = source
    for who in ("anonymous", "member", "author"):
        login_as(who)
        html = page(client.get(f"/posts/{post.id}"))
        assert not html.find("a", class_="comment-promote"), who
        assert not html.find("a", class_="thread-promote"), who
        auth.logout()
    auth.login(people["coordinator"])
    html = page(client.get(f"/posts/{post.id}"))
    assert html.find("a", class_="comment-promote", href=f"/reacties/{comment.id}/promoveren/les")
    assert html.find("a", class_="comment-promote",
                     href=f"/reacties/{comment.id}/promoveren/frictie")
    assert html.find("a", class_="thread-promote", href=f"/posts/{post.id}/promoveren/les")


def test_promotion_marks_cost_the_same_for_many_comments(
        client, auth, people, source, create_comment):
    post, comment = source
    auth.login(people["coordinator"])

    def promote_and_publish(comment_id: int, **extra) -> None:
        response = client.post(f"/reacties/{comment_id}/promoveren/les",
                               data=lesson_form(**extra))
        client.post(response.headers["Location"] + "/publiceren")

    promote_and_publish(comment.id)

    def promotion_queries() -> int:
        with counted() as statements:
            assert client.get(f"/posts/{post.id}").status_code == 200
        return len([s for s in statements if "promotions" in s])

    few = promotion_queries()
    more = [create_comment(post, people["member"], f"Reactie {n}") for n in range(6)]
    for n, extra in enumerate(more[:3]):
        promote_and_publish(extra.id, title=f"Les {n}")
    assert promotion_queries() == few <= 2
