"""Atom feeds: valid Atom (parsed with feedparser), absolute links, public content only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from learncom.dbtypes import utcnow
from learncom.extensions import db
from tests.helpers import queries_for

ATOM = "application/atom+xml; charset=utf-8"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def site(create_user, create_post, create_comment):
    anke = create_user("Anke Siegers", email="anke@example.org", teams=["Buurtteam Overvecht"])
    bas = create_user("Bas", kind="resident", email="bas@example.org")
    experiment = create_post(anke, title="Buurtkamer <open>", tags=["eenzaamheid", "buurtkamer"],
                             neighbourhood="Overvecht",
                             body="Elke **dinsdag** open. <script>alert(1)</script>")
    friction = create_post(bas, kind="friction", title="Steeds een nieuwe indicatie",
                           tags=["wmo"], neighbourhood="Overvecht")
    lesson = create_post(anke, kind="lesson", title="Vraag eerst", tags=["eenzaamheid"],
                         statement="Vraag eerst.")
    members = create_post(anke, title="Voor leden", tags=["eenzaamheid"], visibility="members",
                          neighbourhood="Overvecht")
    team = create_post(anke, title="Voor het team", tags=["eenzaamheid"], visibility="team",
                       team="Buurtteam Overvecht")
    hidden = create_post(bas, title="Verborgen", tags=["eenzaamheid"])
    hidden.hidden_at = utcnow()
    db.session.commit()
    return {"anke": anke, "bas": bas, "experiment": experiment, "friction": friction,
            "lesson": lesson, "members": members, "team": team, "hidden": hidden}


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == ATOM
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert not EMAIL.search(response.get_data(as_text=True))
    return feed, response


def titles(feed) -> list[str]:
    return [entry.title for entry in feed.entries]


FEEDS = ["/feeds/alles.atom", "/feeds/experimenten.atom", "/feeds/fricties.atom",
         "/feeds/lessen.atom", "/feeds/tags/eenzaamheid.atom", "/feeds/wijken/overvecht.atom"]


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_is_valid_atom_with_absolute_links_and_no_email(client, site, url):
    feed, _response = parse(client, url)
    assert feed.feed.id.startswith("http://localhost/")
    assert feed.feed.updated_parsed is not None
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"http://localhost{url}"
    assert links["alternate"].startswith("http://localhost/")
    assert feed.entries
    for entry in feed.entries:
        assert re.fullmatch(r"http://localhost/posts/\d+", entry.link)
        assert entry.id == entry.link
        assert entry.author in ("Anke Siegers", "Bas")
        assert entry.published_parsed and entry.updated_parsed
        assert entry.content[0].type == "text/html"
        assert entry.tags


def test_all_posts_feed_shows_public_posts_newest_first_with_content(client, site):
    feed, response = parse(client, "/feeds/alles.atom")
    assert titles(feed) == ["Vraag eerst", "Steeds een nieuwe indicatie", "Buurtkamer <open>"]
    raw = response.get_data(as_text=True)
    assert "<title type=\"text\">Buurtkamer &lt;open&gt;</title>" in raw
    assert "&lt;strong&gt;dinsdag&lt;/strong&gt;" in raw and "alert(1)" not in raw
    entry = feed.entries[2]
    assert entry.link == f"http://localhost/posts/{site['experiment'].id}"
    assert {tag.term for tag in entry.tags} == {"buurtkamer", "eenzaamheid"}
    html = entry.content[0].value
    assert "<strong>dinsdag</strong>" in html and "<script" not in html
    assert "dinsdag" in entry.summary


def test_kind_tag_and_neighbourhood_feeds_hold_only_their_posts(client, site):
    assert titles(parse(client, "/feeds/experimenten.atom")[0]) == ["Buurtkamer <open>"]
    assert titles(parse(client, "/feeds/fricties.atom")[0]) == ["Steeds een nieuwe indicatie"]
    assert titles(parse(client, "/feeds/lessen.atom")[0]) == ["Vraag eerst"]
    assert titles(parse(client, "/feeds/tags/eenzaamheid.atom")[0]) == [
        "Vraag eerst", "Buurtkamer <open>"]
    assert titles(parse(client, "/feeds/wijken/overvecht.atom")[0]) == [
        "Steeds een nieuwe indicatie", "Buurtkamer <open>"]


def test_feeds_leave_out_members_team_and_hidden_posts_even_for_a_logged_in_member(
        client, auth, site):
    auth.login(site["anke"])
    for url in FEEDS:
        text = parse(client, url)[1].get_data(as_text=True)
        for name in ("Voor leden", "Voor het team", "Verborgen"):
            assert name not in text, url


def test_a_thread_feed_lists_readable_comments_newest_first(client, site, create_comment):
    from learncom.discussion import services as discussion_services

    post = site["experiment"]
    first = create_comment(post, site["bas"], "Herkenbaar, *echt*.")
    create_comment(post, site["anke"], "Dank je!", parent=first)
    gone = create_comment(post, site["bas"], "Vergissing")
    discussion_services.delete_comment(gone)
    hidden = create_comment(post, site["bas"], "Niet netjes")
    hidden.hidden_at = utcnow()
    db.session.commit()
    feed, response = parse(client, f"/posts/{post.id}/reacties.atom")
    assert [entry.author for entry in feed.entries] == ["Anke Siegers", "Bas"]
    assert feed.entries[1].link == f"http://localhost/posts/{post.id}#reactie-{first.id}"
    assert "<em>echt</em>" in feed.entries[1].content[0].value
    text = response.get_data(as_text=True)
    assert "Vergissing" not in text and "Niet netjes" not in text


def test_a_thread_feed_without_comments_is_valid(client, site):
    feed, _response = parse(client, f"/posts/{site['lesson'].id}/reacties.atom")
    assert feed.entries == []


@pytest.mark.parametrize("url", ["/feeds/tags/onbekend.atom", "/feeds/wijken/nergens.atom",
                                 "/feeds/blogs.atom", "/posts/999/reacties.atom"])
def test_unknown_feeds_are_404(client, site, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["members", "team", "hidden"])
def test_the_thread_feed_of_a_post_that_is_not_public_is_404_even_for_its_author(
        client, auth, site, name):
    auth.login(site["anke"])
    assert client.get(f"/posts/{site[name].id}/reacties.atom").status_code == 404


def test_a_former_members_post_is_by_former_member(client, site):
    site["friction"].author_id = None
    db.session.commit()
    client.post("/taal", data={"locale": "en"})
    feed, _response = parse(client, "/feeds/fricties.atom")
    assert feed.entries[0].author == "former member"
    assert feed.feed.title == "learncom: Frictions"


def test_feeds_hold_at_most_50_entries(client, create_user):
    from learncom.posts import services as post_services

    author = create_user()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(55):
        post_services.create_post(author, post_services.PostInput(
            kind="lesson", title=f"Les {n}", tags=["t"]), created_at=start + timedelta(days=n))
    db.session.commit()
    feed, _response = parse(client, "/feeds/lessen.atom")
    assert len(feed.entries) == 50
    assert feed.entries[0].title == "Les 54"


def test_feeds_answer_a_conditional_get_with_304(client, site):
    response = client.get("/feeds/alles.atom")
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    again = client.get("/feeds/alles.atom",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/feeds/alles.atom",
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304


def test_a_feed_runs_a_fixed_number_of_queries(client, create_user, create_post):
    def add(n: int) -> None:
        for i in range(n):
            create_post(create_user(), title=f"Post {i}", tags=[f"tag-{i}", "gedeeld"],
                        neighbourhood="Overvecht")

    add(2)
    urls = ["/feeds/alles.atom", "/feeds/tags/gedeeld.atom", "/feeds/wijken/overvecht.atom"]
    few = {url: queries_for(client, url) for url in urls}
    add(8)
    for url in urls:
        assert queries_for(client, url) == few[url], url


# -- links in pages ----------------------------------------------------------------------------

def alternate_links(html: str) -> list[str]:
    return re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" '
                      r'href="([^"]+)">', html)


@pytest.mark.parametrize(("page", "feed"), [
    ("/", None),
    ("/experimenten", "http://localhost/feeds/experimenten.atom"),
    ("/fricties", "http://localhost/feeds/fricties.atom"),
    ("/tags/eenzaamheid", "http://localhost/feeds/tags/eenzaamheid.atom"),
    ("/wijken/overvecht", "http://localhost/feeds/wijken/overvecht.atom"),
])
def test_pages_link_their_feed_in_the_head(client, site, page, feed):
    html = client.get(page).get_data(as_text=True)
    expected = ["http://localhost/feeds/alles.atom"] + ([feed] if feed else [])
    assert alternate_links(html) == expected
    if feed:
        assert f'id="feed-link" rel="alternate" type="application/atom+xml" href="{feed}"' in html


def test_a_public_post_links_its_thread_feed_and_other_posts_do_not(client, auth, site):
    post = site["experiment"]
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    thread = f"http://localhost/posts/{post.id}/reacties.atom"
    assert alternate_links(html) == ["http://localhost/feeds/alles.atom", thread]
    assert 'id="feed-link"' in html
    auth.login(site["anke"])
    html = client.get(f"/posts/{site['members'].id}").get_data(as_text=True)
    assert alternate_links(html) == ["http://localhost/feeds/alles.atom"]
    assert 'id="feed-link"' not in html


def test_a_404_page_links_only_the_site_feed(client, site):
    html = client.get("/tags/onbekend").get_data(as_text=True)
    assert alternate_links(html) == ["http://localhost/feeds/alles.atom"]
