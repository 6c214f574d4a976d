"""The search box language (`search/query.py`) as a PostgreSQL tsquery plus SQL conditions.

Words are analysed by PostgreSQL itself, with the text search configurations that built the
documents, once per distinct word and process (`Analyser`):

    word        its Dutch stem, or its unstemmed folded form (names of people and places); a
                stem of at least MIN_COMPOUND_LENGTH letters also as a prefix, which finds the
                compounds it starts ('schuldhulp' | 'schuldhulp':* finds schuldhulpverlening;
                a post with the word itself matches both alternatives and ranks above)
    word*       a prefix of the folded word and of its stem
    "a phrase"  phraseto_tsquery: consecutive (<->), stop words keep their distance (<2>)
    -x, NOT x   !x (without compound expansion)
    a OR b      a | b

Filters (kind:, tag:, wijk:, status:, author:, author_kind:, after:, before: and the UI filters)
are SQL conditions on the document's columns. The tsquery text is assembled from PostgreSQL's own
quoted lexemes and passed as one bound parameter: user text is never spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    cast,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.sql import func

from learncom.dbtypes import UTCDateTime
from learncom.posts.filters import normalise_tag, parse_date
from learncom.search.analysis import MIN_COMPOUND_LENGTH
from learncom.search.backend import Filters
from learncom.search.caches import SharedCache
from learncom.search.query import (
    MIN_PREFIX_LENGTH,
    FieldFilter,
    ParsedQuery,
    Phrase,
    Word,
    normalise_value,
)
from learncom.text import slugify

# The documents table as SQL expressions see it (not a model: see schema.py).
DOCS = Table(
    "search_documents", MetaData(),
    Column("post_id", Integer, primary_key=True), Column("kind", String),
    Column("visibility", String), Column("team_id", Integer), Column("author_id", Integer),
    Column("author_kind", String), Column("neighbourhood", String), Column("status", String),
    Column("tags", ARRAY(Text)), Column("created_at", UTCDateTime), Column("applied", Integer),
    Column("head", TSVECTOR), Column("document", TSVECTOR), Column("people", TSVECTOR),
    Column("fingerprint", String),
)


def tsquery(value: str):
    return cast(literal(value), TSQUERY)


def matches(column, value: str):
    return column.op("@@")(tsquery(value))


# -- analysis, by PostgreSQL -------------------------------------------------------------------

@dataclass(frozen=True)
class Analysis:
    dutch: str  # plainto_tsquery(search_dutch, text): '' when only stop words
    names: str  # plainto_tsquery(search_names, text): folded, unstemmed
    phrase: str  # phraseto_tsquery(search_dutch, text)


class Analyser:
    """What PostgreSQL's configurations make of a text, cached per process (a word's analysis
    only changes with the configuration, i.e. with a migration)."""

    def __init__(self, size: int = 50_000):
        self._items = SharedCache(size)

    def __call__(self, connection, texts) -> dict[str, Analysis]:
        wanted = set(texts)
        found = {t: hit for t in wanted if (hit := self._items.get(t)) is not None}
        missing = sorted(wanted - set(found))
        if missing:
            rows = connection.execute(text(
                "SELECT w, plainto_tsquery('search_dutch', w)::text, "
                "plainto_tsquery('search_names', w)::text, "
                "phraseto_tsquery('search_dutch', w)::text "
                "FROM unnest(CAST(:words AS text[])) AS w"), {"words": missing})
            fresh = {w: Analysis(d, n, p) for w, d, n, p in rows}
            found.update(fresh)
            for word, analysis in fresh.items():
                self._items.put(word, analysis)
        return found


_SINGLE = re.compile(r"'(?:[^']|'')+'")


def lexemes(tsquery_text: str) -> list[str]:
    """The quoted lexemes of a tsquery that is an AND of plain lexemes ('a' & 'b')."""
    return _SINGLE.findall(tsquery_text)


def _single(tsquery_text: str) -> str | None:
    return tsquery_text if _SINGLE.fullmatch(tsquery_text) else None


def _length(quoted: str) -> int:
    return len(quoted[1:-1].replace("''", "'"))


def _paren(value: str) -> str:
    return f"( {value} )"


def _any(parts: list[str]) -> str | None:
    parts = [p for p in parts if p]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _paren(" | ".join(parts))


def _all(parts: list[str]) -> str | None:
    parts = [p for p in parts if p]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " & ".join(parts)


def texts_to_analyse(query: ParsedQuery) -> set[str]:
    found = set()
    for clause in [c for group in query.groups for c in group] + query.excluded:
        if isinstance(clause, Word | Phrase):
            found.add(clause.text)
        elif clause.field == "author":
            found.add(clause.value)
    return found


# -- compiling ---------------------------------------------------------------------------------

@dataclass
class Compiled:
    conditions: list = field(default_factory=list)  # besides visibility
    either: list | None = None  # the same with the text groups OR-ed (when AND finds nothing)
    terms: str | None = None  # every positive text part OR-ed: ranking the head, highlights
    exact: str | None = None  # the same without compound expansions: ranks a word above the
    # compounds it starts
    searchable: bool = False  # anything to search for at all


class Compiler:
    def __init__(self, analyses: dict[str, Analysis]):
        self.analyses = analyses
        self.positive: list[str] = []
        self.exact: list[str] = []

    def compile(self, query: ParsedQuery, filters: Filters) -> Compiled:
        groups: list[tuple[str | None, object]] = []  # (tsquery, field condition) per text group
        field_groups = []
        for group in query.groups:
            fields = [f for f in (self.field(c) for c in group if isinstance(c, FieldFilter))
                      if f is not None]
            if not any(isinstance(c, Word | Phrase) for c in group):
                if fields:
                    field_groups.append(or_(*fields))
                continue
            tq = _any([self.text(c) for c in group if isinstance(c, Word | Phrase)])
            if tq is None and not fields:
                continue  # only stop words: nothing to look for
            groups.append((tq, or_(*fields) if fields else None))
        negative = [t for t in (self.text(c, positive=False) for c in query.excluded
                                if isinstance(c, Word | Phrase)) if t]
        negative_fields = [f for f in (self.field(c) for c in query.excluded
                                       if isinstance(c, FieldFilter)) if f is not None]
        restrictions = field_groups + [not_(f) for f in negative_fields] + self.filters(filters)
        compiled = Compiled(terms=_any(self.positive), exact=_any(self.exact),
                            searchable=bool(groups or restrictions or negative))
        nots = [f"!{_paren(t)}" for t in negative]
        compiled.conditions = restrictions + self._and(groups, nots)
        if len(groups) > 1:
            compiled.either = restrictions + self._or(groups, nots)
        return compiled

    @staticmethod
    def _and(groups, nots) -> list:
        pure = [tq for tq, fields in groups if fields is None]
        conditions = []
        match = _all([_paren(t) for t in pure] + nots)
        if match:
            conditions.append(matches(DOCS.c.document, match))
        for tq, fields in groups:
            if fields is not None:
                conditions.append(or_(matches(DOCS.c.document, tq), fields) if tq else fields)
        return conditions

    @staticmethod
    def _or(groups, nots) -> list:
        either = _any([tq for tq, _fields in groups if tq])
        fields = [f for _tq, f in groups if f is not None]
        conditions = []
        if fields:
            conditions.append(or_(*([matches(DOCS.c.document, either)] if either else []),
                                  *fields))
            either = None
        match = _all(([_paren(either)] if either else []) + nots)
        if match:
            conditions.append(matches(DOCS.c.document, match))
        return conditions

    # -- text ------------------------------------------------------------------------------
    def text(self, clause, *, positive: bool = True) -> str | None:
        if isinstance(clause, Phrase):
            found = exact = self.analyses[clause.text].phrase or None
        elif clause.prefix:
            found = exact = self.prefix(clause)
        else:
            found = self.word(clause, expand=positive)
            exact = self.word(clause, expand=False)
        if found and positive:
            self.positive.append(found)
            self.exact.append(exact)
        return found

    def word(self, word: Word, *, expand: bool = True) -> str | None:
        analysis = self.analyses[word.text]
        if all(_length(lexeme) < 2 for lexeme in lexemes(analysis.dutch)):
            return None  # only stop words and single letters, as the Whoosh engine
        single = _single(analysis.dutch)
        stem = analysis.dutch
        if expand and single and _length(single) >= MIN_COMPOUND_LENGTH:
            stem = f"{single} | {single}:*"
        alternatives = [_paren(stem)]
        if analysis.names and analysis.names != analysis.dutch:
            alternatives.append(_paren(analysis.names))
        return _any(alternatives)

    def prefix(self, word: Word) -> str | None:
        analysis = self.analyses[word.text]
        folded = lexemes(analysis.names)
        if not folded or _length(folded[-1]) < MIN_PREFIX_LENGTH:
            return self.word(Word(word.text))
        starts = [f"{folded[-1]}:*"]
        stem = _single(analysis.dutch)
        if stem and stem != folded[-1] and len(folded) == 1:
            starts.append(f"{stem}:*")
        return _all(folded[:-1] + [_any(starts)])

    # -- fields ----------------------------------------------------------------------------
    def field(self, clause: FieldFilter):
        name, value = clause.field, clause.value
        if name == "tag":
            tag = normalise_tag(value)
            if not tag:
                return None
            if clause.prefix:
                values = func.unnest(DOCS.c.tags).table_valued("value").render_derived(name="t")
                return exists(select(literal(1)).select_from(values).where(
                    values.c.value.like(_like(tag), escape="\\")))
            return DOCS.c.tags.contains([tag])
        if name == "neighbourhood":
            slug = slugify(value)
            if clause.prefix:
                return DOCS.c.neighbourhood.like(_like(slug), escape="\\")
            return DOCS.c.neighbourhood == slug
        if name == "author":
            words = lexemes(self.analyses[value].names)
            if not words:
                return None
            if clause.prefix:
                words[-1] += ":*"
            return matches(DOCS.c.people, " & ".join(words))
        if name in ("after", "before"):
            day = parse_date(value)
            if day is None:
                return None
            return _dates(day if name == "after" else None, day if name == "before" else None)
        normalised = normalise_value(name, value)
        if normalised is None:
            return false()
        return DOCS.c[name] == normalised

    def filters(self, filters: Filters) -> list:
        found = []
        for name in ("kind", "status", "author_kind"):
            value = getattr(filters, name)
            if value:
                normalised = normalise_value(name, value)
                found.append(DOCS.c[name] == normalised if normalised else false())
        if filters.tag:
            tag = self.field(FieldFilter("tag", filters.tag))
            found.append(tag if tag is not None else false())
        if filters.neighbourhood:
            found.append(DOCS.c.neighbourhood == slugify(filters.neighbourhood))
        if filters.after or filters.before:
            found.append(_dates(filters.after, filters.before))
        return found


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _dates(after, before):
    parts = []
    if after:
        parts.append(DOCS.c.created_at >= datetime.combine(after, dtime.min, tzinfo=UTC))
    if before:
        parts.append(DOCS.c.created_at <= datetime.combine(before, dtime.max, tzinfo=UTC))
    return and_(*parts)


def visibility_condition(visibility):
    """Posts the viewer may see, as the engine enforces it inside every query (hidden posts
    are indexed under a visibility nobody searches)."""
    public = DOCS.c.visibility == "public"
    if not visibility.members:
        return public
    mine = []
    if visibility.team_ids:
        mine.append(DOCS.c.team_id.in_(sorted(visibility.team_ids)))
    if visibility.user_id is not None:
        mine.append(DOCS.c.author_id == visibility.user_id)
    allowed = [DOCS.c.visibility.in_(("public", "members"))]
    if mine:
        allowed.append(and_(DOCS.c.visibility == "team", or_(*mine)))
    return or_(*allowed)
