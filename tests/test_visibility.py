"""A team-only post (and its comments, tags, neighbourhood, log and links) never shows outside
its team; a members-only post never shows to anonymous visitors. Checked on every page that
lists, counts or links posts."""

from __future__ import annotations

import re
from datetime import date

from learncom.extensions import db
from learncom.posts import services


def tag_count(html: str, name: str) -> int:
    found = re.search(rf'data-tag="{re.escape(name)}">(\d+)<', html)
    return int(found.group(1)) if found else 0


def hood_count(html: str, slug: str) -> int:
    """0 when the neighbourhood is not listed: only coordinators see every neighbourhood,
    everyone else those with posts they can see."""
    found = re.search(rf'data-neighbourhood="{re.escape(slug)}">(\d+) ', html)
    return int(found.group(1)) if found else 0


def test_hidden_posts_never_show_outside_their_audience(client, auth, create_user, create_post,
                                                        create_comment):
    alice = create_user("Alice", teams=["Team Oost"])  # author
    bob = create_user("Bob", teams=["Team Oost"])  # her teammate
    carol = create_user("Carol", teams=["Team West"])  # member of another team
    dave = create_user("Dave", role="coordinator")  # coordinator outside the team
    alice.public_profile = bob.public_profile = carol.public_profile = True  # pages for all

    secret = create_post(alice, title="GEHEIM-TEAMPOST", body="GEHEIME-TEKST",
                         tags=["geheim-tag"], neighbourhood="Verborgenwijk",
                         visibility="team", team="Team Oost", hypothesis="GEHEIME-HYPOTHESE")
    create_comment(secret, bob, "GEHEIME-REACTIE")
    services.add_log_entry(secret, bob, "GEHEIM-LOGBOEK", date(2025, 3, 1))
    members_only = create_post(alice, kind="friction", title="LEDEN-POST", tags=["leden-tag"],
                               neighbourhood="Ledenwijk", visibility="members")
    create_comment(members_only, carol, "LEDEN-REACTIE")
    public = create_post(alice, title="OPENBARE-POST", tags=["geheim-tag", "leden-tag"])
    services.add_link(public, secret, "related", alice)
    services.add_link(secret, public, "replicates", alice)
    services.add_link(public, members_only, "addresses", alice)
    db.session.commit()

    team_markers = ("GEHEIM", "GEHEIME")
    team_pages = [
        "/", "/experimenten", "/experimenten?tag=geheim-tag",
        "/experimenten?neighbourhood=verborgenwijk", "/tags", "/tags/geheim-tag", "/wijken",
        f"/leden/{alice.id}", f"/leden/{bob.id}", f"/posts/{public.id}",
    ]
    members_pages = [
        "/", "/fricties", "/fricties?tag=leden-tag", "/fricties?neighbourhood=ledenwijk",
        "/tags", "/tags/leden-tag", "/wijken", "/wijken/ledenwijk", f"/leden/{alice.id}",
        f"/leden/{carol.id}", f"/posts/{public.id}",
    ]
    own_urls = [f"/posts/{secret.id}", f"/posts/{secret.id}/geschiedenis"]
    change_urls = [f"/posts/{secret.id}/bewerken", f"/posts/{secret.id}/verwijderen"]

    def check_team_post_hidden(viewer=None):
        pages = list(team_pages)
        if viewer is not None:  # anonymous visitors see no history at all
            pages.append(f"/posts/{public.id}/geschiedenis")
        if viewer is not None and viewer.has_role("coordinator"):
            pages.append("/wijken/verborgenwijk")  # coordinators keep the list: empty to them
        else:
            assert client.get("/wijken/verborgenwijk").status_code == 404
            assert client.get("/feeds/wijken/verborgenwijk.atom").status_code == 404
            # The filter of an unknown neighbourhood is ignored; so is this one.
            filtered = client.get("/experimenten?neighbourhood=verborgenwijk")
            assert "OPENBARE-POST" in filtered.get_data(as_text=True)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            for marker in team_markers:
                assert marker not in html, (url, marker)
            assert f'href="/posts/{secret.id}"' not in html, url
        tags_html = client.get("/tags").get_data(as_text=True)
        assert tag_count(tags_html, "geheim-tag") == 1  # only the public post counts
        assert 'href="/tags/geheim-tag"' in tags_html
        wijken = client.get("/wijken").get_data(as_text=True)
        assert hood_count(wijken, "verborgenwijk") == 0
        assert client.get(f"/posts/{secret.id}").status_code == 404
        for url in own_urls[1:] + change_urls:
            # The same answer as for a post that does not exist: nothing leaks.
            missing = url.replace(f"/posts/{secret.id}/", "/posts/999999/")
            assert client.get(url).status_code == client.get(missing).status_code, url
        for url, data in ((f"/posts/{secret.id}/logboek", {"log-text": "x"}),
                          (f"/posts/{secret.id}/koppelingen", {"link-target": str(public.id)}),
                          (f"/posts/{secret.id}/verwijderen", {})):
            missing = url.replace(f"/posts/{secret.id}/", "/posts/999999/")
            assert client.post(url, data=data).status_code == \
                client.post(missing, data=data).status_code, url

    def check_team_post_shown():
        for url in ("/", "/experimenten", "/experimenten?tag=geheim-tag",
                    "/experimenten?neighbourhood=verborgenwijk", "/tags/geheim-tag",
                    "/wijken/verborgenwijk", f"/leden/{alice.id}"):
            html = client.get(url).get_data(as_text=True)
            assert "GEHEIM-TEAMPOST" in html, url
        home = client.get("/").get_data(as_text=True)
        assert "GEHEIME-REACTIE" in home and "GEHEIM-LOGBOEK" in home
        assert tag_count(client.get("/tags").get_data(as_text=True), "geheim-tag") == 2
        assert hood_count(client.get("/wijken").get_data(as_text=True), "verborgenwijk") == 1
        html = client.get(f"/posts/{public.id}").get_data(as_text=True)
        assert f'href="/posts/{secret.id}"' in html
        html = client.get(f"/posts/{secret.id}").get_data(as_text=True)
        for marker in ("GEHEIME-TEKST", "GEHEIME-HYPOTHESE", "GEHEIME-REACTIE", "GEHEIM-LOGBOEK"):
            assert marker in html
        assert client.get(f"/posts/{secret.id}/geschiedenis").status_code == 200

    def check_members_post(visible: bool):
        for url in members_pages:
            html = client.get(url).get_data(as_text=True)
            if url.startswith("/fricties") or url == "/wijken/ledenwijk" \
                    or url == "/tags/leden-tag":
                assert ("LEDEN-POST" in html) is visible, url
            if not visible:
                assert "LEDEN-POST" not in html and "LEDEN-REACTIE" not in html, url
                assert f'href="/posts/{members_only.id}"' not in html, url
        tags_html = client.get("/tags").get_data(as_text=True)
        assert tag_count(tags_html, "leden-tag") == (2 if visible else 1)
        wijken = client.get("/wijken").get_data(as_text=True)
        assert hood_count(wijken, "ledenwijk") == (1 if visible else 0)
        assert client.get(f"/posts/{members_only.id}").status_code == (200 if visible else 404)

    # Anonymous visitors see neither.
    check_team_post_hidden()
    check_members_post(visible=False)
    # A tag whose only post is hidden is not in the index, and has no page or feed: the same
    # 404 as a tag that does not exist.
    only_secret = create_post(alice, title="GEHEIM-TWEEDE", tags=["alleen-geheim"],
                              visibility="team", team="Team Oost")
    assert 'href="/tags/alleen-geheim"' not in client.get("/tags").get_data(as_text=True)
    assert client.get("/tags/alleen-geheim").status_code == 404
    assert client.get("/tags/Alleen-Geheim").status_code == 404  # no redirect either
    assert client.get("/feeds/tags/alleen-geheim.atom").status_code == 404

    # A member of another team and a coordinator outside the team: members' posts yes, team no.
    for outsider in (carol, dave):
        auth.login(outsider)
        check_team_post_hidden(outsider)
        check_members_post(visible=True)
        assert 'href="/tags/alleen-geheim"' not in client.get("/tags").get_data(as_text=True)
        assert client.get("/tags/alleen-geheim").status_code == 404
        assert client.post("/volgen/tag/alleen-geheim").status_code == 404
        auth.logout()

    # The author and a teammate see it everywhere.
    for insider in (alice, bob):
        auth.login(insider)
        check_team_post_shown()
        check_members_post(visible=True)
        html = client.get("/tags/alleen-geheim").get_data(as_text=True)
        assert f'href="/posts/{only_secret.id}"' in html
        auth.logout()
