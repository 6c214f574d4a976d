"""The PostgreSQL search engine: a weighted tsvector per post, written in the same transaction as
the change, for deployments with several web machines (they share nothing but the database).

Writing (`index`, called by the session listener before commit): the posts' documents are
built from the database (`documents.py`) and upserted into `search_documents` together with
their new words in `search_vocabulary`, all in the changing transaction: no queue, no drain,
never stale. Two transactions changing the same post take a transaction-level advisory lock on
it first, so the second builds its document only after the first committed (READ COMMITTED:
each statement sees what committed before it) and a document never misses a concurrent change.

Searching: the matches are found by PostgreSQL (GIN indexes on `document`, and on `pairs` for
phrases; the filters as plain conditions); their exact total and facet counts for the viewer
come from the process's census (census.py: the match set as a bitmap, cached and kept exact by
the documents' change log, ANDed with visibility and facet bitmaps); then one statement ranks
the candidates for the page. Ranking is `ts_rank` over the weighted document (title A, tags and
kind fields B, body, log and names C, comments D). That reads each candidate's whole tsvector
(out of line, TOAST), so it is done for every match only up to `RANK_ALL` matches; beyond that
the candidates are the posts whose title or tags match (best `head` rank first) and the newest
matches, and only those are ranked exactly. For a word in thousands of posts, the ones that
carry it in their title or tags come first, as they would with every match ranked. (When the
census cannot answer, one statement does it all: matches, GROUPING SETS counts and the page.)

Highlights are `ts_headline` over the page's texts, which are HTML-escaped before PostgreSQL
sees them: PostgreSQL only adds its markers, which become our `<mark>`.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC

from markupsafe import Markup, escape
from sqlalchemy import (
    Float,
    Integer,
    LargeBinary,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TEXT, TSVECTOR
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from learncom.extensions import db
from learncom.posts.models import Post
from learncom.search import documents
from learncom.search.analysis import plain_text
from learncom.search.backend import (
    SUGGEST_MAX,
    SUGGEST_MIN,
    CheckReport,
    EngineHit,
    EngineResults,
    Excerpt,
    Filters,
    HitText,
    PostDocument,
    Visibility,
)
from learncom.search.caches import SharedCache
from learncom.search.postgres.census import Census, Counted, members
from learncom.search.postgres.query import (
    DOCS,
    FACET_FILTERS,
    Analyser,
    Compiled,
    Compiler,
    matches,
    texts_to_analyse,
    tsquery,
    visibility_condition,
)
from learncom.search.query import ParsedQuery, Word

NORMALIZATION = 0  # ts_rank without length normalisation (1, 2, 8, 16 all ranked worse)
RANK_ALL = 1_000  # up to this many matches, every match is ranked exactly
RANK_NEWEST = 100  # beyond: the newest matches ...
RANK_HEADS = 200  # ... and the best title/tag matches are ranked exactly
SETTLE_ATTEMPTS = 3  # census answers tried before counting in SQL (see `_find`)
PAGE_CACHE = 2_048  # ranked pages kept per process (see `pages`)
LOCK_SPACE = 4208  # pg_advisory_xact_lock(LOCK_SPACE, post_id) while writing a document
BATCH = 500
ANALYSER = Analyser()

_WRITE = text("""
WITH d AS (
    SELECT * FROM jsonb_to_recordset(CAST(:docs AS jsonb)) AS d(
        post_id integer, kind text, visibility text, team_id integer, author_id integer,
        author_kind text, neighbourhood text, status text, tags text[],
        created_at timestamptz, applied integer, title text, tagtext text, fields text,
        body text, names text, comments text, people text, fingerprint text)
), v AS (
    SELECT d.*, setweight(to_tsvector('search_dutch', title), 'A')
                || setweight(to_tsvector('search_dutch', tagtext), 'B') AS head
    FROM d
)
INSERT INTO search_documents (post_id, kind, visibility, team_id, author_id, author_kind,
                              neighbourhood, status, tags, created_at, applied, head, document,
                              people, fingerprint)
SELECT post_id, kind, visibility, team_id, author_id, author_kind, neighbourhood, status,
       tags, created_at, applied, head,
       -- Each part starts with a stop word ("de"): a position without a lexeme, so a phrase
       -- never runs from one field into the next.
       head || setweight(to_tsvector('search_dutch', 'de ' || fields), 'B')
            || setweight(to_tsvector('search_dutch', 'de ' || body), 'C')
            || setweight(to_tsvector('search_names', names), 'C')
            || setweight(to_tsvector('search_dutch', 'de ' || comments), 'D'),
       to_tsvector('search_names', people), fingerprint
FROM v
ON CONFLICT (post_id) DO UPDATE SET
    kind = EXCLUDED.kind, visibility = EXCLUDED.visibility, team_id = EXCLUDED.team_id,
    author_id = EXCLUDED.author_id, author_kind = EXCLUDED.author_kind,
    neighbourhood = EXCLUDED.neighbourhood, status = EXCLUDED.status, tags = EXCLUDED.tags,
    created_at = EXCLUDED.created_at, applied = EXCLUDED.applied, head = EXCLUDED.head,
    document = EXCLUDED.document, people = EXCLUDED.people, fingerprint = EXCLUDED.fingerprint
""")

# New words only: the ones already there are skipped without taking a lock; new ones go in in
# sorted order, so two transactions adding the same new words never deadlock.
_WORDS = text("""
INSERT INTO search_vocabulary (word)
SELECT w FROM (
    SELECT DISTINCT t.lexeme AS w
    FROM unnest(CAST(:texts AS text[])) AS s(body),
         unnest(to_tsvector('search_names', s.body)) AS t
) words
WHERE length(w) BETWEEN 4 AND 40 AND w !~ '^[0-9.]+$'
  AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = words.w)
ORDER BY w
ON CONFLICT DO NOTHING
""")

# The words of erased texts that no post holds any more (see PostgresBackend.purge). A word is
# kept only when a document matches it and that post's own text has it (the stem alone may come
# from another word); a word in doubt goes: a lost suggestion is better than a kept name.
_FORGET_WORDS = text("""
DELETE FROM search_vocabulary v
WHERE v.word IN (
    SELECT DISTINCT t.lexeme
    FROM unnest(CAST(:texts AS text[])) AS s(body),
         unnest(to_tsvector('search_names', s.body)) AS t
)
AND NOT EXISTS (
    SELECT 1 FROM search_documents d JOIN posts p ON p.id = d.post_id
    WHERE d.document @@ plainto_tsquery('search_dutch', v.word)
      AND unaccent(lower(p.title || ' ' || p.body)) LIKE '%' || v.word || '%'
)
""")

# The vocabulary made anew from every post (the words `write` would add, near enough).
_ALL_WORDS = text("""
INSERT INTO search_vocabulary (word)
SELECT DISTINCT t.lexeme FROM posts p,
       unnest(to_tsvector('search_names', p.title || ' ' || p.body)) AS t
WHERE length(t.lexeme) BETWEEN 4 AND 40 AND t.lexeme !~ '^[0-9.]+$'
ON CONFLICT DO NOTHING
""")

# Highlights: \x02 and \x03 mark a match (they cannot occur in the escaped text).
_START, _STOP = "\x02", "\x03"
_SNIPPET = "StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, ShortWord=2, MaxFragments=1"
_WHOLE = "StartSel=\x02, StopSel=\x03, HighlightAll=true"
SHORT = 220  # a text this short is shown whole
_HEADLINES = text("""
WITH x AS (
    SELECT * FROM unnest(CAST(:hits AS integer[]), CAST(:parts AS text[]),
                         CAST(:texts AS text[])) WITH ORDINALITY AS x(hit, part, body, n)
), q AS (SELECT CAST(:q AS tsquery) AS q),
chosen AS (
    SELECT hit, part, body FROM x WHERE part <> 'comment'
    UNION ALL
    (SELECT DISTINCT ON (hit) hit, part, body FROM x, q
     WHERE part = 'comment' AND to_tsvector('search_dutch', body) @@ q.q
     ORDER BY hit, n)
)
SELECT hit, part, ts_headline('search_dutch', body, q.q,
                              CASE WHEN part = 'title' OR length(body) <= :short
                                   THEN :whole ELSE :snippet END)
FROM chosen, q
""")


class PostgresBackend:
    name = "postgres"

    def __init__(self, app=None):
        self.time_limit = float(app.config.get("SEARCH_TIME_LIMIT", 2.0)) if app else 2.0
        self.census = Census()
        # The ranked page of a search, per census generation: a repeat (the same words,
        # filters, page and visibility: members of the same teams share it) skips ranking its
        # candidates, 10-30 ms at 100,000 posts. Any change to a document the census learns
        # of makes a new generation, so an entry never outlives the documents it ranked.
        self.pages = SharedCache(PAGE_CACHE)

    # -- writing ---------------------------------------------------------------------------
    def index(self, session: Session, post_ids) -> None:
        """Write these posts' documents in the session's transaction (remove those of posts
        that are gone)."""
        ids = sorted(set(post_ids))
        if not ids:
            return
        conn = session.connection()
        conn.execute(text("SELECT pg_advisory_xact_lock(:space, id) "
                          "FROM unnest(CAST(:ids AS integer[])) AS id"),
                     {"space": LOCK_SPACE, "ids": ids})
        # A session of its own on the same connection (the same transaction): its identity map
        # is empty, so every relationship is read as the database has it now.
        with Session(bind=conn, autoflush=False) as reader:
            docs = documents.documents_for(reader, ids)
        write(conn, list(docs.values()))
        gone = [post_id for post_id in ids if post_id not in docs]
        if gone:
            conn.execute(delete(DOCS).where(DOCS.c.post_id.in_(gone)))

    def delete(self, session: Session, post_ids) -> None:
        ids = sorted(set(post_ids))
        if ids:
            session.connection().execute(delete(DOCS).where(DOCS.c.post_id.in_(ids)))

    def ping(self) -> None:
        """The documents table is there and answers."""
        db.session.execute(select(DOCS.c.post_id).limit(1)).all()

    def wait(self, timeout: float) -> bool:
        return True  # written in the transaction: searchable at commit

    def rebuild(self, progress: Callable[[int], None] | None = None, *, procs: int = 1) -> int:
        """Write every post's document again, `BATCH` posts per transaction (each document is
        valid at every moment, so searches go on meanwhile), start the vocabulary afresh and
        drop documents of posts that are gone."""
        engine = db.engine
        with Session(engine) as session:
            session.execute(text("DELETE FROM search_vocabulary"))
            session.commit()
        total, last = 0, 0
        while True:
            with Session(engine) as session:
                ids = list(session.scalars(select(Post.id).where(Post.id > last)
                                           .order_by(Post.id).limit(BATCH)))
                if not ids:
                    break
                self.index(session, ids)
                session.commit()
            total += len(ids)
            last = ids[-1]
            if progress is not None:
                progress(len(ids))
        with Session(engine) as session:
            session.execute(text("DELETE FROM search_documents d WHERE NOT EXISTS "
                                 "(SELECT 1 FROM posts p WHERE p.id = d.post_id)"))
            session.commit()
        with engine.connect() as conn:
            conn.execute(text("ANALYZE search_documents"))
            conn.commit()
        return total

    def purge(self, texts=None) -> bool:
        """After an erasure: the documents of deleted posts are gone with their rows, but the
        "did you mean" vocabulary keeps every word once seen. Drop the erased texts' words that
        no remaining post holds (a document matching the word's stem must also contain the
        word itself); when the texts are not known (`flask learncom scrub`), make the
        vocabulary anew from the posts. Then rewrite both tables, so no dead row keeps a word
        readable on disk."""
        engine = db.engine
        with Session(engine) as session:
            if texts is None:
                session.execute(text("DELETE FROM search_vocabulary"))
                session.execute(_ALL_WORDS)
            elif any(t and t.strip() for t in texts):
                session.execute(_FORGET_WORDS, {"texts": [t for t in texts if t]})
            session.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM FULL search_documents"))
            conn.execute(text("VACUUM FULL search_vocabulary"))
        return True

    def check(self, *, rest: float = 0.0) -> CheckReport:
        with Session(db.engine) as session:
            indexed = dict(session.execute(select(DOCS.c.post_id, DOCS.c.fingerprint)).all())
            return documents.compare(indexed, session, rest=rest)

    # -- searching -------------------------------------------------------------------------
    def search(self, query: ParsedQuery, filters: Filters, visibility: Visibility, *,
               page: int = 1, per_page: int = 10, sort: str = "relevance") -> EngineResults:
        conn = db.session.connection()
        compiler = Compiler(ANALYSER(conn, texts_to_analyse(query)))
        compiled = compiler.compile(query, filters)
        if not compiled.searchable:
            return EngineResults(hits=[], total=0)
        self.census.load(conn)  # once per process, outside the time limit
        # The census keeps the matches without the facet filters (it applies those from its
        # bitmaps); a ranked page is kept for the whole search.
        unfaceted = replace(filters, **dict.fromkeys(FACET_FILTERS))
        key = (repr(query), repr(unfaceted))
        page_key = (repr(query), repr(filters))
        try:
            with _time_limit(conn, self.time_limit):
                results = self._find(conn, (*key, "and"), (*page_key, "and"), compiled,
                                     visibility, page, per_page, sort)
                if results.total == 0 and compiled.either is not None:
                    results = self._find(conn, (*key, "or"), (*page_key, "or"), compiled,
                                         visibility, page, per_page, sort, either=True)
                    results.fallback = True
        except TimedOut:
            return EngineResults(hits=[], total=0, timed_out=True)
        results.highlighter = PostgresHighlighter(compiled.terms)
        return results

    def _find(self, conn, key, page_key, compiled: Compiled, visibility: Visibility,
              page: int, per_page: int, sort: str, *, either: bool = False) -> EngineResults:
        """The census's counts and the page among its matches, answered again when a change
        committed meanwhile (`Census.settled`): all of it then describes one state of the
        documents. Under a stream of changes, or when the census cannot answer, one SQL
        statement does it all. `either`: the words OR-ed (the fallback when AND finds
        nothing)."""
        conditions = compiled.either if either else compiled.conditions
        unfaceted = compiled.either_unfaceted if either else compiled.unfaceted
        terms, exact = compiled.terms, compiled.exact
        for _attempt in range(SETTLE_ATTEMPTS):
            counted = self.census.count(conn, key, unfaceted, visibility, compiled.facets)
            if counted is None:
                break
            kept_key = (page_key, visibility, page, per_page, sort)
            kept = self.pages.get(kept_key)
            if kept is not None and kept[0] == counted.generation:
                return EngineResults(hits=list(kept[1]), total=counted.total,
                                     facets=counted.facets)
            hits = []
            if counted.total > (page - 1) * per_page:
                statement = page_statement(counted, terms, exact, page, per_page, sort)
                hits = [EngineHit(row.post_id, float(row.score or 0.0))
                        for row in conn.execute(statement)]
            if self.census.settled(conn, counted):
                self.pages.put(kept_key, (counted.generation, tuple(hits)))
                return EngineResults(hits=hits, total=counted.total, facets=counted.facets)
        return self._run(conn, [visibility_condition(visibility), *conditions], terms,
                         exact, page, per_page, sort)

    def _run(self, conn, conditions: list, terms: str | None, exact: str | None, page: int,
             per_page: int, sort: str, *, facets: bool = True) -> EngineResults:
        statement = search_statement(conditions, terms, exact, page, per_page, sort,
                                     facets=facets)
        counts: dict[str, dict[str, int]] = {"kind": {}, "tag": {}, "neighbourhood": {},
                                              "status": {}}
        hits: list[EngineHit] = []
        total = 0
        for row in conn.execute(statement):
            if row.part == "hit":
                hits.append(EngineHit(row.post_id, float(row.score or 0.0)))
            elif row.part == "total":
                total = row.n
            elif row.value is not None:
                counts[row.part][row.value] = row.n
        ordered = {name: dict(sorted(values.items(), key=lambda item: (-item[1], item[0])))
                   for name, values in counts.items()}
        return EngineResults(hits=hits, total=total, facets=ordered)

    def suggest(self, query: ParsedQuery, visibility: Visibility) -> dict[str, str]:
        """Corrections for words that match nothing the viewer can see: vocabulary words close
        by trigrams and by edit distance (at most 2, same first letter), each offered only if a
        post the viewer may see contains it."""
        conn = db.session.connection()
        words = query.words()[:8]
        analyses = ANALYSER(conn, words)
        allowed = visibility_condition(visibility)
        corrections: dict[str, str] = {}
        with _time_limit(conn, self.time_limit, quiet=True):
            self._suggest(conn, words, analyses, allowed, corrections)
        return corrections

    @staticmethod
    def _suggest(conn, words, analyses, allowed, corrections: dict[str, str]) -> None:
        for word in words:
            folded = analyses[word].names
            single = folded[1:-1] if folded.count("'") == 2 else ""
            if not (SUGGEST_MIN <= len(single) <= SUGGEST_MAX) or single.isdigit():
                continue
            found = Compiler(analyses).word(Word(word))
            if found and conn.execute(select(literal(1)).where(
                    allowed, matches(DOCS.c.document, found)).limit(1)).first():
                continue
            candidates = conn.execute(text("""
                SELECT c.word FROM (
                    SELECT word, similarity(word, :w) AS s FROM search_vocabulary
                    WHERE word % :w AND word <> :w ORDER BY s DESC, word LIMIT 10
                ) c ORDER BY c.s DESC, c.word"""), {"w": single}).scalars().all()
            candidates = [c for c in candidates if c[:1] == single[:1]
                          and _distance(single, c) <= 2]
            candidates.sort(key=lambda c: _distance(single, c))
            for candidate in candidates:
                used = select(literal(1)).where(allowed, DOCS.c.document.op("@@")(
                    func.plainto_tsquery(literal_column("'search_dutch'"), candidate))).limit(1)
                if conn.execute(used).first():
                    corrections[word] = candidate
                    break

    def similar(self, text_: str, visibility: Visibility, *, exclude: int | None = None,
                limit: int = 5) -> list[EngineHit]:
        """Posts sharing the text's most telling words (frequent in the text, rare in the
        index: document frequencies from PostgreSQL's statistics of the column)."""
        if not text_ or not text_.strip():
            return []
        conn = db.session.connection()
        keys = key_terms(conn, text_[:20_000], 15)
        if not keys:
            return []
        terms = " | ".join(keys)
        conditions = [visibility_condition(visibility), matches(DOCS.c.document, terms)]
        if exclude is not None:
            conditions.append(DOCS.c.post_id != exclude)
        hits: list[EngineHit] = []
        with _time_limit(conn, self.time_limit, quiet=True):
            hits = self._run(conn, conditions, terms, terms, 1, limit, "relevance",
                             facets=False).hits
        return hits


class TimedOut(Exception):  # noqa: N818
    pass


class _time_limit:  # noqa: N801 - used as a context manager
    """A savepoint with a statement timeout for the search's reads: a search that takes too
    long is cancelled by the server and the request's transaction goes on."""

    def __init__(self, conn, seconds: float, *, quiet: bool = False):
        self.conn, self.ms, self.quiet = conn, max(1, int(seconds * 1000)), quiet

    def __enter__(self):
        self.savepoint = self.conn.begin_nested()
        # No JIT: compiling the plan costs more than these queries run. No sequential scan:
        # for a word in most posts the planner would rather read the whole table than the GIN
        # index, not knowing that `document @@ query` then reads every post's tsvector from
        # TOAST (0.5 s at 10,000 posts, against a few milliseconds through the index).
        self.conn.execute(text("SELECT set_config('statement_timeout', :ms, true), "
                               "set_config('jit', 'off', true), "
                               "set_config('enable_seqscan', 'off', true)"),
                          {"ms": str(self.ms)})
        return self

    def __exit__(self, kind, error, _tb):
        # Only reads happened in it: rolling the savepoint back also restores both settings.
        self.savepoint.rollback()
        if error is None:
            return False
        if isinstance(error, OperationalError) and "statement timeout" in str(error):
            if self.quiet:
                return True
            raise TimedOut() from error
        return False


def _scored(rows, terms: str | None, exact: str | None):
    """`rows` (post ids) with their score: ts_rank over the weighted document of the exact
    words, plus a hundredth of that of everything (compound expansions too), so a post with
    the word itself ranks above one with only a compound it starts. The document is read
    (detoasted) once per post for both."""
    docs = (select(DOCS.c.post_id, DOCS.c.applied, DOCS.c.created_at,
                   DOCS.c.document.op("||", return_type=TSVECTOR)(
                       cast(literal(""), TSVECTOR)).label("v"))
            # = ANY(ARRAY(...)): a lookup by primary key per candidate, not a join that
            # reads the whole table.
            .where(DOCS.c.post_id == func.any(func.array(rows.scalar_subquery())))
            .offset(0).subquery("scored"))
    if terms is None:
        score = literal(0.0)
    elif exact is None or exact == terms:
        score = func.ts_rank(docs.c.v, tsquery(terms), NORMALIZATION)
    else:
        score = (func.ts_rank(docs.c.v, tsquery(exact), NORMALIZATION)
                 + 0.01 * func.ts_rank(docs.c.v, tsquery(terms), NORMALIZATION))
    return select(docs.c.post_id, docs.c.applied, docs.c.created_at,
                  score.label("score")).subquery("ranked")


def search_statement(conditions: list, terms: str | None, exact: str | None, page: int,
                     per_page: int, sort: str, *, facets: bool = True):
    """One statement: the matches, their total and facet counts, and the page of hits."""
    matched = (select(DOCS.c.post_id, DOCS.c.kind, DOCS.c.neighbourhood, DOCS.c.status,
                      DOCS.c.tags, DOCS.c.created_at, DOCS.c.applied)
               .where(and_(*conditions)).cte("matched").prefix_with("MATERIALIZED"))
    counted = select(func.count().label("n")).select_from(matched).cte("counted")
    total = select(counted.c.n).scalar_subquery()  # counted once, however often it is used
    keep = page * per_page
    rank_query = tsquery(terms) if terms else None
    if sort == "newest":
        ordered = (select(matched.c.post_id).order_by(matched.c.created_at.desc(),
                                                      matched.c.post_id.desc())
                   .offset(keep - per_page).limit(per_page))
        ranked = _scored(ordered, terms, exact)
        page_rows = (select(literal("hit").label("part"), ranked.c.post_id, ranked.c.score)
                     .order_by(ranked.c.created_at.desc(), ranked.c.post_id.desc()))
    else:
        candidates = _candidates(matched, total, rank_query, keep, sort)
        ranked = _scored(select(candidates.c.post_id), terms, exact)
        order = [ranked.c.score.desc(), ranked.c.post_id]
        if sort == "applied":
            order.insert(0, ranked.c.applied.desc())
        page_rows = (select(literal("hit").label("part"), ranked.c.post_id, ranked.c.score)
                     .order_by(*order).offset(keep - per_page).limit(per_page))
    parts = [select(literal("total").label("part"), null().label("value"),
                    null().cast(ARRAY(TEXT)).label("tags"), total.label("n"),
                    null().cast(Integer).label("post_id"), null().cast(Float).label("score"))]
    if facets:
        # One pass over the matches: a hash table per facet. Tags are grouped as whole arrays
        # (cheap to hash), and those few thousand combinations are then summed per tag.
        grouped = (select(case((func.grouping(matched.c.kind) == 0, literal("kind")),
                               (func.grouping(matched.c.status) == 0, literal("status")),
                               (func.grouping(matched.c.neighbourhood) == 0,
                                literal("neighbourhood")),
                               else_=literal("tag")).label("part"),
                          func.coalesce(matched.c.kind, matched.c.status,
                                        matched.c.neighbourhood).label("value"),
                          matched.c.tags, func.count().label("n"))
                   .group_by(func.grouping_sets(tuple_(matched.c.kind),
                                                tuple_(matched.c.status),
                                                tuple_(matched.c.neighbourhood),
                                                tuple_(matched.c.tags)))
                   .cte("grouped"))
        parts.append(select(grouped.c.part, grouped.c.value,
                            null().cast(ARRAY(TEXT)).label("tags"), grouped.c.n,
                            null().cast(Integer).label("post_id"),
                            null().cast(Float).label("score"))
                     .where(grouped.c.part != "tag"))
        tag = func.unnest(grouped.c.tags).table_valued("value").render_derived(name="t")
        parts.append(select(literal("tag"), tag.c.value, null().cast(ARRAY(TEXT)),
                            cast(func.sum(grouped.c.n), Integer), null().cast(Integer),
                            null().cast(Float))
                     .select_from(grouped).join(tag, literal(True))
                     .where(grouped.c.part == "tag").group_by(tag.c.value))
    page_part = page_rows.subquery("hits")
    parts.append(select(page_part.c.part, null().label("value"),
                        null().cast(ARRAY(TEXT)).label("tags"), null().cast(Integer).label("n"),
                        page_part.c.post_id, page_part.c.score))
    return union_all(*parts)


def _visible(counted: Counted):
    """`post_id` is among the counted matches: bit `post_id` of their bitmap, passed as bytea
    (get_bit numbers bits from the least significant of the first byte, as int.to_bytes
    'little' lays them out)."""
    bits = counted.bits.to_bytes(max(1, (counted.bits.bit_length() + 7) // 8), "little")
    return case((DOCS.c.post_id < len(bits) * 8,
                 func.get_bit(literal(bits, LargeBinary), DOCS.c.post_id) == 1), else_=False)


def page_statement(counted: Counted, terms: str | None, exact: str | None, page: int,
                   per_page: int, sort: str):
    """The page of hits among the counted matches: up to RANK_ALL of them ranked exactly
    (their ids passed in), more by the candidates `_candidates` picks, tested against the
    bitmap in the rows themselves (no TOAST read, no text search again)."""
    keep = page * per_page
    if counted.total <= RANK_ALL:
        every = select(func.unnest(literal(members(counted.bits), ARRAY(Integer))))
        ranked = _scored(every, terms, exact)
        if sort == "newest":
            order = [ranked.c.created_at.desc(), ranked.c.post_id.desc()]
        else:
            order = [ranked.c.score.desc(), ranked.c.post_id]
            if sort == "applied":
                order.insert(0, ranked.c.applied.desc())
        return (select(ranked.c.post_id, ranked.c.score).order_by(*order)
                .offset(keep - per_page).limit(per_page))
    visible = _visible(counted)
    if sort == "newest":
        newest = (select(DOCS.c.post_id).where(visible)
                  .order_by(DOCS.c.created_at.desc(), DOCS.c.post_id.desc())
                  .offset(keep - per_page).limit(per_page))
        ranked = _scored(newest, terms, exact)
        return (select(ranked.c.post_id, ranked.c.score)
                .order_by(ranked.c.created_at.desc(), ranked.c.post_id.desc()))
    newest_order = [DOCS.c.created_at.desc(), DOCS.c.post_id.desc()]
    if sort == "applied":
        newest_order.insert(0, DOCS.c.applied.desc())
    parts = [select(DOCS.c.post_id).where(visible).order_by(*newest_order)
             .limit(max(keep, RANK_NEWEST))]
    if terms:
        rank_query = tsquery(terms)
        parts.append(select(DOCS.c.post_id)
                     .where(DOCS.c.head.op("@@")(rank_query), visible)
                     .order_by(func.ts_rank(DOCS.c.head, rank_query).desc(),
                               DOCS.c.created_at.desc())
                     .limit(max(keep, RANK_HEADS)))
    candidates = union(*[part.subquery().select() for part in parts]).subquery("candidates")
    ranked = _scored(select(candidates.c.post_id), terms, exact)
    order = [ranked.c.score.desc(), ranked.c.post_id]
    if sort == "applied":
        order.insert(0, ranked.c.applied.desc())
    return (select(ranked.c.post_id, ranked.c.score).order_by(*order)
            .offset(keep - per_page).limit(per_page))


def _candidates(matched, total, rank_query, keep: int, sort: str):
    """The matches to rank exactly: all of them up to RANK_ALL, else the newest (or most
    applied) and the best title/tag matches (found with the `head` index beside the
    document's)."""
    everything = select(matched.c.post_id).where(total <= RANK_ALL)
    newest_order = [matched.c.created_at.desc(), matched.c.post_id.desc()]
    if sort == "applied":
        newest_order.insert(0, matched.c.applied.desc())
    newest = (select(matched.c.post_id).where(total > RANK_ALL).order_by(*newest_order)
              .limit(max(keep, RANK_NEWEST)))
    parts = [everything, newest]
    if rank_query is not None:
        # The posts whose title or tags match, from the head's own GIN index, then only
        # those among the matches (a hash join: no TOAST read, no lookup per match).
        titled = (select(DOCS.c.post_id, DOCS.c.created_at,
                         func.ts_rank(DOCS.c.head, rank_query).label("rank"))
                  .where(total > RANK_ALL, DOCS.c.head.op("@@")(rank_query))
                  .cte("titled").prefix_with("MATERIALIZED"))
        heads = (select(titled.c.post_id)
                 .join(matched, matched.c.post_id == titled.c.post_id)
                 .order_by(titled.c.rank.desc(), titled.c.created_at.desc())
                 .limit(max(keep, RANK_HEADS)))
        parts.append(heads)
    return union(*[part.subquery().select() for part in parts]).subquery("candidates")


def write(conn, docs: list[PostDocument]) -> None:
    """Upsert documents (and their new words) on `conn`, in its transaction."""
    for start in range(0, len(docs), BATCH):
        chunk = docs[start:start + BATCH]
        conn.execute(_WRITE, {"docs": json.dumps([_row(doc) for doc in chunk])})
        conn.execute(_WORDS, {"texts": [f"{doc.title}\n{doc.body}\n{doc.fields}"
                                        for doc in chunk]})


def _row(doc: PostDocument) -> dict:
    created = doc.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return {
        "post_id": doc.id, "kind": doc.kind, "visibility": doc.visibility,
        "team_id": doc.team_id, "author_id": doc.author_id, "author_kind": doc.author_kind,
        "neighbourhood": doc.neighbourhood, "status": doc.status, "tags": doc.tags,
        "created_at": created.isoformat() if created else None, "applied": doc.applied,
        "title": doc.title, "tagtext": " ".join(tag.replace("-", " ") for tag in doc.tags),
        "fields": doc.fields, "body": doc.body, "names": f"{doc.author_name} {doc.place}",
        "comments": doc.comments, "people": doc.author_name, "fingerprint": doc.fingerprint,
    }


# -- highlights --------------------------------------------------------------------------------

class PostgresHighlighter:
    """`ts_headline` over the escaped texts of a page's hits, in one statement."""

    def __init__(self, terms: str | None):
        self.terms = terms

    def excerpts(self, texts: list[HitText]) -> list[Excerpt]:
        escaped = [(str(escape(t.title)), str(escape(t.body)),
                    [str(escape(_clean(c))) for c in t.comments]) for t in texts]
        found = [Excerpt(title=Markup(title)) for title, _body, _comments in escaped]  # noqa: S704
        if not self.terms:
            return found
        hits, parts, bodies = [], [], []
        for n, (title, body, comments) in enumerate(escaped):
            for part, value in (("title", title), ("body", body),
                                *(("comment", c) for c in comments)):
                if value:
                    hits.append(n)
                    parts.append(part)
                    bodies.append(_clean(value))
        rows = db.session.execute(_HEADLINES, {
            "hits": hits, "parts": parts, "texts": bodies, "q": self.terms,
            "whole": _WHOLE, "snippet": _SNIPPET, "short": SHORT})
        for n, part, headline in rows:
            source = {"title": escaped[n][0], "body": escaped[n][1]}.get(part)
            marked = _marked(headline, source, whole=part == "title")
            if marked is None:
                continue
            if part == "title":
                found[n].title = marked
            elif part == "body":
                found[n].body = marked
            else:
                found[n].comment = marked
        return found


def _clean(value: str) -> str:
    return value.replace(_START, " ").replace(_STOP, " ")


def _marked(headline: str, source: str | None, *, whole: bool) -> Markup | None:
    """PostgreSQL's headline of an escaped text with its markers made <mark>. It must be a
    piece of that escaped text with markers added and nothing else (checked); None when nothing
    matched. `source`: the escaped text (for a title or body; a comment's is not kept)."""
    if _START not in headline:
        return None
    plain = headline.replace(_START, "").replace(_STOP, "").strip()
    if any(ch in plain for ch in "<>\"'"):
        return None  # cannot happen for escaped text: never pass anything else on
    marked = headline.strip().replace(_START, "<mark>").replace(_STOP, "</mark>")
    if whole:
        return Markup(marked) if plain == (source or "").strip() else None  # noqa: S704
    if source is not None:
        lead = source.find(plain)
        if lead < 0:
            return None
        marked = ("…" if lead > 0 else "") + marked + (
            "…" if lead + len(plain) < len(source.rstrip()) else "")
    return Markup(marked)  # noqa: S704 - escaped by us before PostgreSQL saw it


# -- similar posts -----------------------------------------------------------------------------

class _Frequencies:
    """Document frequencies of common lexemes from PostgreSQL's column statistics
    (`pg_stats.most_common_elems` of `document`, kept by ANALYZE/autovacuum), read at most
    once a minute per process. A lexeme not among them is rarer than the rarest listed."""

    def __init__(self, ttl: float = 60.0):
        self.ttl = ttl
        self.read_at = -math.inf
        self.values: dict[str, float] = {}
        self.floor = 0.001
        self.lock = threading.Lock()

    def get(self, conn) -> tuple[dict[str, float], float]:
        with self.lock:
            if time.monotonic() - self.read_at > self.ttl:
                row = conn.execute(text(
                    "SELECT most_common_elems::text::text[], most_common_elem_freqs "
                    "FROM pg_stats WHERE tablename = 'search_documents' "
                    "AND attname = 'document'")).first()
                if row and row[0]:
                    freqs = list(row[1])
                    self.values = dict(zip(row[0], freqs, strict=False))
                    self.floor = min(freqs[:len(row[0])]) / 2 if row[0] else 0.001
                else:
                    self.values, self.floor = {}, 0.001
                self.read_at = time.monotonic()
            return self.values, self.floor


FREQUENCIES = _Frequencies()


def key_terms(conn, text_: str, count: int) -> list[str]:
    """The text's most telling lexemes (tf-idf), quoted for a tsquery."""
    rows = conn.execute(text(
        "SELECT quote_literal(lexeme), coalesce(array_length(positions, 1), 1) "
        "FROM unnest(to_tsvector('search_dutch', :t)) ORDER BY 2 DESC LIMIT 300"),
        {"t": plain_text(text_)}).all()
    if not rows:
        return []
    frequencies, floor = FREQUENCIES.get(conn)
    weighted = []
    for quoted, tf in rows:
        share = frequencies.get(quoted[1:-1].replace("''", "'"), floor)
        weighted.append((quoted, (1 + math.log(tf)) * math.log(1 + 1 / max(share, 1e-6))))
    weighted.sort(key=lambda item: -item[1])
    return [quoted for quoted, _w in weighted[:count]]


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


