"""The search box language, parsed into a small engine-independent tree.

    buurtkamer eenzaamheid        both words (AND); when that finds nothing, either word (OR)
    "vaste contactpersoon"        a phrase
    -jeugd                        exclude a word (or -"a phrase", -tag:x)
    buurt*                        a prefix (bounded expansion; at least 2 letters)
    buurtkamer OR huiskamer       either
    tag:schulden kind:frictie wijk:overvecht status:running author:anke
    author_kind:resident after:2024-01-01 before:2024-12-31

The parser is total: every string gives a query (possibly empty), never an exception. Only the
public fields above can be addressed; anything else written as `name:value` ("visibility:team",
"team_id:3") is searched as two plain words, so no internal field is ever reachable. Leading
wildcards are dropped ("*1*" is the word "1"), inner wildcards split words, and the input is
capped in length and number of clauses, so no query can make the engine expand the whole
vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from learncom.posts.filters import AUTHOR_KIND_VALUES, KIND_VALUES, STATUS_VALUES

MAX_QUERY_LENGTH = 400
MAX_CLAUSES = 24
MIN_PREFIX_LENGTH = 2

# Every name a user may write before ":" and the public field it means.
FIELD_ALIASES = {
    "tag": "tag", "tags": "tag",
    "kind": "kind", "soort": "kind", "type": "kind",
    "wijk": "neighbourhood", "neighbourhood": "neighbourhood", "buurt": "neighbourhood",
    "status": "status",
    "author": "author", "auteur": "author", "door": "author",
    "author_kind": "author_kind", "rol": "author_kind",
    "after": "after", "na": "after", "vanaf": "after", "from": "after",
    "before": "before", "voor": "before", "tot": "before", "to": "before",
}
PUBLIC_FIELDS = frozenset(FIELD_ALIASES.values())

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_WILDCARDS = re.compile(r"[*?]+")
_OR = object()  # the OR operator between two clauses


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class FieldFilter:
    field: str  # one of PUBLIC_FIELDS
    value: str
    prefix: bool = False


Clause = Word | Phrase | FieldFilter


@dataclass
class ParsedQuery:
    """AND of groups; each group is an OR of clauses. `excluded` clauses must not match."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.excluded

    def words(self) -> list[str]:
        """The plain words (for spelling suggestions), in order."""
        return [c.text for group in self.groups for c in group
                if isinstance(c, Word) and not c.prefix]

    def has_text(self) -> bool:
        """True when some clause searches text (not only field filters)."""
        return any(isinstance(c, Word | Phrase) for group in self.groups for c in group)


def clean(raw: object) -> str:
    """Normalise arbitrary input: a string, NFC, no control characters, bounded length."""
    text = raw if isinstance(raw, str) else ""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_LENGTH * 4])
    text = _CONTROL.sub(" ", text).translate(_QUOTES)
    return text[:MAX_QUERY_LENGTH].strip()


def parse(raw: object) -> ParsedQuery:
    query = ParsedQuery()
    pending_or = False
    count = 0
    for negated, token in _tokens(clean(raw)):
        if token is _OR:
            pending_or = bool(query.groups)
            continue
        if count >= MAX_CLAUSES:
            break
        count += 1
        if negated:
            query.excluded.append(token)
        elif pending_or:
            query.groups[-1].append(token)
        else:
            query.groups.append([token])
        pending_or = False
    return query


def _tokens(text: str):
    """Yield (negated, clause) pairs, and (False, _OR) for the operator."""
    i, n = 0, len(text)
    negate_next = False
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated, negate_next = negate_next, False
        if text[i] in "-+!" and i + 1 < n and not text[i + 1].isspace():
            negated = negated or text[i] in "-!"
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            phrase = text[i + 1:end].strip()
            i = end + 1
            if phrase:
                yield negated, Phrase(phrase)
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] != '"':
            end += 1
        word = text[i:end]
        i = end
        if word in ("OR", "||") and not negated:
            yield False, _OR
            continue
        if word in ("AND", "&&"):
            continue
        if word == "NOT":
            negate_next = True  # "NOT x" is "-x"
            continue
        name, colon, value = word.partition(":")
        if colon and name.lower() in FIELD_ALIASES:
            if not value and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                end = n if end == -1 else end
                value, i = text[i + 1:end], end + 1
            prefix = value.rstrip().endswith("*")
            value = _WILDCARDS.sub(" ", value).strip()
            if value:
                yield negated, FieldFilter(FIELD_ALIASES[name.lower()], value,
                                           prefix and len(value) >= MIN_PREFIX_LENGTH)
            continue
        for clause in _words(word):
            yield negated, clause


def _words(word: str):
    """Plain words from one whitespace-free chunk: wildcards only count at the end."""
    prefix = word.endswith("*")
    parts = [p for p in _WILDCARDS.split(word.replace(":", " ")) if p.strip()]
    for index, part in enumerate(parts):
        for piece in part.split():
            last = index == len(parts) - 1 and piece == part.split()[-1]
            yield Word(piece, prefix=prefix and last and len(piece) >= MIN_PREFIX_LENGTH)


# -- field values ------------------------------------------------------------------------------

def normalise_value(name: str, value: str) -> str | None:
    """A filter value as the index stores it, or None when it cannot match anything."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if name == "kind":
        return KIND_VALUES.get(value)
    if name == "status":
        return STATUS_VALUES.get(value.replace(" ", "_"), STATUS_VALUES.get(value))
    if name == "author_kind":
        return AUTHOR_KIND_VALUES.get(value.replace(" ", "_"), AUTHOR_KIND_VALUES.get(value))
    return value
