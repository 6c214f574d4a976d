"""No existence oracles, the member directory and the plain-language pages.

A tag, neighbourhood or member page, feed or follow answers 404 (and cannot be followed) for a
viewer who can see nothing behind it, exactly as for one that does not exist; counts count only
what the viewer may see. Anonymous visitors find only members who chose a public profile.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learncom.extensions import db
from learncom.follow.models import Follow
from tests.helpers import elements


@pytest.fixture
def world(create_user, create_post):
    class World:
        alice = create_user("Alice Auteur", teams=["Team Oost"])  # writes the team-only post
        bob = create_user("Bob Teamgenoot", teams=["Team Oost"])
        carol = create_user("Carol Buiten", teams=["Team West"])
        coordinator = create_user("Dave Coördinator", role="coordinator")
    World.public = create_post(World.alice, title="Openbaar zwembad", body="Over het zwembad.",
                               tags=["openbaar"], neighbourhood="Lombok")
    World.team_post = create_post(World.alice, title="Team zwembad", body="Het zwembad, team.",
                                  tags=["alleen-team"], neighbourhood="Geheimwijk",
                                  visibility="team", team="Team Oost")
    World.members_post = create_post(World.alice, title="Leden zwembad", body="Het zwembad.",
                                     tags=["alleen-leden"], neighbourhood="Ledenwijk",
                                     visibility="members")
    return World


def status(client, url: str, method: str = "GET") -> int:
    return (client.post(url) if method == "POST" else client.get(url)).status_code


SURFACES = [  # (url, method): each must be a 404 when nothing behind it is visible
    ("/tags/{tag}", "GET"), ("/feeds/tags/{tag}.atom", "GET"),
    ("/wijken/{hood}", "GET"), ("/feeds/wijken/{hood}.atom", "GET"),
]
FOLLOWS = [("/volgen/tag/{tag}", "POST"), ("/volgen/wijk/{hood}", "POST")]


def check_surfaces(client, tag: str, hood: str, *, visible: bool, logged_in: bool,
                   feeds_visible: bool | None = None) -> None:
    feeds_visible = visible if feeds_visible is None else feeds_visible
    for pattern, method in SURFACES + (FOLLOWS if logged_in else []):
        url = pattern.format(tag=tag, hood=hood)
        missing = pattern.format(tag="bestaat-niet", hood="bestaat-niet")
        expected = feeds_visible if url.endswith(".atom") else visible
        if expected:
            assert status(client, url, method) in (200, 302), url
        else:
            # Exactly the answer for something that does not exist.
            assert status(client, url, method) == status(client, missing, method) == 404, url
    tags = {item["name"] for item in client.get("/api/v1/tags").get_json()["items"]}
    hoods = {item["slug"] for item in client.get("/api/v1/neighbourhoods").get_json()["items"]}
    assert (tag in tags) is visible and (hood in hoods) is visible
    listing = client.get("/tags").get_data(as_text=True)
    assert (f'href="/tags/{tag}"' in listing) is visible
    assert (f'data-neighbourhood="{hood}"' in client.get("/wijken").get_data(as_text=True)) \
        is visible


def test_a_team_only_tag_and_neighbourhood_do_not_exist_outside_the_team(client, auth, world):
    check_surfaces(client, "alleen-team", "geheimwijk", visible=False, logged_in=False)
    auth.login(world.carol)
    check_surfaces(client, "alleen-team", "geheimwijk", visible=False, logged_in=True)
    assert db.session.scalar(select(Follow).where(Follow.user_id == world.carol.id)) is None
    auth.logout()
    auth.login(world.bob)  # the team: pages and follows; feeds are for anonymous readers
    check_surfaces(client, "alleen-team", "geheimwijk", visible=True, logged_in=True,
                   feeds_visible=False)
    assert db.session.scalar(select(Follow).where(Follow.user_id == world.bob.id)) is not None


def test_a_members_only_tag_and_neighbourhood_are_not_there_for_visitors(client, auth, world):
    check_surfaces(client, "alleen-leden", "ledenwijk", visible=False, logged_in=False)
    auth.login(world.carol)
    check_surfaces(client, "alleen-leden", "ledenwijk", visible=True, logged_in=True,
                   feeds_visible=False)


@pytest.mark.search
def test_search_facets_count_only_what_the_viewer_may_see(client, auth, world):
    def facets(query="zwembad"):
        found = client.get(f"/api/v1/search?q={query}").get_json()
        return found["total"], found["facets"]

    total, found = facets()
    assert total == 1
    assert found["tag"] == {"openbaar": 1} and found["neighbourhood"] == {"lombok": 1}
    html = client.get("/zoeken?q=zwembad").get_data(as_text=True)
    assert "alleen-team" not in html and "geheimwijk" not in html.lower()
    assert facets("tag:alleen-team")[0] == 0
    auth.login(world.carol)
    total, found = facets()
    assert total == 2 and "alleen-team" not in found["tag"] and "alleen-leden" in found["tag"]
    auth.logout()
    auth.login(world.bob)
    total, found = facets()
    assert total == 3 and found["tag"]["alleen-team"] == 1


# -- the member directory ----------------------------------------------------------------------

def test_visitors_see_only_members_with_a_public_profile(client, auth, world, create_user):
    resident = create_user("Rita Bewoner", kind="resident")
    world.alice.public_profile = True
    db.session.commit()

    listing = client.get("/leden").get_data(as_text=True)
    assert f'id="member-row-{world.alice.id}"' in listing
    for hidden in (resident, world.bob, world.carol, world.coordinator):
        assert f'id="member-row-{hidden.id}"' not in listing
    assert "1 lid" in listing  # the count too
    assert 'value="resident"' in listing and "Bewoner (0)" in listing
    assert status(client, f"/leden/{world.alice.id}") == 200
    assert status(client, f"/leden/{resident.id}") == status(client, "/leden/999999") == 404
    assert "Bob Teamgenoot" not in client.get("/teams/team-oost").get_data(as_text=True)

    auth.login(world.carol)  # members see everyone active
    listing = client.get("/leden").get_data(as_text=True)
    for member in (resident, world.alice, world.bob, world.coordinator):
        assert f'id="member-row-{member.id}"' in listing
    assert status(client, f"/leden/{resident.id}") == 200


def test_bylines_stay_but_link_only_where_the_page_may_be_seen(client, auth, world):
    html = client.get(f"/posts/{world.public.id}").get_data(as_text=True)
    assert "Alice Auteur" in html  # the byline stays
    assert f'href="/leden/{world.alice.id}"' not in html
    auth.login(world.carol)
    html = client.get(f"/posts/{world.public.id}").get_data(as_text=True)
    assert f'href="/leden/{world.alice.id}"' in html


def test_a_deactivated_members_page_is_gone_for_others(client, auth, world, create_user):
    world.bob.active = False
    world.bob.public_profile = True
    db.session.commit()
    assert status(client, f"/leden/{world.bob.id}") == 404
    auth.login(world.carol)
    assert status(client, f"/leden/{world.bob.id}") == 404
    assert f'id="member-row-{world.bob.id}"' not in client.get("/leden").get_data(as_text=True)
    auth.logout()
    auth.login(create_user("Ada Admin", role="admin"))
    assert status(client, f"/leden/{world.bob.id}") == 200  # admins manage accounts


def test_the_public_profile_is_a_choice_off_by_default(client, auth, world):
    assert world.carol.public_profile is False
    auth.login(world.carol)
    profile = elements(client.get("/account/profiel"))
    [box] = profile.find("input", name="public_profile")
    assert "checked" not in box
    response = client.post("/account/profiel/zichtbaarheid", data={"public_profile": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.carol.public_profile is True
    auth.logout()
    assert status(client, f"/leden/{world.carol.id}") == 200
    auth.login(world.carol)
    client.post("/account/profiel/zichtbaarheid", data={})
    auth.logout()
    assert status(client, f"/leden/{world.carol.id}") == 404
    # Only for oneself, and only by POST.
    assert status(client, "/account/profiel/zichtbaarheid", "POST") == 302  # to log in


# -- plain-language pages ------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "nl", "en"), [
    ("/privacy", "Wat we bewaren", "What we keep"),
    ("/huisregels", "Geen gegevens van cliënten", "No client details"),
    ("/over", "Over learncom", "About learncom"),
])
def test_plain_language_pages_in_dutch_and_english(client, url, nl, en):
    response = client.get(url)
    assert response.status_code == 200 and nl in response.get_data(as_text=True)
    client.post("/taal", data={"locale": "en"})
    response = client.get(url)
    assert response.status_code == 200 and en in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/experimenten", "/tags", "/leden", "/zoeken",
                                 "/account/inloggen", "/bestaat-niet"])
def test_every_page_links_the_pages_in_its_footer(client, url):
    html = client.get(url).get_data(as_text=True)
    footer = html.split('<footer class="site-footer">')[1]
    for link in ('href="/over"', 'href="/huisregels"', 'href="/privacy"'):
        assert link in footer, (url, link)


def test_the_flag_form_links_the_house_rules(client, auth, world):
    auth.login(world.carol)
    html = client.get(f"/posts/{world.public.id}/melden").get_data(as_text=True)
    assert 'id="flag-house-rules"' in html and 'href="/huisregels"' in html
