"""One model for the filters in query strings: the kind lists, the change board, search, the
API and the dashboard read their filters here, with the same bounds, defaults and messages.

A page asks for the fields it knows (`parse(request.args, PAGE, TAG, …)`) and gets the good
values plus a Dutch message per bad one: HTML pages ignore a bad value and say so (the
`_filter_errors.html` notice), the API answers 400 with the message (`parse_strict`). Nothing
here touches the database: a neighbourhood's slug is checked for form here, and looked up by
the page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from learncom import vocab
from learncom.posts.kinds import KINDS, status_labels
from learncom.web import format_count

MAX_PAGE = 10_000
MAX_PER_PAGE = 100
MAX_TEXT = 80  # a tag, a neighbourhood's slug or name
MAX_TAG_LENGTH = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: The values `kind`, `status` and `author_kind` take: the stored value, and the words people
#: write in a search box or a URL (Dutch and English, singular and plural).
KIND_VALUES = {alias: kind.name for kind in KINDS.values() for alias in (kind.name, *kind.aliases)}
STATUS_VALUES = {
    **{value: value for value in status_labels()},
    # experiment
    "idee": "idea", "lopend": "running", "loopt": "running", "afgerond": "concluded",
    "gestopt": "stopped",
    # friction
    "gemeld": "raised", "agenda": "on_agenda", "opgepakt": "being_addressed",
    "opgelost": "resolved", "niet-opgelost": "not_resolved",
}
AUTHOR_KIND_VALUES = {
    **{value: value for value in vocab.MEMBER_KINDS},
    "professionals": "professional", "residents": "resident", "bewoner": "resident",
    "bewoners": "resident", "vrijwilliger": "volunteer", "vrijwilligers": "volunteer",
    "ervaringsdeskundige": "expert_by_experience",
    "ervaringsdeskundigen": "expert_by_experience",
    "ambtenaar": "civil_servant", "ambtenaren": "civil_servant",
}


class Invalid(ValueError):
    """A value a filter cannot use; the message says what would work (Dutch in the UI)."""


class BadFilter(ValueError):
    """`parse_strict`: the first bad value, with the argument's name and the message."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Filter:
    """One query argument: `parse` turns the cleaned text into a value or raises Invalid."""

    name: str
    label: object
    parse: Callable[[str], object]
    aliases: tuple[str, ...] = ()  # other names that work when `name` is absent
    max_length: int = MAX_TEXT


@dataclass
class Parsed:
    values: dict = field(default_factory=dict)
    #: Per bad argument: (the filter's label, the message); the page shows them.
    errors: dict = field(default_factory=dict)

    def get(self, name: str, default=None):
        return self.values.get(name, default)


def clean(raw: object, max_length: int = MAX_TEXT * 4) -> str:
    """A query-string value as text: NFC, no control characters (PostgreSQL refuses NUL)."""
    text = raw if isinstance(raw, str) else ""
    text = unicodedata.normalize("NFC", text[: max_length * 4])
    return _CONTROL.sub("", text).strip()


# -- the kinds of value ------------------------------------------------------------------------

def integer(low: int, high: int, *, cap: bool = False) -> Callable[[str], int]:
    """A whole number from `low` to `high`; with `cap`, a larger one counts as `high`."""

    def parse(text: str) -> int:
        value = int(text) if re.fullmatch(r"[+-]?\d{1,12}", text) else None
        if cap and value is not None and value > high:
            return high
        if value is None or not low <= value <= high:
            raise Invalid(_("Use a whole number from %(low)s to %(high)s.",
                            low=format_count(low), high=format_count(high)))
        return value

    return parse


def choice(values: Mapping) -> Callable[[str], str]:
    """One of `values` (a mapping of accepted words to the stored value), any case."""

    def parse(text: str) -> str:
        key = text.lower()
        found = values.get(key, values.get(key.replace(" ", "_")))
        if found is None:
            raise Invalid(_l("This value is unknown here."))
        return found

    return parse


def parse_date(value: object) -> date | None:
    """YYYY-MM-DD (or YYYY-MM, YYYY) as a date; None for anything else."""
    text = str(value or "").strip()
    for pattern, fill in ((r"\d{4}-\d{2}-\d{2}", ""), (r"\d{4}-\d{2}", "-01"),
                          (r"\d{4}", "-01-01")):
        if re.fullmatch(pattern, text):
            try:
                return date.fromisoformat(text + fill)
            except ValueError:
                return None
    return None


def _date(text: str) -> date:
    found = parse_date(text)
    if found is None:
        raise Invalid(_l("Use a date like 2026-01-31."))
    return found


def normalise_tag(raw: str) -> str:
    """Trimmed, lower case, runs of spaces to one hyphen, at most 40 characters."""
    tag = re.sub(r"\s+", "-", (raw or "").strip().lower())
    tag = re.sub(r"-{2,}", "-", tag).strip("-#,")
    return tag[:MAX_TAG_LENGTH].strip("-")


def _tag(text: str) -> str:
    tag = normalise_tag(text)
    if not tag:
        raise Invalid(_l("This value is unknown here."))
    return tag


# -- the fields --------------------------------------------------------------------------------

PAGE = Filter("page", _l("Page"), integer(1, MAX_PAGE))
PER_PAGE = Filter("per_page", _l("Per page"), integer(1, MAX_PER_PAGE, cap=True))
KIND = Filter("kind", _l("Kind"), choice(KIND_VALUES))
STATUS = Filter("status", _l("Status"), choice(STATUS_VALUES))
TAG = Filter("tag", _l("Tag"), _tag)
NEIGHBOURHOOD = Filter("neighbourhood", _l("Neighbourhood"), str, aliases=("wijk",))
AUTHOR_KIND = Filter("author_kind", _l("Author"), choice(AUTHOR_KIND_VALUES))
OBSTACLE_TYPE = Filter("type", _l("Type of obstacle"),
                       choice({value: value for value in vocab.OBSTACLE_TYPES}))
AFTER = Filter("after", _l("From"), _date)
BEFORE = Filter("before", _l("Until"), _date)


def status_of(kind: str) -> Filter:
    """The status of one kind's list: only that kind's values."""
    return Filter("status", _l("Status"), choice(
        {word: value for word, value in STATUS_VALUES.items() if value in KINDS[kind].statuses}))


def one_of(name: str, label, values) -> Filter:
    """A field of one page (the dashboard's period, a list's sort): one of `values`."""
    return Filter(name, label, choice({str(value).lower(): value for value in values}))


# -- parsing -----------------------------------------------------------------------------------

def _raw(args, spec: Filter) -> str:
    for name in (spec.name, *spec.aliases):
        value = args.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def parse(args: Mapping, *fields: Filter) -> Parsed:
    """The good values among `fields` in `args` (a query string or a dict); never raises.
    An empty or absent argument is no filter; a bad one is left out and named in `errors`."""
    parsed = Parsed()
    for spec in fields:
        raw = _raw(args, spec)
        if not raw:
            continue
        text = clean(raw, spec.max_length)
        try:
            if len(text) > spec.max_length:
                raise Invalid(_l("Use at most %(max)d characters.", max=spec.max_length))
            if not text:
                raise Invalid(_l("This value is unknown here."))
            parsed.values[spec.name] = spec.parse(text)
        except Invalid as error:
            parsed.errors[spec.name] = (spec.label, error.args[0])
    return parsed


def parse_strict(args: Mapping, *fields: Filter) -> Parsed:
    """`parse`, for the API: the first bad value raises BadFilter (answered as 400)."""
    parsed = parse(args, *fields)
    for name, (_label, message) in parsed.errors.items():
        raise BadFilter(name, str(message))
    return parsed
