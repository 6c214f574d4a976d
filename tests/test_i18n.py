"""Languages: Dutch by default, English on request. Every interface string has a finished Dutch
translation (not empty, not fuzzy, every plural form), and every message that counts something
is a plural message, so neither language says "1 berichten" or "1 posts". English is the source
language: its words are the messages themselves (no English catalog is needed: two plural
forms, as in the source)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from learncom import ROOT

CATALOG = ROOT / "learncom" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
# A number in a message that is not a plural message: `%(name)d`, or a `%(num)s` count.
NUMBER = re.compile(r"%\((?:\w+)\)d|%\((?:num|count|n)\)s")
PLACEHOLDER = re.compile(r"%\((\w+)\)[ds]")

# Messages with a number that need no plural, and why. Anything else with a number must be a
# plural message (ngettext).
NOT_COUNTS = {
    "Page %(page)d of %(pages)d": "a page number",
    "Version %(num)d": "a version number",
    "The text of version %(num)d is removed.": "a version number",
    "Yes, remove the text of version %(num)d": "a version number",
    "This text is nested too deeply. Use at most %(max)d levels of square brackets [ ] or of "
    "quotes (>).": "a limit set in code, never 1",
    "applied %(num)d×": "a tally mark, no noun",
    "%(num)d × recognisable": "a tally mark, no noun",
    "Use at least %(num)d characters.": "a limit set in code, never 1",
    "At least %(num)d characters. A sentence is easy to remember.": "a limit set in code",
    "Use at most %(num)d characters.": "a limit set in code, never 1",
    "Use at most %(max)d characters.": "a limit set in code, never 1",
    "Use at most %(max)d characters; this text has %(length)d.": "both above a limit",
    "1 to %(num)d tags, separated by commas, for example: loneliness, informal care. They are "
    "saved in lower case, with hyphens for spaces.": "a limit set in code",
    "Use at most %(num)d tags (you gave %(given)d).": "both above a limit",
    "%(num)s names found. Use the arrow keys and Enter to choose.":
        "the many-form of a pair the script picks from (data-count-one / -many)",
}
# Plural messages whose English singular and plural read the same, and why.
SAME_IN_ENGLISH = {"And %(num)d more.": "English says “and 1 more” and “and 2 more” alike"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Every message in the code and templates, extracted as `make translations` does."""
    path = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--ignore-dirs", ".*", "-F",
         str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(path), str(ROOT)],
        check=True, cwd=ROOT, capture_output=True)
    with path.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


@pytest.fixture(scope="module")
def dutch():
    with CATALOG.open("rb") as handle:
        return read_po(handle)


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_message_has_a_finished_dutch_translation(template, dutch):
    missing, fuzzy, forms = [], [], []
    for wanted in template:
        found = dutch.get(wanted.id)
        if found is None or not found.string or not any(found.string):
            missing.append(_key(wanted))
            continue
        if found.fuzzy:
            fuzzy.append(_key(wanted))
        if isinstance(wanted.id, tuple) and (
                not isinstance(found.string, tuple) or len(found.string) != dutch.num_plurals
                or not all(found.string)):
            forms.append(_key(wanted))
    assert not missing, f"{len(missing)} messages lack a Dutch translation: {missing[:15]}"
    assert not fuzzy, f"fuzzy (unchecked) Dutch translations: {fuzzy[:15]}"
    assert not forms, f"Dutch plural messages without all {dutch.num_plurals} forms: {forms}"


def test_the_catalog_holds_no_fuzzy_entry_and_counts_two_forms(dutch):
    assert dutch.num_plurals == 2 and dutch.plural_expr == "(n != 1)"
    assert not [_key(m) for m in dutch if m.id and m.fuzzy]


def test_dutch_translations_keep_every_placeholder(template, dutch):
    """A translation that drops or renames %(name)s breaks the page (a KeyError) or the
    sentence."""
    broken = []
    for wanted in template:
        found = dutch.get(wanted.id)
        if found is None or not found.string:
            continue
        sources = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
        expected = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - expected or (
                    set(PLACEHOLDER.findall(string)) != expected and len(strings) == 1):
                broken.append((_key(wanted), string))
    assert not broken, broken[:10]


def test_every_count_is_a_plural_message(template):
    """No "1 berichten": a number that counts something is said with ngettext (Dutch and
    English both have a one-form and a many-form)."""
    counting = [m.id for m in template
                if isinstance(m.id, str) and NUMBER.search(m.id) and m.id not in NOT_COUNTS]
    assert not counting, f"use ngettext for: {counting}"
    same = [m.id[0] for m in template if isinstance(m.id, tuple) and m.id[0] == m.id[1]
            and m.id[0] not in SAME_IN_ENGLISH]
    assert not same, f"the English singular and plural read the same: {same}"


def test_interface_is_dutch_by_default_and_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="nl"' in page
    assert "Inloggen" in page
    client.post("/taal", data={"locale": "en", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in" in page


@pytest.mark.parametrize("locale, one, many", [
    ("nl", "1 reactie", "2 reacties"), ("en", "1 comment", "2 comments")])
def test_counts_read_right_in_both_languages(app, locale, one, many):
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        said = [render_template_string(
            '{{ ngettext("%(num)d comment", "%(num)d comments", n) }}', n=n) for n in (1, 2)]
    assert said == [one, many]
