"""The coordinators' dashboard: every figure on a known fixture, filters, visibility, the SVG
charts (well-formed, accessible, with a data table) and who may open it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from learncom.dashboard import charts, services
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.reactions.models import Reaction
from tests.helpers import queries_for

SVG = "{http://www.w3.org/2000/svg}"
# The fixture's "now": a fixed moment, so months and periods are known.
NOW = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def parse_svg(svg) -> ET.Element:
    """Parse a chart as XML (it must be well-formed); the markup is our own, from this app."""
    return ET.fromstring(str(svg))  # noqa: S314


def at(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class World:
    """Who and what the fixture made, by short name."""

    def __init__(self):
        self.users = {}
        self.posts = {}


@pytest.fixture
def world(create_user, create_post, create_comment):
    w = World()
    u = w.users
    u["coordinator"] = create_user("Coco", kind="civil_servant", role="coordinator")
    u["member"] = create_user("Mia", kind="professional")
    u["pro"] = create_user("Piet", kind="professional")
    u["resident"] = create_user("Ria", kind="resident")
    u["insider"] = create_user("Ina", kind="resident", teams=["Wijkteam Geheim"])
    reactors = [create_user(f"Herkenner {i}", kind="resident") for i in range(10)]
    p = w.posts
    pro, res = u["pro"], u["resident"]

    def post(key, author, kind, created_at, neighbourhood=None, **fields):
        if kind == "lesson":
            fields.setdefault("statement", "Een les")
        p[key] = create_post(author, kind=kind, title=key, created_at=created_at,
                             neighbourhood=neighbourhood, **fields)

    post("E1", pro, "experiment", at(2026, 6, 10), "Overvecht")
    post("E2", res, "experiment", at(2026, 5, 3), "Lombok")
    # 23:30 UTC on 31 May is 1 June in Amsterdam: counted in June.
    post("E4", res, "experiment", at(2026, 5, 31, 23, 30), "Zuilen")
    post("E3", pro, "experiment", at(2025, 3, 1))  # only within 24 months
    post("F1", res, "friction", at(2026, 6, 1), "Overvecht", change_status="raised")
    post("F2", pro, "friction", at(2026, 4, 15), "Lombok", change_status="on_agenda")
    post("F3", pro, "friction", at(2026, 3, 1, 10), "Overvecht", change_status="resolved")
    post("F4", res, "friction", at(2026, 2, 1, 0), "Lombok", change_status="resolved")
    post("F5", pro, "friction", at(2026, 1, 10), change_status="resolved")  # no record
    post("F6", pro, "friction", at(2026, 5, 20), "Overvecht", change_status="being_addressed")
    post("F7", res, "friction", at(2025, 1, 10), change_status="resolved")  # resolved long ago
    post("F8", pro, "friction", at(2026, 1, 5), change_status="raised")
    post("F9", res, "friction", at(2025, 12, 1), change_status="not_resolved")
    post("L1", pro, "lesson", at(2026, 6, 5), curated=True)
    post("L2", res, "lesson", at(2026, 6, 12), "Overvecht")
    p["L2"].visibility = "members"  # members-only: a coordinator sees it
    post("L3", pro, "lesson", at(2025, 12, 24), "Lombok")
    # Team-only posts the coordinator is not allowed to see: never counted.
    p["T1"] = create_post(u["insider"], kind="friction", title="T1", visibility="team",
                          team="Wijkteam Geheim", neighbourhood="Overvecht",
                          created_at=at(2026, 6, 15), change_status="raised")
    p["T2"] = create_post(u["insider"], kind="lesson", title="T2", visibility="team",
                          team="Wijkteam Geheim", created_at=at(2026, 6, 15), statement="s")

    def change(key, to, when, from_status=None):
        db.session.add(StatusChange(post_id=p[key].id, actor_id=u["coordinator"].id,
                                    from_status=from_status, to_status=to, reason="r",
                                    created_at=when))

    change("F3", "being_addressed", at(2026, 3, 5), "raised")
    change("F3", "resolved", at(2026, 3, 11, 10), "being_addressed")  # 10 days
    change("F4", "resolved", at(2026, 2, 5, 0), "raised")  # 4 days: the first time counts
    change("F4", "being_addressed", at(2026, 2, 10), "resolved")
    change("F4", "resolved", at(2026, 2, 20), "being_addressed")
    change("F7", "resolved", at(2025, 1, 30), "raised")  # 20 days, before the 12 months
    change("F2", "on_agenda", at(2026, 4, 20), "raised")

    def react(key, n, kind="recognise"):
        for reactor in reactors[:n]:
            db.session.add(Reaction(user_id=reactor.id, post_id=p[key].id, kind=kind))

    react("F1", 3)
    react("F1", 5, "useful")  # "useful" is not "recognise"
    react("F6", 2)
    react("F8", 2)
    react("F2", 1)
    react("F9", 10)  # closed: not among the open frictions
    react("T1", 6)  # invisible to the coordinator
    react("F3", 4)  # resolved
    db.session.commit()

    def comment(key, author, when, deleted=False):
        c = create_comment(p[key], author, "Herkenbaar")
        c.created_at = when
        if deleted:
            c.deleted_at = when
        db.session.commit()

    comment("F1", res, at(2026, 6, 15))
    comment("F1", pro, at(2026, 6, 16))
    comment("F1", pro, at(2026, 6, 16), deleted=True)  # deleted: not counted
    comment("E2", res, at(2026, 1, 1))  # older than 90 days
    comment("L3", res, at(2026, 6, 1))  # Lombok
    comment("T1", u["insider"], at(2026, 6, 16))  # invisible post
    return w


def figures(world, **args):
    return services.dashboard(world.users["coordinator"],
                              services.parse_filters(MultiDict(args)), now=NOW)


# -- the figures -------------------------------------------------------------------------------

def test_posts_per_kind_per_month(world):
    months = figures(world).posts_per_month
    assert [m.month for m in months] == [date(2025, 7, 1)] + [
        date(2025 + (7 + i) // 12, (7 + i) % 12 + 1, 1) for i in range(11)]
    assert months[-1].month == date(2026, 6, 1)
    table = {m.month.strftime("%Y-%m"): (m.counts["experiment"], m.counts["friction"],
                                         m.counts["lesson"]) for m in months if m.total}
    assert table == {
        "2026-06": (2, 1, 2),  # E1, E4 (Amsterdam time); F1; L1, L2 (not the team-only ones)
        "2026-05": (1, 1, 0),  # E2; F6
        "2026-04": (0, 1, 0),  # F2
        "2026-03": (0, 1, 0),  # F3
        "2026-02": (0, 1, 0),  # F4
        "2026-01": (0, 2, 0),  # F5, F8
        "2025-12": (0, 1, 1),  # F9; L3
    }
    assert sum(m.total for m in months) == 14
    # 24 months reach back to July 2024: E3 (March 2025) and F7 (January 2025) come in.
    long = figures(world, period="24").posts_per_month
    assert len(long) == 24 and sum(m.total for m in long) == 16


def test_frictions_per_status(world):
    assert figures(world).frictions_per_status == [
        ("raised", 2), ("on_agenda", 1), ("being_addressed", 1), ("resolved", 4),
        ("not_resolved", 1)]


def test_median_days_from_raised_to_resolved(world):
    times = figures(world).resolve_times
    # F3 took 10 days, F4 4 (its first "resolved"); F7 was resolved before the period;
    # F5 has no recorded change and is left out, but counted as such.
    assert times.days == [4.0, 10.0]
    assert times.median == 7.0
    assert times.without_record == 1
    longer = figures(world, period="24").resolve_times
    assert longer.days == [4.0, 10.0, 20.0] and longer.median == 10.0
    assert figures(world, period="3").resolve_times.median is None  # since April: none


def test_most_felt_open_frictions(world):
    felt = figures(world).most_felt
    # Most recognised first; F8 and F6 tie and F8 has been open longer.
    assert [(row.post.title, row.recognised) for row in felt] == [
        ("F1", 3), ("F8", 2), ("F6", 2), ("F2", 1)]
    assert felt[0].days_open == (NOW - at(2026, 6, 1)).days == 19


def test_lessons_awaiting_curation(world):
    waiting = figures(world).awaiting_curation
    assert waiting.total == 2
    assert [lesson.title for lesson in waiting.lessons] == ["L3", "L2"]  # waiting longest first


def test_most_active_neighbourhoods(world):
    rows = figures(world).active_neighbourhoods
    # Since 22 March: Overvecht E1, F1, F6, L2 + 2 comments on F1 (the deleted one and the
    # team-only friction's do not count); Lombok E2, F2 + 1 comment on L3; Zuilen E4.
    assert [(r.neighbourhood.name, r.posts, r.comments) for r in rows] == [
        ("Overvecht", 4, 2), ("Lombok", 2, 1), ("Zuilen", 1, 0)]


def test_filter_by_neighbourhood(world):
    data = figures(world, neighbourhood="lombok")
    assert data.filters.neighbourhood.name == "Lombok"
    assert dict(data.frictions_per_status) == {
        "raised": 0, "on_agenda": 1, "being_addressed": 0, "resolved": 1, "not_resolved": 0}
    assert data.resolve_times.days == [4.0] and data.resolve_times.without_record == 0
    assert [row.post.title for row in data.most_felt] == ["F2"]
    assert [lesson.title for lesson in data.awaiting_curation.lessons] == ["L3"]
    assert [r.neighbourhood.name for r in data.active_neighbourhoods] == ["Lombok"]
    assert sum(m.total for m in data.posts_per_month) == 4  # E2, F2, F4, L3


def test_filter_by_author_kind(world):
    data = figures(world, author_kind="resident")
    # Residents wrote E2, E4, F1, F4, F9 and L2 within the 12 months (F7 is older).
    assert sum(m.total for m in data.posts_per_month) == 6
    assert dict(data.frictions_per_status)["resolved"] == 2  # F4, F7
    assert data.resolve_times.days == [4.0]
    assert [row.post.title for row in data.most_felt] == ["F1"]
    assert [lesson.title for lesson in data.awaiting_curation.lessons] == ["L2"]
    # Overvecht: F1, L2 and Ria's comment; Lombok: E2 and the comment on L3; Zuilen: E4.
    assert [(r.neighbourhood.name, r.posts, r.comments)
            for r in data.active_neighbourhoods] == [
        ("Overvecht", 2, 1), ("Lombok", 1, 1), ("Zuilen", 1, 0)]


@pytest.mark.parametrize("args", [
    {"period": "7"}, {"period": "abc"}, {"period": "-12"}, {"neighbourhood": "bestaat-niet"},
    {"neighbourhood": "x" * 500}, {"author_kind": "wizard"}, {"period": "1" * 40},
])
def test_bad_filter_values_are_ignored(app, args):
    filters = services.parse_filters(MultiDict(args))
    assert (filters.neighbourhood, filters.period, filters.author_kind) == (None, 12, None)
    assert not filters.active


def test_visibility_members_see_less(world):
    """The figures count what the viewer may see: the team's insider sees the team posts."""
    insider = world.users["insider"]
    data = services.dashboard(insider, services.Filters(), now=NOW)
    assert dict(data.frictions_per_status)["raised"] == 3  # F1, F8 and the team's T1
    assert data.most_felt[0].post.title == "T1"
    assert data.awaiting_curation.total == 3  # L2, L3, T2


# -- the page ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "status"), [
    (None, 302), ("member", 403), ("coordinator", 200), ("admin", 200)])
def test_who_may_open_the_dashboard(client, auth, create_user, role, status):
    if role is not None:
        auth.login(create_user(role=role))
    response = client.get("/dashboard")
    assert response.status_code == status
    if status == 302:
        assert "/account/inloggen" in response.headers["Location"]
    home = client.get("/").get_data(as_text=True)
    assert ('id="nav-dashboard"' in home) == (status == 200)


def test_the_page_renders_figures_charts_and_tables(client, auth, create_user, create_post):
    coordinator = create_user("Coco", role="coordinator")
    author = create_user("Ria", kind="resident")
    friction = create_post(author, kind="friction", title="Een <regel> & meer",
                           neighbourhood="Lombok")
    db.session.add(Reaction(user_id=coordinator.id, post_id=friction.id, kind="recognise"))
    create_post(author, kind="lesson", title="Les zonder curatie", statement="s")
    create_post(author, title="Proef")
    auth.login(coordinator)
    html = client.get("/dashboard").get_data(as_text=True)
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        root = parse_svg(svg)  # well-formed XML
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert root.get("viewBox").startswith(f"0 0 {charts.WIDTH} ")
        assert root.findall(f".//{SVG}text")  # text labels, not only shapes
    for section in ("posts-per-month", "frictions-per-status", "most-felt",
                    "active-neighbourhoods"):
        part = html.split(f'id="{section}"')[1].split("</section>")[0]
        assert "<svg" in part
    for table in ("table-posts-per-month", "table-frictions-per-status", "table-most-felt",
                  "table-active-neighbourhoods"):
        part = html.split(f'id="{table}"')[0].rsplit("<details", 1)[1]
        assert part.startswith(' class="chart-data">')
    # This month's row counts one post of each kind.
    this_month = datetime.now(UTC).astimezone(services._zone()).strftime("%Y-%m")
    row = html.split(f'data-month="{this_month}"')[1].split("</tr>")[0]
    assert re.findall(r'data-kind="(\w+)">(\d+)<', row) == [
        ("experiment", "1"), ("friction", "1"), ("lesson", "1"), ("total", "3")]
    status_row = html.split('data-status="raised"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in status_row
    assert 'data-count="1"' in html.split('id="awaiting-count"')[1][:30]
    assert 'id="median-days-none"' in html
    # The friction's title is escaped in the chart and the table.
    assert "Een <regel>" not in html and "Een &lt;regel&gt; &amp; meer" in html
    assert 'href="/curatie"' in html


def test_the_page_applies_filters_and_ignores_bad_ones(client, auth, create_user, create_post):
    coordinator = create_user("Coco", role="coordinator")
    resident = create_user("Ria", kind="resident")
    pro = create_user("Piet", kind="professional")
    create_post(resident, kind="friction", title="Van Ria", neighbourhood="Lombok")
    create_post(pro, kind="friction", title="Van Piet", neighbourhood="Zuilen")
    auth.login(coordinator)

    def raised(url):
        html = client.get(url).get_data(as_text=True)
        return int(re.search(r'data-status="raised">.*?<td class="num">(\d+)</td>', html,
                             flags=re.S).group(1))

    assert raised("/dashboard") == 2
    assert raised("/dashboard?author_kind=resident") == 1
    assert raised("/dashboard?neighbourhood=zuilen") == 1
    assert raised("/dashboard?neighbourhood=zuilen&author_kind=resident") == 0
    assert raised("/dashboard?neighbourhood=nergens&author_kind=%00&period=%FF") == 2
    html = client.get("/dashboard?period=3&neighbourhood=lombok").get_data(as_text=True)
    assert '<option value="3" selected>' in html
    assert '<option value="lombok" selected>' in html
    assert html.count("<tr data-month=") == 3
    assert 'id="dashboard-reset"' in html


def test_the_dashboard_takes_a_fixed_number_of_queries(client, auth, create_user, create_post,
                                                       create_comment):
    coordinator = create_user("Coco", role="coordinator")
    author = create_user("Ria", kind="resident")
    auth.login(coordinator)

    def add(n):
        for i in range(n):
            for kind in ("experiment", "friction", "lesson"):
                post = create_post(author, kind=kind, title=f"{kind} {i}",
                                   neighbourhood=f"Wijk {i}", statement="s")
                create_comment(post, author)
                db.session.add(Reaction(user_id=coordinator.id, post_id=post.id,
                                        kind="recognise"))
        db.session.commit()

    add(1)
    few = queries_for(client, "/dashboard")
    add(4)
    assert queries_for(client, "/dashboard") == few


# -- the charts --------------------------------------------------------------------------------

def test_bar_chart_is_well_formed_escaped_and_labelled(app):
    with app.test_request_context():
        svg = charts.bar_chart("chart-test", 'Titel "met" <tekens>', "Beschrijving & meer", [
            charts.Bar("Een <b>label</b> & 'quote'", 5, "friction"),
            charts.Bar("Nul", 0),
            charts.Bar("Half", 2.5),
        ])
    root = parse_svg(svg)
    assert root.find(f"{SVG}title").text == 'Titel "met" <tekens>'
    assert root.find(f"{SVG}desc").text == "Beschrijving & meer"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Een <b>label</b> & 'quote'", "5", "Nul", "0", "Half", "2,5"]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[2] > widths[1] == 0
    assert "<b>" not in str(svg)


def test_grouped_chart_has_a_legend_and_patterns(app):
    with app.test_request_context():
        svg = charts.grouped_bar_chart(
            "chart-group", "Posts", "desc",
            [charts.Series("Experimenten", "experiment"), charts.Series("Fricties", "friction"),
             charts.Series("Lessen", "lesson")],
            [("jan 2026", [1, 2, 3]), ("feb 2026", [0, 0, 4])])
    root = parse_svg(svg)
    patterns = root.findall(f".//{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["chart-group-s0", "chart-group-s1",
                                               "chart-group-s2"]
    # Each series has its own texture, not only its own colour.
    assert [[child.tag.removeprefix(SVG) for child in p] for p in patterns] == [
        ["rect"], ["rect", "path"], ["rect", "circle"]]
    legend = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"
              for t in g.iter(f"{SVG}text")]
    assert legend == ["Experimenten", "Fricties", "Lessen"]
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "group"]
    assert [[t.text for t in g.iter(f"{SVG}text")] for g in groups] == [
        ["jan 2026", "1", "2", "3"], ["feb 2026", "0", "0", "4"]]


def test_empty_charts_say_so(app):
    with app.test_request_context():
        svg = charts.bar_chart("chart-empty", "Leeg", "Niets", [], empty="Nog niets")
    root = parse_svg(svg)
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Nog niets"]


def test_chart_ids_are_checked(app):
    with app.test_request_context(), pytest.raises(ValueError):
        charts.bar_chart('x" onload="alert(1)', "t", "d", [])


def test_month_starts_cross_the_year(app):
    assert services.month_starts(3, at(2026, 1, 31, 23, 30)) == [
        date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]  # 00:30 on 1 Feb in Amsterdam
    assert services.month_starts(2, at(2026, 3, 10)) == [date(2026, 2, 1), date(2026, 3, 1)]
    assert services.period_start(1, at(2026, 3, 10)) == at(2026, 2, 28, 23)
    assert timedelta(0) < NOW - services.period_start(12, NOW) < timedelta(days=366)


def test_chart_texts_count_in_the_right_plural_and_the_locale_s_numbers(app):
    """Issue 13 item 7: "1 bericht", never "1 berichten"; numbers as the locale writes them."""
    from types import SimpleNamespace

    one = services.MonthCount(date(2026, 1, 1), {"experiment": 1, "friction": 0, "lesson": 0})
    many = services.MonthCount(date(2026, 2, 1), {"experiment": 1200, "friction": 34,
                                                  "lesson": 0})
    hood = SimpleNamespace(name="Overvecht")
    with app.test_request_context():
        single = parse_svg(charts.posts_per_month_chart([one])).find(f"{SVG}desc").text
        plural = parse_svg(charts.posts_per_month_chart([one, many])).find(f"{SVG}desc").text
        hoods = parse_svg(charts.neighbourhoods_chart([
            SimpleNamespace(neighbourhood=hood, posts=1, comments=1, total=2)])
        ).find(f"{SVG}desc").text
    assert single.startswith("1 maand. ") and "(1 bericht)." in single
    assert plural.startswith("2 maanden. ") and "Experimenten: 1.201" in plural
    assert "(1.234 berichten)." in plural
    assert hoods == "Overvecht: 1 bericht, 1 reactie."
