"""The search box language (`search/query.py`) as a PostgreSQL tsquery plus SQL conditions.

Words are analysed by PostgreSQL itself, with the text search configurations that built the
documents, once per distinct word and process (`Analyser`):

    word        its Dutch stem, or its unstemmed folded form (names of people and places); a
                stem of at least MIN_COMPOUND_LENGTH letters also as a prefix, which finds the
                compounds it starts ('schuldhulp' | 'schuldhulp':* finds schuldhulpverlening;
                a post with the word itself matches both alternatives and ranks above)
    word*       a prefix of the folded word and of its stem
    "a phrase"  the pair lexemes of phraseto_tsquery's chain, looked up in the `pairs` vector:
                'sociaal' <-> 'team' is the one lexeme 'sociaal team', 'wal' <2> 'schip'
                (a stop word between) is 'wal  schip' (one space per step), a longer phrase
                the AND of its pairs (see `pairs`); ranking and highlights use the chain itself
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
    true,
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
    Column("head", TSVECTOR), Column("document", TSVECTOR), Column("pairs", TSVECTOR),
    Column("people", TSVECTOR), Column("fingerprint", String),
)


def tsquery(value: str):
    return cast(literal(value), TSQUERY)


def matches(column, value: str):
    return column.op("@@", is_comparison=True)(tsquery(value))


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


_STEP = re.compile(r"('(?:[^']|'')+')(?: <(-|\d+)> |$)")


def pairs(phrase: str) -> str | None:
    """A phrase's chain of lexemes (phraseto_tsquery: 'a' <-> 'b' <2> 'c') as the AND of the
    pair lexemes `search_pairs` stores for documents ('a b' & 'b  c'): the same posts as the
    chain for two lexemes; for longer phrases every step must occur, in theory apart (the
    Whoosh engine's phrases work the same way). None when the phrase is not such a chain (a
    single lexeme, or anything else PostgreSQL made of it): then the chain itself is used."""
    steps: list[tuple[str, int]] = []
    position = 0
    while position < len(phrase):
        found = _STEP.match(phrase, position)
        if found is None:
            return None
        distance = found.group(2)
        steps.append((found.group(1)[1:-1], 1 if distance == "-" else int(distance or 0)))
        position = found.end()
    if len(steps) < 2 or steps[-1][1] or any(gap < 1 for _lexeme, gap in steps[:-1]):
        return None
    return " & ".join(f"'{a}{' ' * gap}{b}'"
                      for (a, gap), (b, _next) in zip(steps, steps[1:], strict=False))


def texts_to_analyse(query: ParsedQuery) -> set[str]:
    found = set()
    for clause in [c for group in query.groups for c in group] + query.excluded:
        if isinstance(clause, Word | Phrase):
            found.add(clause.text)
        elif clause.field == "author":
            found.add(clause.value)
    return found


# -- compiling ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """One text clause: a tsquery on `document` (words), or a phrase: its pair lexemes on
    `pairs`, and for three or more lexemes also its chain on `document` (the pairs alone could
    occur apart; the chain is then checked only on the posts that have every pair)."""

    document: str | None = None
    pairs: str | None = None
    chain: str | None = None

    def condition(self):
        if self.pairs is None:
            return matches(DOCS.c.document, self.document)
        found = matches(DOCS.c.pairs, self.pairs)
        return and_(found, matches(DOCS.c.document, self.chain)) if self.chain else found


@dataclass(frozen=True)
class _Group:
    """An OR group of the query: words only (one document tsquery), single-pair phrases only
    (one pairs tsquery), or anything else as a condition (with fields, mixed, rechecked)."""

    document: str | None = None
    pairs: str | None = None
    other: object = None


# The UI filters the census answers from its facet bitmaps (`Compiler.facet_filters`).
FACET_FILTERS = ("kind", "status", "tag", "neighbourhood")


@dataclass
class Compiled:
    conditions: list = field(default_factory=list)  # besides visibility
    either: list | None = None  # the same with the text groups OR-ed (when AND finds nothing)
    # The UI's kind, status, tag and neighbourhood filters as (facet, value as the documents
    # store it, or None: matches nothing), and `conditions`/`either` without them: the census
    # applies these from its facet bitmaps, so a click on a facet reuses the search's matches.
    facets: list[tuple[str, str | None]] = field(default_factory=list)
    unfaceted: list = field(default_factory=list)
    either_unfaceted: list | None = None
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
        groups: list[_Group] = []
        texts: list[Text] = []  # every positive text (for the OR-ed fallback)
        fields_any = []
        field_groups = []
        for group in query.groups:
            fields = [f for f in (self.field(c) for c in group if isinstance(c, FieldFilter))
                      if f is not None]
            if not any(isinstance(c, Word | Phrase) for c in group):
                if fields:
                    field_groups.append(or_(*fields))
                continue
            found = [t for t in (self.text(c) for c in group if isinstance(c, Word | Phrase))
                     if t is not None]
            if not found and not fields:
                continue  # only stop words: nothing to look for
            texts += found
            fields_any += fields
            groups.append(_group(found, fields))
        negative = [t for t in (self.text(c, positive=False) for c in query.excluded
                                if isinstance(c, Word | Phrase)) if t is not None]
        negative_fields = [f for f in (self.field(c) for c in query.excluded
                                       if isinstance(c, FieldFilter)) if f is not None]
        facets = self.facet_filters(filters)
        faceted = [condition for _name, _value, condition in facets]
        unfaceted = field_groups + [not_(f) for f in negative_fields] + self.filters(filters)
        compiled = Compiled(terms=_any(self.positive), exact=_any(self.exact),
                            searchable=bool(groups or faceted or unfaceted or negative),
                            facets=[(name, value) for name, value, _condition in facets])
        # Excluded words join the document's tsquery; excluded phrases are a condition each.
        nots = [f"!{_paren(t.document)}" for t in negative if t.pairs is None]
        not_phrases = [not_(t.condition()) for t in negative if t.pairs is not None]
        compiled.unfaceted = unfaceted + _and(groups, nots) + not_phrases
        compiled.conditions = faceted + compiled.unfaceted
        if len(groups) > 1:
            either = _group(texts, fields_any)
            compiled.either_unfaceted = unfaceted + _and([either], nots) + not_phrases
            compiled.either = faceted + compiled.either_unfaceted
        return compiled

    # -- text ------------------------------------------------------------------------------
    def text(self, clause, *, positive: bool = True) -> Text | None:
        if isinstance(clause, Phrase):
            found = exact = self.analyses[clause.text].phrase or None
            pair_query = pairs(found) if found else None
            if pair_query is None:
                text_ = Text(document=found)
            else:
                text_ = Text(pairs=pair_query, chain=found if "&" in pair_query else None)
        else:
            if clause.prefix:
                found = exact = self.prefix(clause)
            else:
                found = self.word(clause, expand=positive)
                exact = self.word(clause, expand=False)
            text_ = Text(document=found)
        if found and positive:
            self.positive.append(found)
            self.exact.append(exact)
        return text_ if found else None

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

    def facet_filters(self, filters: Filters) -> list[tuple[str, str | None, object]]:
        """The UI filters that are facets: (facet, value as stored or None, condition)."""
        found = []
        for name in ("kind", "status"):
            value = getattr(filters, name)
            if value:
                normalised = normalise_value(name, value)
                found.append((name, normalised,
                              DOCS.c[name] == normalised if normalised else false()))
        if filters.tag:
            tag = normalise_tag(filters.tag) or None
            found.append(("tag", tag, DOCS.c.tags.contains([tag]) if tag else false()))
        if filters.neighbourhood:
            slug = slugify(filters.neighbourhood) or None
            found.append(("neighbourhood", slug,
                          DOCS.c.neighbourhood == slug if slug else false()))
        return found

    def filters(self, filters: Filters) -> list:
        """The UI filters that are not facets (see `facet_filters`)."""
        found = []
        if filters.author_kind:
            normalised = normalise_value("author_kind", filters.author_kind)
            found.append(DOCS.c.author_kind == normalised if normalised else false())
        if filters.after or filters.before:
            found.append(_dates(filters.after, filters.before))
        return found


def _group(texts: list[Text], fields: list) -> _Group:
    if not fields and all(t.pairs is None for t in texts):
        return _Group(document=_any([t.document for t in texts]))
    if not fields and all(t.pairs is not None and t.chain is None for t in texts):
        return _Group(pairs=_any([t.pairs for t in texts]))
    return _Group(other=or_(*[t.condition() for t in texts], *fields))


def _and(groups: list[_Group], nots: list[str]) -> list:
    """The groups AND-ed: the word groups (and excluded words) as one tsquery on the
    document, one GIN index scan; the phrase groups as one on the pairs; the rest as
    conditions of their own."""
    conditions = []
    match = _all([_paren(g.document) for g in groups if g.document] + nots)
    if match:
        conditions.append(matches(DOCS.c.document, match))
    phrases = [_paren(g.pairs) for g in groups if g.pairs]
    if phrases:
        conditions.append(matches(DOCS.c.pairs, _all(phrases)))
    return conditions + [g.other for g in groups if g.other is not None]


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
    if visibility.everything:
        return true()
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
