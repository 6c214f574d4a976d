"""Download my data: a page that explains it and the JSON download, only ever of the member
themself, never with anyone else's e-mail address (shape: docs/my-data.md)."""

from __future__ import annotations

import json

SECTIONS = {"format", "version", "exported_at", "profile", "teams", "posts", "log_entries",
            "comments", "reactions", "follows", "notifications", "applied_lessons", "flags",
            "privacy_overrides", "email_change"}


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/account/gegevens", "/account/gegevens.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/inloggen" in response.location


def test_the_page_explains_and_links_the_download(client, auth, member_world):
    auth.login(member_world.member)
    response = client.get("/account/gegevens")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/account/gegevens.json"' in html and "Mijn gegevens downloaden" in html
    profile = client.get("/account/profiel").get_data(as_text=True)
    assert 'id="my-data-link"' in profile and 'id="delete-account-link"' in profile


def test_the_download_holds_everything_of_the_member(client, auth, member_world):
    world = member_world
    auth.login(world.member)
    response = client.get("/account/gegevens.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="learncom-mijn-gegevens-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert set(data) == SECTIONS
    assert (data["format"], data["version"]) == ("learncom-my-data", 1)

    assert data["profile"]["email"] == world.email and data["profile"]["name"] == world.name
    assert data["profile"]["organisation"] == f"Stichting {world.surname}"
    assert data["teams"] == [{"name": "Team Oost", "slug": "team-oost"}]

    posts = {post["id"]: post for post in data["posts"]}
    assert set(posts) == {world.post.id, world.team_post.id}
    mine = posts[world.post.id]
    assert mine["fields"]["hypothesis"] == f"Werkt {world.word}?"
    assert [r["number"] for r in mine["revisions"]] == [1, 2]
    assert mine["revisions"][1]["edited_by"] == "you"
    assert mine["revisions"][0]["snapshot"]["body"] == f"Een tekst over {world.word} in de wijk."

    assert [e["body"] for e in data["log_entries"]] == [f"Logboek: {world.word} liep goed."]
    assert {c["id"] for c in data["comments"]} == {world.leaf_comment.id,
                                                   world.answered_comment.id}
    assert [r["kind"] for r in data["reactions"]] == ["recognise"]
    assert {"type": "tag", "target": "eenzaamheid"}.items() <= data["follows"][-1].items()
    assert {"reply", "mention"} <= {n["kind"] for n in data["notifications"]}  # from Bert
    assert [a["what_happened"] for a in data["applied_lessons"]] == [
        f"Toegepast met {world.word}."]
    assert [f["explanation"] for f in data["flags"]] == [f"Melding over {world.word}"]
    assert [o["kinds"] for o in data["privacy_overrides"]] == [["phone"]]

    # Only the member's own e-mail address; never anyone else's.
    text = response.get_data(as_text=True)
    for other in (world.other, world.coordinator, world.admin):
        assert other.email not in text


def test_each_member_downloads_only_their_own_data(client, auth, member_world):
    auth.login(member_world.other)
    data = client.get("/account/gegevens.json").get_json()
    assert data["profile"]["email"] == "bert@example.org"
    text = json.dumps(data, ensure_ascii=False)
    assert member_world.email not in text and member_world.word not in text
    assert {p["id"] for p in data["posts"]} == {member_world.other_post.id,
                                                member_world.lesson.id}
