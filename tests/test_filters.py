"""One filters model (learncom/posts/filters.py) for the kind lists, the change board, search,
the dashboard and the API: the same bad values get the same treatment everywhere. HTML pages
leave a bad value out and name it; the API answers 400 naming it; nothing 500s."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learncom.posts import filters

# Each consumer, who looks at it, and the query arguments it reads.
CONSUMERS = {
    "/experimenten": ("anonymous", {"tag", "neighbourhood", "status", "author_kind", "page",
                                    "sort"}),
    "/verandering": ("coordinator", {"tag", "neighbourhood", "type"}),
    "/zoeken?q=buurtkamer": ("anonymous", {"kind", "tag", "neighbourhood", "status",
                                           "author_kind", "after", "before", "page"}),
    "/dashboard": ("coordinator", {"neighbourhood", "period", "author_kind"}),
    "/api/v1/posts": ("anonymous", {"kind", "status", "tag", "neighbourhood", "page",
                                    "per_page"}),
    "/api/v1/search?q=buurtkamer": ("anonymous", {"kind", "tag", "neighbourhood", "status",
                                                  "author_kind", "after", "before", "page"}),
}
BAD = [
    ("page", "9" * 40), ("page", "-5"), ("page", "twee"), ("per_page", "0"),
    ("after", "2026-13-45"), ("before", "gisteren"), ("kind", "blog"), ("status", "klaar"),
    ("tag", "\x01"), ("tag", "x" * 10_000), ("neighbourhood", "\x00\x01"),
    ("neighbourhood", "w" * 10_000), ("author_kind", "x" * 10_000), ("period", "7"),
    ("type", "blog"), ("sort", "<script>"),
]


@pytest.mark.parametrize("path", list(CONSUMERS))
@pytest.mark.parametrize(("name", "value"), BAD, ids=lambda v: v[:12] if isinstance(v, str)
                         else v)
def test_every_consumer_treats_a_bad_value_alike(client, login_as, path, name, value):
    who, reads = CONSUMERS[path]
    login_as(who)
    url = f"{path}{'&' if '?' in path else '?'}{name}={quote(value)}"
    response = client.get(url)
    if name not in reads:
        assert response.status_code == 200  # not its argument: ignored
    elif path.startswith("/api/"):
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and name in error["message"]
        assert "\x00" not in error["message"] and len(error["message"]) < 300
    else:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'data-bad-filter="{name}"' in html
        assert "niet gebruikt" in html  # in Dutch
        if name == "page":  # bounds as Dutch writes numbers
            assert "van 1 tot en met 10.000" in html or "van 1 tot en met 1.000" in html


@pytest.mark.parametrize("path", list(CONSUMERS))
def test_a_nul_is_dropped_before_any_filter_reads_it(client, login_as, path):
    """The request drops NUL (learncom/web.py): a value of only NUL is no filter at all, and a
    NUL inside a value is gone."""
    login_as(CONSUMERS[path][0])
    nul = "&".join(f"{name}=%00" for name in ("kind", "status", "tag", "neighbourhood", "page",
                                               "after", "period", "type", "author_kind"))
    response = client.get(f"{path}{'&' if '?' in path else '?'}{nul}&per_page=2%0012")
    assert response.status_code == 200
    assert "data-bad-filter" not in response.get_data(as_text=True)


def test_good_values_pass_in_every_spelling():
    parsed = filters.parse({"kind": "Fricties", "status": "opgelost", "tag": "  Oude Wijk ",
                            "author_kind": "bewoners", "after": "2025-03", "page": "3",
                            "per_page": "500", "wijk": "overvecht"},
                           filters.KIND, filters.STATUS, filters.TAG, filters.AUTHOR_KIND,
                           filters.AFTER, filters.PAGE, filters.PER_PAGE, filters.NEIGHBOURHOOD)
    assert parsed.errors == {}
    assert parsed.values == {"kind": "friction", "status": "resolved", "tag": "oude-wijk",
                             "author_kind": "resident", "after": filters.date(2025, 3, 1),
                             "page": 3, "per_page": filters.MAX_PER_PAGE,
                             "neighbourhood": "overvecht"}


def test_a_kinds_list_takes_only_its_own_statuses():
    experiment = filters.status_of("experiment")
    assert filters.parse({"status": "lopend"}, experiment).values == {"status": "running"}
    assert "status" in filters.parse({"status": "resolved"}, experiment).errors


def test_the_api_form_raises_on_the_first_bad_value():
    with pytest.raises(filters.BadFilter) as raised:
        filters.parse_strict({"page": "0", "kind": "lesson"}, filters.KIND, filters.PAGE)
    assert raised.value.name == "page"


@given(st.dictionaries(st.sampled_from(["kind", "status", "tag", "neighbourhood", "wijk",
                                        "author_kind", "after", "before", "page", "per_page",
                                        "type"]), st.text(max_size=300)))
def test_parsing_never_raises_and_keeps_only_clean_values(args):
    parsed = filters.parse(args, filters.KIND, filters.STATUS, filters.TAG,
                           filters.NEIGHBOURHOOD, filters.AUTHOR_KIND, filters.AFTER,
                           filters.BEFORE, filters.PAGE, filters.PER_PAGE, filters.OBSTACLE_TYPE)
    for value in parsed.values.values():
        if isinstance(value, str):
            assert filters.clean(value) == value and 0 < len(value) <= filters.MAX_TEXT
    assert set(parsed.values).isdisjoint(parsed.errors)
