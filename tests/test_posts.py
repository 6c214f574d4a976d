"""Post pages: home, lists with filters and pagination, the post page per kind, tags, wijken."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from learncom.extensions import db
from learncom.posts import services
from learncom.posts.models import Neighbourhood


def cards(html: str) -> list[str]:
    """The titles of the post cards on a page, in order."""
    return re.findall(r'<h3 class="card-title"><a href="/posts/\d+">([^<]*)</a>', html)


@pytest.fixture
def author(create_user):
    return create_user("Anke", kind="professional")


@pytest.mark.parametrize("url", ["/", "/experimenten", "/fricties", "/lessen", "/tags", "/wijken"])
def test_pages_render_when_empty(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert 'class="empty"' in response.get_data(as_text=True)


def test_home_shows_each_kind_new_lessons_besides_the_featured_ones_and_activity(
        client, auth, author, create_user, create_post, create_comment):
    create_post(author, title="Proef buurtkamer")
    create_post(author, kind="friction", title="Elke hulpvraag een indicatie")
    create_post(author, kind="lesson", title="Gewone les", statement="Les")
    curated = create_post(author, kind="lesson", title="Gecureerde les", statement="Les")
    curated.curated = True
    newest = create_post(author, kind="lesson", title="Nieuwste les", statement="Les")
    db.session.commit()
    other = create_user("Bert", kind="resident")
    create_comment(newest, other, "Dit herken ik uit Overvecht")
    experiment = create_post(author, title="Experiment met logboek")
    services.add_log_entry(experiment, author, "Week 1: tien bezoekers", date(2025, 3, 1))
    db.session.commit()

    html = client.get("/").get_data(as_text=True)
    # Issue 13 item 4: curated lessons are featured at the top; "Newest lessons" shows the
    # others, newest first, instead of the same curated ones again.
    featured = html.split('id="featured-lessons"')[1].split('id="recent-experiment"')[0]
    assert cards(featured) == ["Gecureerde les"]
    lessons_section = html.split('id="recent-lesson"')[1].split('id="activity"')[0]
    assert cards(lessons_section) == ["Nieuwste les", "Gewone les"]
    experiments = html.split('id="recent-experiment"')[1].split('id="recent-friction"')[0]
    assert set(cards(experiments)) == {"Proef buurtkamer", "Experiment met logboek"}
    activity = html.split('id="activity"')[1]
    assert 'class="activity-comment"' in activity and "Dit herken ik uit Overvecht" in activity
    assert 'class="activity-log"' in activity and "Week 1: tien bezoekers" in activity
    # Anonymous visitors are asked to register; members to post.
    cta = html.split('id="call-to-action"')[1].split("</p>")[0]
    assert 'href="/account/registreren"' in cta
    auth.login(author)
    cta = client.get("/").get_data(as_text=True).split('id="call-to-action"')[1].split("</p>")[0]
    assert 'href="/posts/nieuw"' in cta


@pytest.mark.parametrize("slug,kind", [("experimenten", "experiment"), ("fricties", "friction"),
                                       ("lessen", "lesson")])
def test_each_list_shows_only_its_kind(client, author, create_post, slug, kind):
    for each in ("experiment", "friction", "lesson"):
        create_post(author, kind=each, title=f"Een {each}")
    response = client.get(f"/{slug}")
    assert response.status_code == 200
    assert cards(response.get_data(as_text=True)) == [f"Een {kind}"]


def test_list_filters_combine_and_show_removable(client, create_user, create_post):
    pro = create_user("Pro", kind="professional")
    resident = create_user("Bewoner", kind="resident")
    create_post(pro, title="Overvecht lopend", tags=["armoede"], neighbourhood="Overvecht",
                status="running")
    create_post(pro, title="Overvecht idee", tags=["armoede"], neighbourhood="Overvecht")
    create_post(resident, title="Overvecht bewoner", tags=["armoede"], neighbourhood="Overvecht",
                status="running")
    create_post(pro, title="Kanaleneiland lopend", tags=["armoede"],
                neighbourhood="Kanaleneiland", status="running")
    create_post(pro, title="Ander onderwerp", tags=["wonen"], neighbourhood="Overvecht",
                status="running")

    html = client.get("/experimenten?tag=armoede&neighbourhood=overvecht&status=running"
                      "&author_kind=professional").get_data(as_text=True)
    assert cards(html) == ["Overvecht lopend"]
    # Each active filter has a link that removes just that one.
    removals = dict(re.findall(r'data-filter="(\w+)" href="([^"]+)"', html))
    assert set(removals) == {"tag", "neighbourhood", "status", "author_kind"}
    assert "status=" not in removals["status"].replace("&amp;", "&")
    without_status = client.get(removals["status"].replace("&amp;", "&")).get_data(as_text=True)
    assert sorted(cards(without_status)) == ["Overvecht idee", "Overvecht lopend"]
    # The sidebar form keeps the chosen values.
    assert '<option value="overvecht" selected>' in html
    assert '<option value="running" selected>' in html

    # Tags in the filter are normalised like tags on posts.
    assert sorted(cards(client.get("/experimenten?tag=%20Armoede%20").get_data(as_text=True))) \
        == ["Kanaleneiland lopend", "Overvecht bewoner", "Overvecht idee", "Overvecht lopend"]
    html = client.get("/experimenten?author_kind=resident").get_data(as_text=True)
    assert cards(html) == ["Overvecht bewoner"]
    html = client.get("/fricties?tag=armoede").get_data(as_text=True)
    assert cards(html) == [] and 'class="empty"' in html


def test_list_paginates_by_twenty(client, author, create_post):
    for n in range(25):
        create_post(author, title=f"Experiment {n:02d}")
    first = client.get("/experimenten").get_data(as_text=True)
    assert len(cards(first)) == 20
    assert 'rel="next" href="/experimenten?page=2"' in first
    second = client.get("/experimenten?page=2").get_data(as_text=True)
    assert len(cards(second)) == 5
    assert 'rel="prev"' in second
    assert set(cards(first)).isdisjoint(cards(second))
    # Past the end: an empty page, not an error.
    beyond = client.get("/experimenten?page=9")
    assert beyond.status_code == 200 and cards(beyond.get_data(as_text=True)) == []


BAD_QUERIES = [
    "page=abc", "page=-3", "page=0", "page=99999999999999999999", "page=", "page=1.5",
    "status=bogus", "status=resolved", "neighbourhood=bestaat-niet", "neighbourhood=%00",
    "tag=" + "x" * 5000, "tag=%00%ff", "tag=---", "author_kind=admin", "author_kind=",
    "tag=a&tag=b", "status[]=idea", "neighbourhood=../../etc", "page=%ff%fe",
]


@pytest.mark.parametrize("path", ["/experimenten", "/fricties", "/lessen", "/tags/armoede",
                                  "/wijken/overvecht", "/", "/tags", "/wijken"])
def test_bad_query_args_never_500(client, author, create_post, path):
    create_post(author, title="Blijft zichtbaar", tags=["armoede"], neighbourhood="Overvecht")
    for query in BAD_QUERIES:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, query
    # Arguments that mean nothing are ignored: the list is the unfiltered one.
    for query in ("page=abc", "status=bogus", "neighbourhood=bestaat-niet", "author_kind=admin",
                  "tag=---", "page=%ff%fe"):
        html = client.get(f"{path}?{query}").get_data(as_text=True)
        shown = path in ("/experimenten", "/tags/armoede", "/wijken/overvecht", "/")
        assert ("Blijft zichtbaar" in html) == shown, query


def test_invalid_filters_are_ignored(client, author, create_post):
    create_post(author, title="Een", status="running")
    create_post(author, title="Twee", status="idea")
    html = client.get("/experimenten?status=resolved&neighbourhood=nergens&author_kind=x"
                      ).get_data(as_text=True)
    assert sorted(cards(html)) == ["Een", "Twee"]
    assert "data-filter=" not in html
    # … and named: the page says which filters it left out.
    assert all(f'data-bad-filter="{name}"' in html
               for name in ("status", "neighbourhood", "author_kind"))


def test_experiment_page_shows_its_fields_log_and_dates(client, author, create_post):
    post = create_post(author, title="Buurtkamer", body="Het **verhaal**.",
                       neighbourhood="Overvecht", hypothesis="Ouderen komen *vaker*.",
                       approach="Open inloop", target_group="Ouderen 75+",
                       outcome_measures="- aantal bezoekers", start_date="2025-01-06",
                       end_date="2025-06-30", status="running", result="Nog *onbekend*",
                       evidence_level="substantiated")
    services.add_log_entry(post, author, "Tweede **week**", date(2025, 1, 13))
    services.add_log_entry(post, author, "Eerste week", date(2025, 1, 6))
    db.session.commit()
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "<h1>Buurtkamer</h1>" in html
    assert "Het <strong>verhaal</strong>." in html
    fields = html.split('<dl class="fields">')[1].split("</dl>")[0]
    names = re.findall(r'<dd class="field-(\w+)">', fields)
    assert names == ["hypothesis", "approach", "target_group", "outcome_measures", "start_date",
                     "end_date", "status", "result", "evidence_level"]
    assert "<em>vaker</em>" in fields and "<li>aantal bezoekers</li>" in fields
    assert 'datetime="2025-01-06"' in fields and 'datetime="2025-06-30"' in fields
    assert 'class="status status-running"' in html
    assert 'href="/wijken/overvecht"' in html
    log = html.split('<ol class="log">')[1].split("</ol>")[0]
    # Newest last, by date.
    assert log.index('datetime="2025-01-06"') < log.index('datetime="2025-01-13"')
    assert "Tweede <strong>week</strong>" in log
    assert 'class="badge badge-professional"' in html  # author badge


def test_friction_and_lesson_pages_show_their_fields(client, author, create_post):
    friction = create_post(author, kind="friction", title="Indicatie per hulpvraag",
                           obstacle_type="procedure", affected="Bewoners met *kleine* vragen")
    lesson = create_post(author, kind="lesson", title="Vaste gezichten", statement="Ken je wijk",
                         context="In kleine wijken", confidence="several_teams")
    html = client.get(f"/posts/{friction.id}").get_data(as_text=True)
    assert re.findall(r'<dd class="field-(\w+)">', html) == [
        "obstacle_type", "affected", "change_status"]
    assert "<em>kleine</em>" in html
    assert 'class="status status-raised"' in html
    html = client.get(f"/posts/{lesson.id}").get_data(as_text=True)
    assert re.findall(r'<dd class="field-(\w+)">', html) == [
        "statement", "context", "confidence", "curated"]
    assert '<p class="lesson-statement"><strong>Ken je wijk</strong></p>' in html
    # No log section on a lesson.
    assert 'id="log"' not in html


def test_post_page_shows_edited_only_after_an_edit(client, author, create_post):
    post = create_post(author, title="Eerst")
    assert 'class="edited"' not in client.get(f"/posts/{post.id}").get_data(as_text=True)
    services.update_post(post, author, services.PostInput(kind=post.kind, title="Daarna",
                                                          tags=["eenzaamheid"]))
    db.session.commit()
    assert 'class="edited"' in client.get(f"/posts/{post.id}").get_data(as_text=True)


def test_post_page_escapes_title_and_sanitises_body(client, author, create_post):
    post = create_post(author, title="<script>alert(1)</script>",
                       body="<img src=x onerror=alert(1)> <script>alert(2)</script>")
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror" not in html


def test_tag_index_and_page(client, author, create_post):
    create_post(author, title="A", tags=["armoede", "schulden"])
    create_post(author, title="B", tags=["armoede"])
    html = client.get("/tags").get_data(as_text=True)
    counts = dict(re.findall(r'data-tag="([^"]+)">(\d+)<', html))
    assert counts == {"armoede": "2", "schulden": "1"}
    html = client.get("/tags/armoede").get_data(as_text=True)
    assert sorted(cards(html)) == ["A", "B"]
    assert client.get("/tags/bestaat-niet").status_code == 404
    # A tag typed the way people type it finds its page.
    for typed in ("%20Armoede", "ARMOEDE", "%00armoede"):
        response = client.get(f"/tags/{typed}")
        assert response.status_code == 301 and response.location.endswith("/tags/armoede")


def test_neighbourhood_index_grouped_by_city_and_page(client, author, create_post):
    create_post(author, title="Utrecht 1", neighbourhood="Overvecht")
    create_post(author, title="Utrecht 2", neighbourhood="Overvecht")
    for name, city in (("Overvecht", "Utrecht"), ("Kanaleneiland", "Utrecht"),
                       ("Bijlmer", "Amsterdam")):
        services.get_or_create_neighbourhood(name, city).city = city
    db.session.commit()
    html = client.get("/wijken").get_data(as_text=True)
    cities = re.findall(r'<section class="city">\s*<h2>([^<]+)</h2>', html)
    assert cities == ["Utrecht"]
    assert re.search(r'data-neighbourhood="overvecht">2 ', html)
    # A neighbourhood without posts the visitor can see is neither listed nor a page.
    assert 'data-neighbourhood="bijlmer"' not in html and 'data-neighbourhood="kanaleneiland"' \
        not in html
    page = client.get("/wijken/overvecht")
    assert page.status_code == 200
    assert sorted(cards(page.get_data(as_text=True))) == ["Utrecht 1", "Utrecht 2"]
    assert client.get("/wijken/bijlmer").status_code == 404


def test_coordinators_see_every_neighbourhood_of_the_list(client, auth, author, create_post,
                                                          create_user):
    create_post(author, title="Utrecht 1", neighbourhood="Overvecht")
    for name, city in (("Overvecht", "Utrecht"), ("Kanaleneiland", "Utrecht"),
                       ("Bijlmer", "Amsterdam")):
        services.get_or_create_neighbourhood(name, city).city = city
    db.session.commit()
    auth.login(create_user("Coördinator", role="coordinator"))
    html = client.get("/wijken").get_data(as_text=True)
    cities = re.findall(r'<section class="city">\s*<h2>([^<]+)</h2>', html)
    assert cities == ["Amsterdam", "Utrecht"]
    utrecht = html.split("<h2>Utrecht</h2>")[1]
    assert utrecht.index("Kanaleneiland") < utrecht.index("Overvecht")
    assert re.search(r'data-neighbourhood="bijlmer">0 ', html)
    empty = client.get("/wijken/bijlmer").get_data(as_text=True)
    assert cards(empty) == [] and 'class="empty"' in empty


def test_coordinator_adds_a_neighbourhood(client, auth, create_user):
    coordinator = create_user("Coördinator", role="coordinator")
    member = create_user("Lid")
    # Anonymous: log in first; member: not allowed; nothing is added either way.
    response = client.post("/wijken", data={"name": "Zuilen", "city": "Utrecht"})
    assert response.status_code == 302 and "/account/inloggen" in response.location
    auth.login(member)
    assert 'id="neighbourhood-form"' not in client.get("/wijken").get_data(as_text=True)
    assert client.post("/wijken", data={"name": "Zuilen", "city": "Utrecht"}).status_code == 403
    assert db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Zuilen")) is None
    auth.logout()
    auth.login(coordinator)
    assert 'id="neighbourhood-form"' in client.get("/wijken").get_data(as_text=True)
    response = client.post("/wijken", data={"name": "Zuilen", "city": "Utrecht"})
    assert response.status_code == 302
    hood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Zuilen"))
    assert (hood.slug, hood.city) == ("zuilen", "Utrecht")
    # A second time (any case) is refused with a field error; an empty name too.
    response = client.post("/wijken", data={"name": "zuilen", "city": ""})
    assert response.status_code == 200 and 'id="name-error"' in response.get_data(as_text=True)
    response = client.post("/wijken", data={"name": "  ", "city": "Utrecht"})
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Neighbourhood)).all()) == 1


@pytest.mark.parametrize("url", [
    "/posts/999999", "/tags/onbekend", "/wijken/onbekend",
    "/posts/abc", "/wijken/%00", "/tags/%00",
])
def test_404s(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/posts/999999/bewerken", "/posts/999999/verwijderen",
                                 "/posts/999999/geschiedenis", "/posts/nieuw/gedicht"])
def test_404s_for_members(client, auth, create_user, url):
    auth.login(create_user())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/posts/999999/logboek", "/posts/999999/koppelingen",
                                 "/posts/999999/koppelingen/1/verwijderen",
                                 "/posts/999999/verwijderen"])
def test_posting_to_missing_posts_is_404(client, auth, create_user, url):
    auth.login(create_user())
    assert client.post(url, data={}).status_code == 404


def test_choose_kind_page_links_to_each_form(client, auth, author):
    response = client.get("/posts/nieuw")
    assert response.status_code == 302 and "/account/inloggen" in response.location
    auth.login(author)
    html = client.get("/posts/nieuw").get_data(as_text=True)
    for slug in ("experiment", "frictie", "les"):
        assert f'href="/posts/nieuw/{slug}"' in html
        assert client.get(f"/posts/nieuw/{slug}").status_code == 200
