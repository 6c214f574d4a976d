"""Teams: coordinators create them and choose their members; everyone else only looks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learncom.accounts.models import Team
from learncom.extensions import db
from tests.helpers import queries_for


def team_count() -> int:
    return db.session.scalar(select(func.count(Team.id)))


def team_named(name: str) -> Team | None:
    return db.session.scalar(select(Team).where(Team.name == name))


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinator_creates_a_team_and_manages_its_members(client, auth, create_user, role):
    coordinator = create_user("Coco", role=role)
    anke = create_user("Anke", email="anke@example.org")
    bas = create_user("Bas")
    auth.login(coordinator)

    response = client.post("/teams", data={"name": "Wijkteam Overvecht",
                                           "description": "Sociaal wijkteam in Overvecht"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/teams/wijkteam-overvecht"
    team = team_named("Wijkteam Overvecht")
    assert (team.slug, team.description) == ("wijkteam-overvecht", "Sociaal wijkteam in Overvecht")

    by_email = client.post("/teams/wijkteam-overvecht/leden", data={"member": "ANKE@example.org"})
    assert by_email.status_code == 302
    by_name = client.post("/teams/wijkteam-overvecht/leden", data={"member": "bas"})
    assert by_name.status_code == 302
    assert [m.name for m in team.members] == ["Anke", "Bas"]
    again = client.post("/teams/wijkteam-overvecht/leden", data={"member": "Bas"})
    assert again.status_code == 302
    assert len(team.members) == 2

    page = client.get("/teams/wijkteam-overvecht").get_data(as_text=True)
    assert f'id="team-member-{anke.id}"' in page
    assert f'action="/teams/wijkteam-overvecht/leden/{bas.id}/verwijderen"' in page

    response = client.post(f"/teams/wijkteam-overvecht/leden/{anke.id}/verwijderen")
    assert response.status_code == 302
    db.session.expire_all()
    assert [m.name for m in team.members] == ["Bas"]
    assert anke.teams == []


def test_team_name_must_be_new_and_the_form_keeps_what_was_typed(client, auth, create_user):
    auth.login(create_user("Coco", role="coordinator"))
    client.post("/teams", data={"name": "Wijkteam Noord"})
    response = client.post("/teams", data={"name": "wijkteam noord", "description": "Dubbel"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page
    assert 'value="wijkteam noord"' in page and 'value="Dubbel"' in page
    empty = client.post("/teams", data={"name": "  "})
    assert 'id="name-error"' in empty.get_data(as_text=True)
    assert team_count() == 1


def test_same_slug_gets_a_number(client, auth, create_user):
    auth.login(create_user("Coco", role="coordinator"))
    client.post("/teams", data={"name": "Wijkteam Zuid"})
    response = client.post("/teams", data={"name": "Wijkteam-Zuid!"})
    assert response.headers["Location"] == "/teams/wijkteam-zuid-2"


def test_adding_an_unknown_or_deactivated_member_is_a_field_error(client, auth, create_user):
    coordinator = create_user("Coco", role="coordinator", teams=["Wijkteam Noord"])
    gone = create_user("Oud Lid", email="oud@example.org")
    gone.active = False
    db.session.commit()
    auth.login(coordinator)
    for typed in ("Niemand", "niemand@example.org", "oud@example.org", "Oud Lid"):
        response = client.post("/teams/wijkteam-noord/leden", data={"member": typed})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'id="member-error"' in page
        assert f'value="{typed}"' in page
    empty = client.post("/teams/wijkteam-noord/leden", data={"member": ""})
    assert 'id="member-error"' in empty.get_data(as_text=True)
    assert [m.name for m in team_named("Wijkteam Noord").members] == ["Coco"]


def test_member_cannot_manage_teams(client, auth, create_user):
    member = create_user("Anke", teams=["Wijkteam Noord"])
    other = create_user("Bas")
    auth.login(member)
    assert client.post("/teams", data={"name": "Eigen team"}).status_code == 403
    assert client.post("/teams/wijkteam-noord/leden",
                       data={"member": "Bas"}).status_code == 403
    assert client.post(f"/teams/wijkteam-noord/leden/{member.id}/verwijderen").status_code == 403
    assert team_count() == 1
    db.session.expire_all()
    assert [m.name for m in team_named("Wijkteam Noord").members] == ["Anke"]
    assert other.teams == []
    page = client.get("/teams/wijkteam-noord").get_data(as_text=True)
    assert 'id="team-member-form"' not in page
    assert "/verwijderen" not in page
    assert 'id="team-form"' not in client.get("/teams").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, create_user):
    member = create_user("Anke", teams=["Wijkteam Noord"])
    for url, data in (("/teams", {"name": "X team"}),
                      ("/teams/wijkteam-noord/leden", {"member": "Anke"}),
                      (f"/teams/wijkteam-noord/leden/{member.id}/verwijderen", {})):
        response = client.post(url, data=data)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/inloggen")
    assert team_count() == 1
    assert [t.name for t in member.teams] == ["Wijkteam Noord"]


def test_unknown_team_or_member_is_404(client, auth, create_user):
    coordinator = create_user("Coco", role="coordinator", teams=["Wijkteam Noord"])
    auth.login(coordinator)
    assert client.get("/teams/bestaat-niet").status_code == 404
    assert client.post("/teams/bestaat-niet/leden", data={"member": "Coco"}).status_code == 404
    assert client.post(f"/teams/bestaat-niet/leden/{coordinator.id}/verwijderen").status_code == 404
    assert client.post("/teams/wijkteam-noord/leden/999999/verwijderen").status_code == 404


def test_team_pages_list_members_and_visible_posts(client, auth, create_user, create_post):
    anke = create_user("Anke", kind="resident", teams=["Wijkteam Noord"])
    bas = create_user("Bas", teams=["Wijkteam Noord"])
    create_user("Buitenstaander")
    public = create_post(anke, title="Openbaar teamexperiment", team="Wijkteam Noord")
    secret = create_post(anke, title="Rauw teamexperiment", team="Wijkteam Noord",
                         visibility="team")
    elsewhere = create_post(anke, title="Zonder team")

    listing = client.get("/teams").get_data(as_text=True)
    assert 'href="/teams/wijkteam-noord"' in listing

    page = client.get("/teams/wijkteam-noord").get_data(as_text=True)
    # Anonymous visitors see only members with a public profile (none here).
    assert f'id="team-member-{anke.id}"' not in page  # (her byline on the public post stays)
    bas.public_profile = True
    db.session.commit()
    page = client.get("/teams/wijkteam-noord").get_data(as_text=True)
    assert f'id="team-member-{bas.id}"' in page and f'id="team-member-{anke.id}"' not in page
    assert "Buitenstaander" not in page
    assert f'href="/posts/{public.id}"' in page
    assert f'href="/posts/{secret.id}"' not in page
    assert f'href="/posts/{elsewhere.id}"' not in page

    auth.login(create_user("Cas"))
    page = client.get("/teams/wijkteam-noord").get_data(as_text=True)
    assert f'id="team-member-{anke.id}"' in page and f'id="team-member-{bas.id}"' in page
    assert f'href="/posts/{secret.id}"' not in page
    auth.logout()
    auth.login(bas)
    page = client.get("/teams/wijkteam-noord").get_data(as_text=True)
    assert f'href="/posts/{secret.id}"' in page


def test_team_page_ignores_bad_page_argument(client, create_user):
    create_user("Anke", teams=["Wijkteam Noord"])
    for query in ("page=abc", "page=-1", "page=100000"):
        assert client.get(f"/teams/wijkteam-noord?{query}").status_code == 200


def test_member_and_team_pages_do_not_grow_with_their_size(client, auth, create_user,
                                                           create_post, create_comment):
    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            user = create_user(f"Lid {n:02d}", teams=["Wijkteam Noord", f"Team {n % 3}"])
            post = create_post(user, title=f"Post {n}", team="Wijkteam Noord",
                               tags=[f"tag-{n}", "gedeeld"])
            create_comment(post, author, f"Reactie {n}")

    author = create_user("Auteur", role="admin", teams=["Wijkteam Noord"])
    urls = ["/leden", "/teams", "/teams/wijkteam-noord", f"/leden/{author.id}",
            "/beheer/leden"]
    grow(0, 3)
    auth.login(author)
    before = {url: queries_for(client, url) for url in urls}
    grow(3, 15)
    after = {url: queries_for(client, url) for url in urls}
    assert after == before
