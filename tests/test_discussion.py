"""Threaded comments: posting, replying, editing, deleting, permissions, rendering and queries."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from learncom.discussion import services
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Post
from tests.helpers import counted
from tests.search_fixtures import search_app  # noqa: F401  (fixture)

# -- a tiny DOM, enough to check where things sit in the page ----------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text_parts: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(self.text_parts) + "".join(child.text() for child in self.children)

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and (class_ is None or class_ in n.classes)]

    def by_id(self, element_id: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == element_id), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.text_parts.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def post_page(client, post) -> Node:
    response = client.get(f"/posts/{post.id}")
    assert response.status_code == 200
    return parse(response.get_data(as_text=True))


def article(page: Node, comment) -> Node:
    node = page.by_id(f"reactie-{comment.id}")
    assert node is not None and node.tag == "article", f"no article for comment {comment.id}"
    return node


def item_of(page: Node, comment) -> Node:
    """The <li> that holds a comment's article (and its replies)."""
    node = article(page, comment).parent
    assert node.tag == "li"
    return node


def reply_list_of(page: Node, comment) -> list[int]:
    """Ids of the comments listed directly under a comment, in order."""
    lists = [child for child in item_of(page, comment).children
             if child.tag == "ul" and "thread" in child.classes]
    if not lists:
        return []
    assert len(lists) == 1
    return [int(li_article.attrs["id"].removeprefix("reactie-"))
            for li in lists[0].children if li.tag == "li"
            for li_article in li.children if li_article.tag == "article"]


def comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def in_english(client):
    client.post("/taal", data={"locale": "en"})


# -- posting and replying --------------------------------------------------------------------

def test_comment_reply_and_reply_to_reply_nest_in_place(client, auth, create_user, create_post):
    anke, bram = create_user("Anke"), create_user("Bram")
    post = create_post(anke)

    auth.login(anke)
    response = client.post(f"/posts/{post.id}/reacties", data={"body": "Eerste reactie"})
    first = db.session.scalars(select(Comment)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}#reactie-{first.id}")
    assert (first.author_id, first.parent_id, first.post_id) == (anke.id, None, post.id)

    auth.logout()
    auth.login(bram)
    client.post(f"/posts/{post.id}/reacties", data={"body": "Antwoord", "parent_id": first.id})
    reply = db.session.scalar(select(Comment).where(Comment.body == "Antwoord"))
    assert reply.parent_id == first.id and reply.author_id == bram.id

    auth.logout()
    auth.login(anke)
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Antwoord op antwoord", "parent_id": str(reply.id)})
    deep = db.session.scalar(select(Comment).where(Comment.body == "Antwoord op antwoord"))
    assert response.headers["Location"].endswith(f"#reactie-{deep.id}")
    assert deep.parent_id == reply.id
    client.post(f"/posts/{post.id}/reacties", data={"body": "Nog een"})
    later = db.session.scalar(select(Comment).where(Comment.body == "Nog een"))

    page = post_page(client, post)
    section = page.by_id("reacties")
    top = [child for child in section.children if child.tag == "ul"]
    assert len(top) == 1 and "thread" in top[0].classes
    top_ids = [a.attrs["id"] for li in top[0].children if li.tag == "li"
               for a in li.children if a.tag == "article"]
    assert top_ids == [f"reactie-{first.id}", f"reactie-{later.id}"]
    assert reply_list_of(page, first) == [reply.id]
    assert reply_list_of(page, reply) == [deep.id]
    assert reply_list_of(page, deep) == []
    # The depth-3 reply sits inside the <li> of the first comment, two lists down.
    assert item_of(page, first) in list(article(page, deep).ancestors())
    assert "Antwoord op antwoord" in article(page, deep).text()
    assert "Antwoord op antwoord" not in article(page, first).text()


def test_comment_shows_author_time_permalink_and_actions(client, auth, create_user,
                                                         create_post, create_comment):
    anke = create_user("Anke", kind="expert_by_experience", function="adviseur",
                       organisation="Bureau X")
    bram = create_user("Bram", kind="resident")
    post = create_post(anke)
    mine = create_comment(post, anke, "Van Anke")
    theirs = create_comment(post, bram, "Van Bram")

    auth.login(anke)
    page = post_page(client, post)
    node = article(page, mine)
    member = node.find_all("span", "member")[0]
    assert member.find_all("a")[0].attrs["href"] == f"/leden/{anke.id}"
    assert node.find_all("span", "badge-expert_by_experience")
    assert "adviseur · Bureau X" in member.text()
    time = node.find_all("time")[0]
    assert time.attrs["datetime"].startswith(mine.created_at.date().isoformat())
    assert node.find_all("a", "permalink")[0].attrs["href"] == f"/posts/{post.id}#reactie-{mine.id}"
    # Reply works without JavaScript: a <details> with a real form carrying the parent id.
    reply_form = node.find_all("details", "reply")[0].find_all("form")[0]
    assert reply_form.attrs["action"] == f"/posts/{post.id}/reacties"
    hidden = {i.attrs["name"]: i.attrs.get("value") for i in reply_form.find_all("input")}
    assert hidden["parent_id"] == str(mine.id) and "csrf_token" in hidden
    textarea = reply_form.find_all("textarea")[0]
    assert reply_form.find_all("label")[0].attrs["for"] == textarea.attrs["id"]
    # Own comment: edit link and a delete confirmation; somebody else's: neither.
    assert node.find_all("a", "comment-edit")[0].attrs["href"] == f"/reacties/{mine.id}/bewerken"
    delete_form = node.find_all("details", "confirm-delete")[0].find_all("form")[0]
    assert delete_form.attrs["action"] == f"/reacties/{mine.id}/verwijderen"
    assert delete_form.attrs["method"] == "post"
    assert not article(page, theirs).find_all("a", "comment-edit")
    assert not article(page, theirs).find_all("details", "confirm-delete")
    assert article(page, theirs).find_all("details", "reply")
    # The form for a new comment, and the script (an external file: the CSP forbids inline).
    new_form = page.by_id("reacties").find_all("form", "new-comment")[0]
    assert new_form.attrs["action"] == f"/posts/{post.id}/reacties"
    scripts = page.find_all("script")
    assert "/static/js/discussion.js" in [s.attrs.get("src") for s in scripts]
    assert all(s.attrs.get("src") for s in scripts)
    script = client.get("/static/js/discussion.js")
    script.close()
    assert script.status_code == 200


def test_coordinator_sees_edit_and_delete_on_every_comment(client, auth, create_user,
                                                          create_post, create_comment):
    anke, coordinator = create_user("Anke"), create_user("Coco", role="coordinator")
    post = create_post(anke)
    comment = create_comment(post, anke, "Van Anke")
    auth.login(coordinator)
    node = article(post_page(client, post), comment)
    assert node.find_all("a", "comment-edit") and node.find_all("details", "confirm-delete")


def test_anonymous_sees_thread_and_login_link_but_no_forms(client, create_user, create_post,
                                                          create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Zichtbaar voor iedereen")
    page = post_page(client, post)
    assert "Zichtbaar voor iedereen" in article(page, comment).text()
    section = page.by_id("reacties")
    assert not section.find_all("form") and not section.find_all("textarea")
    login = section.find_all("p", "login-to-comment")[0].find_all("a")[0]
    assert login.attrs["href"] == f"/account/inloggen?next=/posts/{post.id}%23reacties"


def test_anonymous_cannot_comment_edit_or_delete(client, create_user, create_post,
                                                 create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Origineel")

    response = client.post(f"/posts/{post.id}/reacties", data={"body": "Anoniem"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/inloggen?next=")
    assert comment_count() == 1

    for url in (f"/reacties/{comment.id}/bewerken", f"/reacties/{comment.id}/verwijderen"):
        response = client.post(url, data={"body": "Gewijzigd"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/inloggen?next=")
    assert client.get(f"/reacties/{comment.id}/bewerken").status_code == 302
    db.session.refresh(comment)
    assert (comment.body, comment.edited_at, comment.deleted_at) == ("Origineel", None, None)


def test_after_login_the_next_address_can_be_opened(client, auth, create_user, create_post,
                                                    create_comment):
    """The login redirect never points at a POST-only address."""
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke)
    auth.login(anke)
    response = client.get(f"/posts/{post.id}/reacties")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}#reacties"
    response = client.get(f"/reacties/{comment.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.id}#reactie-{comment.id}"


# -- permissions -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("actor", "expected"),
    [("author", 302), ("other", 403), ("coordinator", 302), ("admin", 302)],
)
@pytest.mark.parametrize("action", ["edit_form", "edit", "delete"])
def test_edit_and_delete_permission_matrix(client, auth, create_user, create_post,
                                           create_comment, actor, expected, action):
    users = {
        "author": create_user("Anke"),
        "other": create_user("Bram"),
        "coordinator": create_user("Coco", role="coordinator"),
        "admin": create_user("Ada", role="admin"),
    }
    post = create_post(users["author"])
    comment = create_comment(post, users["author"], "Origineel")
    auth.login(users[actor])

    if action == "edit_form":
        response = client.get(f"/reacties/{comment.id}/bewerken")
        assert response.status_code == (200 if expected == 302 else expected)
        return
    if action == "edit":
        response = client.post(f"/reacties/{comment.id}/bewerken", data={"body": "Nieuw"})
    else:
        response = client.post(f"/reacties/{comment.id}/verwijderen")
    assert response.status_code == expected
    db.session.refresh(comment)
    if expected == 403:
        assert (comment.body, comment.edited_at, comment.deleted_at) == ("Origineel", None, None)
    elif action == "edit":
        assert comment.body == "Nieuw" and comment.edited_at is not None
    else:
        assert comment.deleted_at is not None


def test_team_post_is_invisible_to_outsiders_for_every_route(client, auth, create_user,
                                                             create_post, create_comment):
    insider = create_user("Ilse", teams=["Wijkteam Overvecht"])
    outsider = create_user("Otto")
    outside_coordinator = create_user("Coco", role="coordinator")
    post = create_post(insider, visibility="team", team="Wijkteam Overvecht")
    comment = create_comment(post, insider, "Binnen het team")

    for user in (outsider, outside_coordinator):
        auth.login(user)
        assert client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Van buiten"}).status_code == 404
        assert client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Van buiten", "parent_id": comment.id}).status_code == 404
        assert client.get(f"/reacties/{comment.id}/bewerken").status_code == 404
        assert client.post(f"/reacties/{comment.id}/bewerken",
                           data={"body": "Van buiten"}).status_code == 404
        assert client.post(f"/reacties/{comment.id}/verwijderen").status_code == 404
        assert client.get(f"/reacties/{comment.id}").status_code == 404
        auth.logout()
    db.session.refresh(comment)
    assert comment_count() == 1
    assert (comment.body, comment.deleted_at) == ("Binnen het team", None)

    teammate = create_user("Tim", teams=["Wijkteam Overvecht"])
    auth.login(teammate)
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Van binnen", "parent_id": comment.id})
    assert response.status_code == 302
    assert comment_count() == 2


def test_unknown_ids_answer_404(client, auth, create_user):
    auth.login(create_user("Anke"))
    assert client.post("/posts/999/reacties", data={"body": "Hallo"}).status_code == 404
    assert client.get("/reacties/999/bewerken").status_code == 404
    assert client.post("/reacties/999/verwijderen").status_code == 404
    assert client.get("/reacties/999").status_code == 404
    huge = "9" * 30
    assert client.post(f"/posts/{huge}/reacties", data={"body": "Hallo"}).status_code == 404
    assert client.get(f"/reacties/{huge}/bewerken").status_code == 404
    assert client.post(f"/reacties/{huge}/verwijderen").status_code == 404
    assert comment_count() == 0


# -- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_parent", ["other-post", "missing", "not-a-number", "huge"])
def test_parent_must_be_a_comment_on_the_same_post(client, auth, create_user, create_post,
                                                   create_comment, bad_parent):
    anke = create_user("Anke")
    post = create_post(anke, title="Deze")
    other = create_post(anke, title="Andere")
    elsewhere = create_comment(other, anke, "Elders")
    parent_id = {"other-post": str(elsewhere.id), "missing": "12345", "not-a-number": "abc",
                 "huge": "9" * 30}[bad_parent]

    auth.login(anke)
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Mijn zorgvuldige tekst", "parent_id": parent_id})
    assert response.status_code == 200
    assert comment_count() == 1  # only the one on the other post
    page = parse(response.get_data(as_text=True))
    form = page.find_all("form", "comment-form")[0]
    assert form.attrs["action"] == f"/posts/{post.id}/reacties"
    assert page.find_all("div", "form-errors")
    # The text is kept, and the bad parent is dropped so it can go in as a new comment.
    assert form.find_all("textarea")[0].text().strip() == "Mijn zorgvuldige tekst"
    assert form.by_id("parent_id").attrs.get("value", "") == ""
    assert "Elders" not in response.get_data(as_text=True)


def test_replying_to_a_deleted_comment_is_refused(client, auth, create_user, create_post,
                                                  create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    gone = create_comment(post, anke, "Weg")
    services.delete_comment(gone)
    db.session.commit()

    auth.login(anke)
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": "Te laat", "parent_id": gone.id})
    assert response.status_code == 200
    assert comment_count() == 1
    assert "Te laat" in response.get_data(as_text=True)
    # A deleted comment offers no reply form either.
    assert not article(post_page(client, post), gone).find_all("details", "reply")


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_empty_comment_is_refused_with_an_error(client, auth, create_user, create_post,
                                                create_comment, body):
    anke = create_user("Anke")
    post = create_post(anke)
    parent = create_comment(post, anke, "Ouder")
    auth.login(anke)
    response = client.post(f"/posts/{post.id}/reacties", data={"body": body})
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    assert page.by_id("body-error") is not None
    assert page.by_id("body").attrs.get("aria-invalid") == "true"
    assert comment_count() == 1

    # A reply that needs fixing keeps its parent, and shows what it replies to.
    response = client.post(f"/posts/{post.id}/reacties",
                           data={"body": body, "parent_id": parent.id})
    page = parse(response.get_data(as_text=True))
    assert page.by_id("parent_id").attrs["value"] == str(parent.id)
    assert "Ouder" in page.find_all("section", "replying-to")[0].text()
    assert comment_count() == 1


def test_too_long_comment_is_refused_and_the_text_kept(client, auth, create_user, create_post):
    anke = create_user("Anke")
    post = create_post(anke)
    auth.login(anke)
    text = "lang " * 4001  # 20,005 characters
    response = client.post(f"/posts/{post.id}/reacties", data={"body": text})
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    assert page.by_id("body-error") is not None
    textarea = page.by_id("body")
    assert textarea.text().strip() == text.strip()
    # No maxlength: a browser would silently cut a pasted text there.
    assert "maxlength" not in textarea.attrs
    assert comment_count() == 0

    exactly = "x" * services.MAX_COMMENT_LENGTH
    assert client.post(f"/posts/{post.id}/reacties", data={"body": exactly}).status_code == 302
    assert comment_count() == 1


def test_windows_newlines_are_stored_as_plain_newlines(client, auth, create_user, create_post):
    anke = create_user("Anke")
    post = create_post(anke)
    auth.login(anke)
    client.post(f"/posts/{post.id}/reacties", data={"body": "regel een\r\nregel twee"})
    assert db.session.scalars(select(Comment.body)).one() == "regel een\nregel twee"


def test_script_is_stored_sanitised_and_markdown_rendered(client, auth, create_user,
                                                          create_post):
    anke = create_user("Anke")
    post = create_post(anke)
    auth.login(anke)
    body = ("Dit is **belangrijk** en [een link](https://example.org).\n\n"
            "<script>alert('xss')</script><img src=x onerror=alert(1)>\n\n- een\n- twee")
    client.post(f"/posts/{post.id}/reacties", data={"body": body})
    comment = db.session.scalars(select(Comment)).one()
    assert comment.body == body  # the source is kept as typed
    assert "<script" not in comment.body_html and "onerror" not in comment.body_html
    assert "<strong>belangrijk</strong>" in comment.body_html

    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    node = article(parse(html), comment)
    assert node.find_all("strong")[0].text() == "belangrijk"
    link = node.find_all("a", None)
    assert any(a.attrs.get("href") == "https://example.org"
               and "nofollow" in (a.attrs.get("rel") or "") for a in link)
    assert len(node.find_all("li")) == 2
    assert not node.find_all("script") and not node.find_all("img")
    assert "alert('xss')" not in html


# -- edit and delete -------------------------------------------------------------------------

def test_edit_form_shows_the_text_and_saving_marks_edited(client, auth, create_user,
                                                          create_post, create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Eerste *versie*")
    auth.login(anke)
    assert not article(post_page(client, post), comment).find_all("span", "comment-edited")

    response = client.get(f"/reacties/{comment.id}/bewerken")
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    form = page.find_all("form", "comment-form")[0]
    assert form.attrs["action"] == f"/reacties/{comment.id}/bewerken"
    assert page.by_id("body").text().strip() == "Eerste *versie*"

    response = client.post(f"/reacties/{comment.id}/bewerken", data={"body": "Tweede **versie**"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}#reactie-{comment.id}")
    db.session.refresh(comment)
    assert comment.body == "Tweede **versie**"
    assert "<strong>versie</strong>" in comment.body_html
    assert comment.edited_at is not None
    edited = article(post_page(client, post), comment).find_all("span", "comment-edited")
    assert edited and edited[0].find_all("time")[0].attrs["datetime"]


def test_saving_unchanged_text_does_not_mark_edited(client, auth, create_user, create_post,
                                                    create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Zelfde")
    auth.login(anke)
    assert client.post(f"/reacties/{comment.id}/bewerken",
                       data={"body": "Zelfde"}).status_code == 302
    db.session.refresh(comment)
    assert comment.edited_at is None


def test_edit_with_empty_text_is_refused(client, auth, create_user, create_post,
                                         create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    comment = create_comment(post, anke, "Blijft staan")
    auth.login(anke)
    for data in ({"body": "  "}, {}):
        response = client.post(f"/reacties/{comment.id}/bewerken", data=data)
        assert response.status_code == 200
        assert parse(response.get_data(as_text=True)).by_id("body-error") is not None
    db.session.refresh(comment)
    assert (comment.body, comment.edited_at) == ("Blijft staan", None)


def test_delete_keeps_place_and_replies(client, auth, create_user, create_post, create_comment):
    anke, bram = create_user("Anke"), create_user("Bram")
    post = create_post(anke)
    parent = create_comment(post, anke, "Geheime inhoud die weg moet")
    reply = create_comment(post, bram, "Mijn antwoord blijft", parent=parent)
    auth.login(anke)

    response = client.post(f"/reacties/{parent.id}/verwijderen")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#reactie-{parent.id}")
    db.session.refresh(parent)
    assert parent.deleted_at is not None and parent.body == "" and parent.body_html == ""
    assert comment_count() == 2

    in_english(client)
    response = client.get(f"/posts/{post.id}")
    html = response.get_data(as_text=True)
    page = parse(html)
    node = article(page, parent)
    assert "comment-deleted" in node.classes
    assert "[deleted]" in node.text()
    assert "Geheime inhoud" not in html
    assert not node.find_all("span", "member")  # no author for a deleted comment
    assert reply_list_of(page, parent) == [reply.id]
    assert "Mijn antwoord blijft" in article(page, reply).text()
    # Once deleted it can be neither edited nor deleted again.
    assert client.get(f"/reacties/{parent.id}/bewerken").status_code == 403
    assert client.post(f"/reacties/{parent.id}/bewerken", data={"body": "Terug"}).status_code == 403
    assert client.post(f"/reacties/{parent.id}/verwijderen").status_code == 403
    db.session.refresh(parent)
    assert parent.body == ""


def test_comment_count_in_heading_leaves_out_deleted(client, create_user, create_post,
                                                     create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    in_english(client)
    section = post_page(client, post).by_id("reacties")
    assert section.attrs["data-count"] == "0"
    assert section.find_all("h2")[0].text().strip() == "0 comments"

    first = create_comment(post, anke, "Een")
    create_comment(post, anke, "Twee", parent=first)
    section = post_page(client, post).by_id("reacties")
    assert section.attrs["data-count"] == "2"
    assert section.find_all("h2")[0].text().strip() == "2 comments"

    services.delete_comment(first)
    db.session.commit()
    section = post_page(client, post).by_id("reacties")
    assert section.attrs["data-count"] == "1"
    assert section.find_all("h2")[0].text().strip() == "1 comment"


# -- thread building -------------------------------------------------------------------------

def test_thread_for_builds_the_tree_in_time_order(create_user, create_post, create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    a = create_comment(post, anke, "a")
    b = create_comment(post, anke, "b")
    a1 = create_comment(post, anke, "a1", parent=a)
    a1x = create_comment(post, anke, "a1x", parent=a1)
    a2 = create_comment(post, anke, "a2", parent=a)
    create_comment(create_post(anke, title="Ander"), anke, "elders")

    thread = services.thread_for(post)
    assert [n.comment.id for n in thread] == [a.id, b.id]
    assert [n.comment.id for n in thread[0].replies] == [a1.id, a2.id]
    assert [n.comment.id for n in thread[0].replies[0].replies] == [a1x.id]
    in_order = [n.comment.id for n in services.iter_thread(thread)]
    assert in_order == [a.id, a1.id, a1x.id, a2.id, b.id]
    assert services.count_comments(thread) == 5


def test_very_deep_threads_are_capped_and_say_whom_they_answer(client, create_user, create_post,
                                                               create_comment):
    anke = create_user("Anke")
    post = create_post(anke)
    chain = [create_comment(post, anke, "niveau 1")]
    for level in range(2, 41):
        chain.append(create_comment(post, anke, f"niveau {level}", parent=chain[-1]))

    limit = services.MAX_THREAD_DEPTH
    thread = services.thread_for(post)
    node, depth = thread[0], 1
    while node.replies and depth < limit:
        node, depth = node.replies[0], depth + 1
    assert depth == limit and node.comment.id == chain[limit - 1].id
    assert [n.comment.id for n in node.replies] == [c.id for c in chain[limit:]]
    assert node.replies[0].reply_to is None  # answers the comment it is listed under
    assert [n.reply_to.id for n in node.replies[1:]] == [c.id for c in chain[limit:-1]]
    assert services.count_comments(thread) == 40

    page = post_page(client, post)
    assert all(page.by_id(f"reactie-{c.id}") is not None for c in chain)
    deepest = article(page, chain[-1])
    nesting = sum(1 for n in deepest.ancestors() if n.tag == "ul" and "thread" in n.classes)
    assert nesting == limit + 1
    reply_to = deepest.find_all("a", "comment-reply-to")[0]
    assert reply_to.attrs["href"] == f"/posts/{post.id}#reactie-{chain[-2].id}"


def _post_with_comments(create_user, create_post, n: int, title: str):
    # A different author for every comment, so loading authors one by one would show.
    authors = [create_user(f"{title} lid {i}") for i in range(n)]
    post = create_post(authors[0], title=title)
    comments = []
    for i in range(n):
        parent = comments[i // 2] if i and i % 3 else None
        comment = services.add_comment(post, authors[i], f"Reactie {i}", parent)
        comments.append(comment)
    db.session.commit()
    return post


def test_thread_queries_do_not_grow_with_the_number_of_comments(app, create_user, create_post):
    small = _post_with_comments(create_user, create_post, 5, "Klein")
    large = _post_with_comments(create_user, create_post, 50, "Groot")
    counts = []
    for post_id in (small.id, large.id):
        db.session.expunge_all()  # nothing cached from creating them
        post = db.session.get(Post, post_id)
        with counted() as statements:
            thread = services.thread_for(post)
            for node in services.iter_thread(thread):
                _ = (node.comment.author.name, node.comment.body_html)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert sum(1 for _ in services.iter_thread(services.thread_for(large))) == 50


def test_post_page_queries_do_not_grow_with_the_number_of_comments(client, auth, create_user,
                                                                   create_post):
    viewer = create_user("Kijker", role="coordinator")
    small = _post_with_comments(create_user, create_post, 5, "Klein")
    large = _post_with_comments(create_user, create_post, 50, "Groot")
    auth.login(viewer)
    counts = []
    for post in (small, large):
        client.get(f"/posts/{post.id}")  # warm up: the same work on both
        with counted() as statements:
            response = client.get(f"/posts/{post.id}")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert parse(response.get_data(as_text=True)).by_id("reacties").attrs["data-count"] == "50"


# -- search ----------------------------------------------------------------------------------

def found(query: str) -> list[int]:
    from learncom.search import search

    ids = [hit.id for hit in search(query, None, 1, None).hits]
    db.session.commit()  # end the read so the next request's drain can write
    return ids


@pytest.mark.usefixtures("search_app")
def test_comment_changes_reach_the_search_index(client, auth, create_user, create_post):
    anke = create_user("Anke")
    post = create_post(anke, title="Spreekuur in de bibliotheek")
    assert found("voorleesochtend") == []

    auth.login(anke)
    client.post(f"/posts/{post.id}/reacties", data={"body": "De voorleesochtend liep goed"})
    assert found("voorleesochtend") == [post.id]
    comment = db.session.scalars(select(Comment)).one()

    client.post(f"/reacties/{comment.id}/bewerken", data={"body": "Het taalcafé liep goed"})
    assert found("voorleesochtend") == []
    assert found("taalcafé") == [post.id]

    client.post(f"/reacties/{comment.id}/verwijderen")
    assert found("taalcafé") == []


def test_recent_activity_walks_past_newer_rows_the_viewer_may_not_see(create_user, create_post,
                                                                     create_comment):
    """Recent activity walks the newest rows and asks each one's visibility: newer comments on
    a team post are passed over for an outsider, and an older visible one is found."""
    from learncom.discussion import services as discussion

    author = create_user("Anke", teams=["Team Oost"])
    outsider = create_user("Olga")
    public = create_post(author, title="Openbaar")
    secret = create_post(author, title="Teamzaak", visibility="team", team="Team Oost")
    create_comment(public, author, "Oude openbare reactie")
    for n in range(5):
        create_comment(secret, author, f"Teamreactie {n}")
    db.session.commit()
    seen = [item.text for item in discussion.recent_activity(outsider)]
    assert seen == ["Oude openbare reactie"]
    mine = [item.text for item in discussion.recent_activity(author, limit=3)]
    assert mine == ["Teamreactie 4", "Teamreactie 3", "Teamreactie 2"]
