"""One date style everywhere (issue 13 item 14) and numbers as the locale writes them: the
locale's medium date, with the short time where a time matters, through `web.format_when`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, get_translations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.web import _format_when_babel, _translations, format_when

WHEN = datetime(2026, 1, 13, 10, 38, 11, tzinfo=UTC)  # 11:38 in Amsterdam


def test_format_when_in_dutch_and_english(app):
    with app.test_request_context():
        assert format_when(date(2026, 5, 13)) == "13 mei 2026"
        assert format_when(WHEN) == "13 jan 2026"
        assert format_when(WHEN, time=True) == "13 jan 2026, 11:38"
        assert format_when(None) == ""
    with app.test_request_context(), force_locale("en"):
        assert format_when(WHEN, time=True) == "Jan 13, 2026, 11:38\u202fAM"


@pytest.mark.parametrize("locale", ["nl", "en"])
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                           timezones=st.sampled_from([None, UTC])))
def test_the_fast_format_writes_what_flask_babel_writes(app, locale, moment):
    """`format_when` parses the locale's patterns once; its text is Flask-Babel's, for any
    moment (summer and winter time, naive values read as UTC) and for a plain date."""
    with app.test_request_context(), force_locale(locale):
        for time in (True, False):
            assert format_when(moment, time=time) == _format_when_babel(moment, time=time)
        assert format_when(moment.date()) == _format_when_babel(moment.date(), time=False)


def test_the_kept_translations_follow_a_forced_locale(app):
    """Templates look the translations up once per request; a `force_locale` block (a mail in
    the member's language) still gets its own, and the page's come back after it."""
    with app.test_request_context():
        assert _translations().ugettext("Reply") == "Antwoorden"
        with force_locale("en"):
            assert _translations().ugettext("Reply") == "Reply"
            assert _translations() is get_translations()
        assert _translations().ugettext("Reply") == "Antwoorden"
        assert _translations() is get_translations()


# Other spellings of a date the site used to mix in: 13-01-2026, 6 dec 2026 22:40:11, 2026-01-13.
OTHER_STYLES = re.compile(
    r">\s*\d{1,2}-\d{2}-\d{4}|\d{1,2}:\d{2}:\d{2}\s*<|>\s*\d{4}-\d{2}-\d{2}\s*<")


def test_pages_write_dates_one_way(client, auth, create_user, create_post, create_comment):
    author = create_user("Anke", role="admin")
    post = create_post(author, title="Buurtkamer", created_at=WHEN, start_date=date(2026, 2, 1))
    comment = create_comment(post, author, "Eerste week ging goed.")
    db.session.get(Comment, comment.id).created_at = WHEN
    db.session.commit()
    auth.login(author)
    pages = (f"/posts/{post.id}", f"/posts/{post.id}/geschiedenis", "/", "/meldingen",
             "/experimenten", "/zoeken?q=buurtkamer", f"/leden/{author.id}", "/leden",
             "/verandering", "/curatie", "/dashboard", "/bundels", "/mijn/concepten",
             "/beheer/auditlog", "/beheer/leden", "/beheer/moderatie", "/beheer/outbox",
             "/beheer/privacy", "/account/gegevens", "/volgen", "/tags/eenzaamheid")
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, url
        html = answer.get_data(as_text=True)
        assert not OTHER_STYLES.search(html), (url, OTHER_STYLES.search(html))
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert ">13 jan 2026</time>" in html  # the post
    assert ">1 feb 2026</time>" in html  # a date field
    assert ">13 jan 2026, 11:38</time>" in html  # a comment: the time matters


def test_counts_use_the_locale_s_digit_grouping(app):
    from flask import render_template_string

    with app.test_request_context():
        assert render_template_string(
            '{{ ngettext("%(num)d post", "%(num)d posts", 1234) }}') == "1.234 berichten"
        assert render_template_string(
            '{{ ngettext("%(num)d post", "%(num)d posts", 1) }}') == "1 bericht"
        assert render_template_string("{{ 12345|number }}") == "12.345"


def test_the_kept_translations_follow_a_refresh(app):
    """`flask_babel.refresh()` (a member changed their language) drops the locale: the next
    lookup finds the translations again instead of failing or keeping the old ones."""
    from flask_babel import refresh

    with app.test_request_context():
        assert _translations().ugettext("Reply") == "Antwoorden"
        refresh()
        assert _translations() is get_translations()
