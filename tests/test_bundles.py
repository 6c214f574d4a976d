"""Bundles: permissions, create/edit/delete, adding curated lessons and the posts behind them,
ordering, publishing, the print page and the Markdown export, and what each viewer may see."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from learncom.audit.models import AuditEvent
from learncom.bundles import services
from learncom.bundles.models import Bundle, BundleItem
from learncom.extensions import db
from learncom.posts import services as post_services
from tests.helpers import elements, queries_for


def lesson(create_post, author, title, curated=True, **kw):
    kw.setdefault("statement", f"{title}: wat we leerden.")
    kw.setdefault("tags", ["leren"])
    return create_post(author, kind="lesson", title=title, curated=curated, **kw)


def make_bundle(people, title="Teamdag Overvecht", intro="Voor de **teamdag**.", posts=(),
                published=True):
    bundle = services.create_bundle(people["coordinator"], title, intro)
    for post in posts:
        services.add_item(bundle, post)
    if published:
        services.publish(bundle, people["coordinator"])
    db.session.commit()
    return bundle


def item_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-post-id="(\d+)"',
                                       response.get_data(as_text=True).split(
                                           'id="bundle-items"', 1)[-1])]


# -- permissions -------------------------------------------------------------------------------

@pytest.fixture
def world(people, create_post):
    one = lesson(create_post, people["author"], "Vertrouwen via de buurtkamer")
    published = make_bundle(people, "Gepubliceerd", posts=[one])
    draft = make_bundle(people, "Concept", posts=[one], published=False)
    return {"published": published.slug, "draft": draft.slug, "lesson": one.id}


READ_CASES = [
    # url, who, status
    ("/bundels", "anonymous", 200), ("/bundels", "member", 200),
    ("/bundels", "coordinator", 200), ("/bundels", "admin", 200),
    ("/bundels/{published}", "anonymous", 200), ("/bundels/{published}", "member", 200),
    ("/bundels/{draft}", "anonymous", 404), ("/bundels/{draft}", "member", 404),
    ("/bundels/{draft}", "coordinator", 200), ("/bundels/{draft}", "admin", 200),
    ("/bundels/{published}/afdrukken", "anonymous", 200),
    ("/bundels/{draft}/afdrukken", "member", 404),
    ("/bundels/{draft}/afdrukken", "coordinator", 200),
    ("/bundels/{published}.md", "anonymous", 200),
    ("/bundels/{draft}.md", "anonymous", 404), ("/bundels/{draft}.md", "member", 404),
    ("/bundels/{draft}.md", "admin", 200),
    ("/bundels/nieuw", "anonymous", 302), ("/bundels/nieuw", "member", 403),
    ("/bundels/nieuw", "coordinator", 200), ("/bundels/nieuw", "admin", 200),
    ("/bundels/{published}/bewerken", "anonymous", 302),
    ("/bundels/{published}/bewerken", "member", 403),
    ("/bundels/{draft}/bewerken", "member", 404),
    ("/bundels/{published}/bewerken", "coordinator", 200),
    ("/bundels/{draft}/bewerken", "admin", 200),
    ("/bundels/bestaat-niet", "coordinator", 404),
    ("/bundels/bestaat-niet.md", "coordinator", 404),
    ("/bundels/bestaat-niet/afdrukken", "coordinator", 404),
    ("/bundels/%00x", "coordinator", 404), ("/bundels/%00x.md", "anonymous", 404),
    ("/bundels/" + "a" * 300, "member", 404), ("/bundels/%C3%A9t%C3%A9", "anonymous", 404),
]


@pytest.mark.parametrize("url, who, status", READ_CASES)
def test_read_permissions(client, auth, login_as, people, world, url, who, status):
    login_as(who)
    assert client.get(url.format(**world)).status_code == status


WRITE_URLS = [
    "/bundels/nieuw", "/bundels/{published}/bewerken", "/bundels/{published}/items",
    "/bundels/{published}/items/{item}/omhoog", "/bundels/{published}/items/{item}/omlaag",
    "/bundels/{published}/items/{item}/verwijderen",
    "/bundels/{published}/items/{item}/achterliggend", "/bundels/{published}/volgorde",
    "/bundels/{published}/publiceren", "/bundels/{published}/depubliceren",
    "/bundels/{published}/verwijderen",
]


@pytest.mark.parametrize("url", WRITE_URLS)
@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403)])
def test_only_coordinators_change_bundles(client, auth, login_as, people, world, url, who, status):
    item = db.session.scalar(select(BundleItem.id))
    login_as(who)
    before = (db.session.scalar(select(func.count()).select_from(Bundle)),
              db.session.scalar(select(func.count()).select_from(BundleItem)))
    response = client.post(url.format(item=item, **world),
                           data={"title": "Nieuw", "add-post": str(world["lesson"]),
                                 "order": str(item)})
    assert response.status_code == status
    assert (db.session.scalar(select(func.count()).select_from(Bundle)),
            db.session.scalar(select(func.count()).select_from(BundleItem))) == before
    db.session.expire_all()
    assert db.session.scalar(select(Bundle).where(Bundle.slug == world["published"])
                             ).is_published


@pytest.mark.parametrize("suffix", ["/bewerken", "/items", "/publiceren", "/verwijderen",
                                    "/items/999999/omhoog", "/items/999999/verwijderen"])
def test_changes_to_missing_bundles_or_items_are_404(client, auth, people, world, suffix):
    auth.login(people["coordinator"])
    assert client.post(f"/bundels/bestaat-niet{suffix}").status_code == 404
    if "999999" in suffix:
        assert client.post(f"/bundels/{world['published']}{suffix}").status_code == 404


def test_items_of_another_bundle_are_404(client, auth, people, world):
    other = db.session.scalar(select(BundleItem).join(Bundle).where(
        Bundle.slug == world["draft"]))
    auth.login(people["coordinator"])
    url = f"/bundels/{world['published']}/items/{other.id}/verwijderen"
    assert client.post(url).status_code == 404
    assert db.session.get(BundleItem, other.id) is not None


# -- create, edit, delete ----------------------------------------------------------------------

def test_create_bundle_with_unique_slugs(client, auth, people):
    auth.login(people["coordinator"])
    response = client.post("/bundels/nieuw", data={"title": "Teamdag Zuilen",
                                                   "intro": "Een *intro*."})
    assert response.status_code == 302
    bundle = db.session.scalars(select(Bundle)).one()
    assert response.headers["Location"].endswith("/bundels/teamdag-zuilen/bewerken#add")
    assert (bundle.slug, bundle.title, bundle.intro, bundle.created_by_id) == (
        "teamdag-zuilen", "Teamdag Zuilen", "Een *intro*.", people["coordinator"].id)
    assert "<em>intro</em>" in bundle.intro_html
    assert not bundle.is_published
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bundle.created")
                                 ).one()
    assert (created.actor_id, created.target_id) == (people["coordinator"].id, bundle.id)
    client.post("/bundels/nieuw", data={"title": "Teamdag Zuilen!", "intro": ""})
    client.post("/bundels/nieuw", data={"title": "Nieuw", "intro": ""})
    slugs = sorted(db.session.scalars(select(Bundle.slug)))
    assert slugs == ["nieuw-2", "teamdag-zuilen", "teamdag-zuilen-2"]
    assert client.get("/bundels/nieuw-2").status_code == 200


def test_create_form_errors_keep_the_input(client, auth, people):
    auth.login(people["coordinator"])
    response = client.post("/bundels/nieuw", data={"title": "", "intro": "Mijn intro"})
    assert response.status_code == 200
    page = elements(response)
    assert page.find("input", name="title", **{"aria-invalid": "true"})
    assert "Mijn intro" in response.get_data(as_text=True)
    response = client.post("/bundels/nieuw", data={"title": "x" * 201, "intro": ""})
    assert elements(response).find("input", name="title", **{"aria-invalid": "true"})
    assert db.session.scalar(select(func.count()).select_from(Bundle)) == 0


def test_edit_title_and_intro_keeps_the_slug(client, auth, people):
    bundle = make_bundle(people, "Raad maart", intro="Oud")
    auth.login(people["coordinator"])
    response = client.post(f"/bundels/{bundle.slug}/bewerken",
                           data={"title": "Raadsvergadering maart", "intro": "Nieuw"})
    assert response.status_code == 302
    db.session.expire_all()
    bundle = db.session.get(Bundle, bundle.id)
    assert (bundle.title, bundle.intro, bundle.slug) == ("Raadsvergadering maart", "Nieuw",
                                                         "raad-maart")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "bundle.updated")) == 1
    client.post(f"/bundels/{bundle.slug}/bewerken",
                data={"title": "Raadsvergadering maart", "intro": "Nieuw"})
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "bundle.updated")) == 1
    response = client.post(f"/bundels/{bundle.slug}/bewerken",
                           data={"title": "", "intro": "Blijft staan"})
    assert response.status_code == 200
    assert "Blijft staan" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Bundle, bundle.id).title == "Raadsvergadering maart"


def test_delete_bundle_keeps_its_posts(client, auth, people, create_post):
    post = lesson(create_post, people["author"], "Les")
    bundle = make_bundle(people, posts=[post])
    auth.login(people["coordinator"])
    response = client.post(f"/bundels/{bundle.slug}/verwijderen")
    assert response.status_code == 302 and response.headers["Location"].endswith("/bundels")
    assert db.session.scalar(select(func.count()).select_from(Bundle)) == 0
    assert db.session.scalar(select(func.count()).select_from(BundleItem)) == 0
    assert db.session.get(type(post), post.id) is not None


# -- items -------------------------------------------------------------------------------------

def test_add_curated_lessons_by_number_address_or_candidate_button(
        client, auth, people, create_post):
    a = lesson(create_post, people["author"], "Les A")
    b = lesson(create_post, people["author"], "Les B")
    c = lesson(create_post, people["author"], "Les C")
    bundle = make_bundle(people, published=False)
    auth.login(people["coordinator"])
    html = client.get(f"/bundels/{bundle.slug}/bewerken").get_data(as_text=True)
    candidates = html.split('id="bundle-candidates"', 1)[1].split("</ul>", 1)[0]
    assert {int(n) for n in re.findall(r'data-post-id="(\d+)"', candidates)} == {a.id, b.id, c.id}
    url = f"/bundels/{bundle.slug}/items"
    assert client.post(url, data={"add-post": str(a.id)}).status_code == 302
    assert client.post(url, data={"add-post": f"http://localhost/posts/{b.id}"}
                       ).status_code == 302
    assert client.post(url, data={"add-post": str(c.id)}).status_code == 302
    items = db.session.scalars(select(BundleItem).order_by(BundleItem.position)).all()
    assert [(i.post_id, i.position) for i in items] == [(a.id, 0), (b.id, 1), (c.id, 2)]
    html = client.get(f"/bundels/{bundle.slug}/bewerken").get_data(as_text=True)
    assert 'id="bundle-candidates"' not in html


@pytest.mark.parametrize("case", ["uncurated", "duplicate", "invisible", "missing", "garbage",
                                  "hidden"])
def test_add_refusals_come_back_with_an_error(client, auth, people, create_post, case):
    curated = lesson(create_post, people["author"], "Gecureerd")
    bundle = make_bundle(people, posts=[curated], published=False)
    posts = {
        "uncurated": lesson(create_post, people["author"], "Niet gecureerd", curated=False).id,
        "duplicate": curated.id,
        "invisible": lesson(create_post, people["author"], "Team", visibility="team",
                            team="Team Noord").id,
        "missing": 999999,
        "garbage": "geen nummer",
    }
    if case == "hidden":
        hidden = lesson(create_post, people["author"], "Verborgen")
        hidden.hidden_at = datetime.now(UTC)
        db.session.commit()
        posts["hidden"] = hidden.id
    auth.login(people["coordinator"])
    response = client.post(f"/bundels/{bundle.slug}/items", data={"add-post": str(posts[case])})
    # Issue 13 item 11: back on the editor's own address (a reload sends nothing again), with
    # the number as typed, the reason, and the focus on the field.
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bundels/{bundle.slug}/bewerken"
    page = elements(client.get(f"/bundels/{bundle.slug}/bewerken"))
    assert page.find("input", name="add-post", autofocus="", **{"aria-invalid": "true"})
    assert page.find("input", name="add-post", value=str(posts[case]))
    assert db.session.scalar(select(func.count()).select_from(BundleItem)) == 1


def test_experiments_and_frictions_can_be_added_and_posts_behind_a_lesson(
        client, auth, people, create_post):
    the_lesson = lesson(create_post, people["author"], "Les")
    other = lesson(create_post, people["author"], "Andere les")
    experiment = create_post(people["author"], title="Experiment erachter")
    friction = create_post(people["author"], kind="friction", title="Frictie erachter")
    team_exp = create_post(people["author"], title="Teamexperiment", visibility="team",
                           team="Team Noord")
    unrelated = create_post(people["author"], title="Los experiment")
    post_services.add_link(the_lesson, experiment, "learned_from", people["author"])
    post_services.add_link(friction, the_lesson, "related", people["author"])
    post_services.add_link(the_lesson, team_exp, "learned_from", people["author"])
    post_services.add_link(the_lesson, other, "related", people["author"])
    db.session.commit()
    bundle = make_bundle(people, posts=[the_lesson, other], published=False)
    item = db.session.scalar(select(BundleItem).where(BundleItem.post_id == the_lesson.id))
    auth.login(people["coordinator"])
    page = elements(client.get(f"/bundels/{bundle.slug}/bewerken"))
    assert page.find("form", action=f"/bundels/{bundle.slug}/items/{item.id}/achterliggend")
    response = client.post(f"/bundels/{bundle.slug}/items/{item.id}/achterliggend")
    assert response.status_code == 302
    order = db.session.scalars(select(BundleItem.post_id).order_by(BundleItem.position)).all()
    assert order == [the_lesson.id, experiment.id, friction.id, other.id]
    assert team_exp.id not in order and unrelated.id not in order
    # Again: nothing new to add, nothing changes.
    client.post(f"/bundels/{bundle.slug}/items/{item.id}/achterliggend")
    assert db.session.scalars(select(BundleItem.post_id).order_by(BundleItem.position)
                              ).all() == order
    page = elements(client.get(f"/bundels/{bundle.slug}/bewerken"))
    assert not page.find("form", action=f"/bundels/{bundle.slug}/items/{item.id}/achterliggend")
    # A plain experiment can be added by number too.
    client.post(f"/bundels/{bundle.slug}/items", data={"add-post": str(unrelated.id)})
    assert db.session.scalar(select(func.count()).select_from(BundleItem)) == 5


def test_move_up_down_reorder_and_remove(client, auth, people, create_post):
    posts = [lesson(create_post, people["author"], f"Les {n}") for n in range(4)]
    bundle = make_bundle(people, posts=posts, published=False)
    items = {i.post_id: i.id for i in db.session.scalars(select(BundleItem))}
    auth.login(people["coordinator"])
    base = f"/bundels/{bundle.slug}/items"

    def order():
        db.session.expire_all()
        return [posts.index(p) for p in [next(x for x in posts if x.id == pid) for pid in
                db.session.scalars(select(BundleItem.post_id).order_by(BundleItem.position))]]

    response = client.post(f"{base}/{items[posts[2].id]}/omhoog")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{items[posts[2].id]}")
    assert order() == [0, 2, 1, 3]
    client.post(f"{base}/{items[posts[0].id]}/omhoog")  # already first: no change
    client.post(f"{base}/{items[posts[3].id]}/omlaag")  # already last: no change
    assert order() == [0, 2, 1, 3]
    client.post(f"{base}/{items[posts[0].id]}/omlaag")
    assert order() == [2, 0, 1, 3]
    response = client.post(f"/bundels/{bundle.slug}/volgorde",
                           data={"order": f"{items[posts[3].id]},x,{items[posts[1].id]},99999"})
    assert response.status_code == 302
    assert order() == [3, 1, 2, 0]
    response = client.post(f"/bundels/{bundle.slug}/volgorde",
                           data={"order": f"{items[posts[0].id]}"},
                           headers={"Accept": "application/json"})
    assert response.get_json()["order"][0] == items[posts[0].id]
    assert order() == [0, 3, 1, 2]
    client.post(f"{base}/{items[posts[3].id]}/verwijderen")
    assert order() == [0, 1, 2]
    positions = db.session.scalars(select(BundleItem.position).order_by(BundleItem.position)).all()
    assert positions == [0, 1, 2]
    page = elements(client.get(f"/bundels/{bundle.slug}/bewerken"))
    first = items[posts[0].id]
    assert not page.find("form", action=f"{base}/{first}/omhoog")
    assert page.find("form", action=f"{base}/{first}/omlaag")


# -- publishing --------------------------------------------------------------------------------

def test_publish_and_unpublish_with_audit(client, auth, people, create_post):
    bundle = make_bundle(people, posts=[lesson(create_post, people["author"], "Les")],
                         published=False)
    assert client.get(f"/bundels/{bundle.slug}").status_code == 404
    auth.login(people["coordinator"])
    response = client.post(f"/bundels/{bundle.slug}/publiceren")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Bundle, bundle.id).is_published
    client.post(f"/bundels/{bundle.slug}/publiceren")  # twice: one record
    auth.logout()
    assert client.get(f"/bundels/{bundle.slug}").status_code == 200
    assert f'data-slug="{bundle.slug}"' in client.get("/bundels").get_data(as_text=True)
    auth.login(people["admin"])
    client.post(f"/bundels/{bundle.slug}/depubliceren")
    auth.logout()
    assert client.get(f"/bundels/{bundle.slug}").status_code == 404
    assert f'data-slug="{bundle.slug}"' not in client.get("/bundels").get_data(as_text=True)
    records = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("bundle.published", "bundle.unpublished")))
        .order_by(AuditEvent.id)).all()
    assert [(r.action, r.actor_id, r.target_type, r.target_id) for r in records] == [
        ("bundle.published", people["coordinator"].id, "bundles", bundle.id),
        ("bundle.unpublished", people["admin"].id, "bundles", bundle.id)]


def test_index_lists_drafts_for_coordinators_only_with_visible_counts(
        client, auth, people, create_post):
    public = lesson(create_post, people["author"], "Openbaar")
    members = lesson(create_post, people["author"], "Leden", visibility="members")
    published = make_bundle(people, "Gepubliceerd", posts=[public, members])
    draft = make_bundle(people, "Concept", published=False)
    html = client.get("/bundels").get_data(as_text=True)
    assert f'data-slug="{published.slug}"' in html and f'data-slug="{draft.slug}"' not in html
    row = html.split(f'data-slug="{published.slug}"', 1)[1].split("</li>", 1)[0]
    assert "1 " in row and "2 " not in row
    assert not elements(client.get("/bundels")).find("a", id="new-bundle")
    auth.login(people["coordinator"])
    html = client.get("/bundels").get_data(as_text=True)
    assert f'data-slug="{draft.slug}"' in html
    assert html.index(draft.slug) < html.index(published.slug)
    assert elements(client.get("/bundels")).find("a", id="new-bundle", href="/bundels/nieuw")


# -- visibility in pages and exports -----------------------------------------------------------

@pytest.fixture
def mixed(people, create_post):
    public = lesson(create_post, people["author"], "Openbare les",
                    body="De tekst van de openbare les.", context="In Overvecht.",
                    confidence="several_teams")
    members = lesson(create_post, people["author"], "Ledenles", visibility="members")
    team = create_post(people["author"], title="Teamexperiment", visibility="team",
                       team="Team Noord", hypothesis="Wat als we het anders doen?")
    hidden = lesson(create_post, people["author"], "Verborgen les")
    friction = create_post(people["author"], kind="friction", title="Een frictie",
                           obstacle_type="procedure", affected="Bewoners met schulden")
    bundle = make_bundle(people, "Raad", posts=[public, members, team, hidden, friction])
    hidden.hidden_at = datetime.now(UTC)
    db.session.commit()
    return {"bundle": bundle, "public": public, "members": members, "team": team,
            "hidden": hidden, "friction": friction}


@pytest.mark.parametrize("who, expected", [
    ("anonymous", ["public", "friction"]),
    ("member", ["public", "members", "friction"]),
    ("author", ["public", "members", "team", "friction"]),
    ("coordinator", ["public", "members", "friction"]),
])
def test_each_viewer_sees_only_the_items_they_may_see(client, auth, login_as, people, mixed, who,
                                                     expected):
    login_as(who)
    slug = mixed["bundle"].slug
    want = [mixed[name].id for name in expected]
    assert item_ids(client.get(f"/bundels/{slug}")) == want
    printed = client.get(f"/bundels/{slug}/afdrukken").get_data(as_text=True)
    assert [int(n) for n in re.findall(r'<article class="print-item[^"]*" id="post-(\d+)"',
                                       printed)] == want
    exported = client.get(f"/bundels/{slug}.md").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"/posts/(\d+)>", exported)] == want
    for name in ("public", "members", "team", "hidden", "friction"):
        shown = name in expected
        assert (mixed[name].title in exported) is shown, name
        assert (mixed[name].title in printed) is shown, name


def test_markdown_export_contains_each_post(client, mixed):
    response = client.get(f"/bundels/{mixed['bundle'].slug}.md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="raad.md"'
    text = response.get_data(as_text=True)
    assert text.startswith("# Raad\n")
    assert "Voor de **teamdag**." in text
    public, friction = mixed["public"], mixed["friction"]
    assert f"## 1. {public.title}" in text
    assert public.statement in text
    assert "De tekst van de openbare les." in text
    assert "In Overvecht." in text
    assert "Aad Auteur" in text
    assert f"http://localhost/posts/{public.id}" in text
    assert f"## 2. {friction.title}" in text
    assert "Bewoners met schulden" in text


def test_print_page_is_clean(client, mixed):
    response = client.get(f"/bundels/{mixed['bundle'].slug}/afdrukken")
    html = response.get_data(as_text=True)
    page = elements(response)
    assert not page.find("form") and not page.find("input") and not page.find("button")
    assert not page.find("nav", class_="main-nav") and not page.find("header", class_="site-header")
    assert page.find("link", rel="stylesheet", href="/static/css/print.css")
    assert mixed["public"].statement in html
    assert "De tekst van de openbare les." in html
    assert page.find("a", href=f"http://localhost/posts/{mixed['public'].id}")
    assert len(page.find("article", class_="print-item")) == 2


def test_show_page_and_export_query_counts_do_not_grow(client, people, create_post):
    first = lesson(create_post, people["author"], "Eerste", neighbourhood="Zuilen")
    bundle = make_bundle(people, posts=[first])
    few = [queries_for(client, f"/bundels/{bundle.slug}{suffix}")
           for suffix in ("", "/afdrukken", ".md")]
    more = [lesson(create_post, people["author"], f"Les {n}", tags=[f"t{n}"],
                   neighbourhood=f"Wijk {n}") for n in range(6)]
    for post in more:
        services.add_item(bundle, post)
    db.session.commit()
    many = [queries_for(client, f"/bundels/{bundle.slug}{suffix}")
            for suffix in ("", "/afdrukken", ".md")]
    assert many == few
    one_bundle = queries_for(client, "/bundels")
    make_bundle(people, "Tweede", posts=more[:2])
    make_bundle(people, "Derde", posts=more[2:])
    assert queries_for(client, "/bundels") == one_bundle


def test_nav_links_to_bundles(client):
    assert elements(client.get("/")).find("a", id="nav-bundles", href="/bundels")


def test_editor_buttons_say_which_post_they_act_on(client, auth, people, create_post):
    """Issue 13 item 12: with eight "Add" and many "Move up" buttons, each one's name (what a
    screen reader reads, and what voice control listens for) includes the post's title."""
    one = lesson(create_post, people["author"], "Eerste les")
    two = lesson(create_post, people["author"], "Tweede les")
    lesson(create_post, people["author"], "Losse les")
    bundle = make_bundle(people, posts=[one, two], published=False)
    auth.login(people["coordinator"])
    html = client.get(f"/bundels/{bundle.slug}/bewerken").get_data(as_text=True)
    names = {" ".join(re.sub(r"<[^>]+>", "", button).split())
             for button in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)}
    assert {"Omlaag: Eerste les", "Omhoog: Tweede les", "Eruit halen: Eerste les",
            "Eruit halen: Tweede les", "Toevoegen: Losse les"} <= names, names
    assert "Toevoegen" not in names and "Omhoog" not in names
