"""The embedded search engine: Whoosh (whoosh-reloaded 2.7.5).

Layout on disk (`SEARCH_INDEX_DIR`)::

    search-index/
        current -> ix-20261123T110501-4f2a     (symlink: the live index)
        ix-20261123T110501-4f2a/               (a Whoosh index directory)
        ix-20261120T093000-77c1/               (the previous one, kept for open searchers)

`rebuild` builds a new `ix-*` directory beside the live one and swaps the `current` symlink with
an atomic rename, so searches never see a half-built index.

What is stored: only the post id and its fingerprint (for `check`). Results pages load the ten
hits from the database (one query) and highlight from there (`services.py` with this engine's
`Highlighter`), so the index never holds whole bodies (the main memory and speed cost measured
for untuned Whoosh).

Indexing: the Dutch text fields get ready-made term lists from `analysis.analyse` (one regex
pass, a dict lookup per word) instead of Whoosh's analyzer chain, without positions; phrases
are looked up in a `pairs` field of consecutive terms. Searching: `internals/evaluate.py`
evaluates the query a posting list at a time (same scores as Whoosh) with a per-searcher term
cache.

Keeping it true: the session listener hands changed posts to `index()`, which writes a row per
post to the `index_queue` table in the same transaction; after commit `queue.py` drains the
queue into the index. `ix.writer()` takes Whoosh's lock without waiting and raises `LockError`
when another process (or thread) is writing; we turn that into `Busy` and the caller leaves the
queue to the holder. A drain commits a new segment without merging; `internals/segments.py`
merges small segments outside the lock. A rebuild writes its segments with `internals/bulk.py`,
one process per range of posts. Everything that touches Whoosh's private names is behind
`internals/` (see its docstring): when it cannot run, this engine runs on stock Whoosh.

Searchers: one per process and index, shared by threads with a lease count, replaced by a fresh
`ix.searcher()` when the index has a newer generation (or the live directory was swapped). We do
not use `Searcher.refresh()`: in whoosh-reloaded 2.7.5 it reuses the old reader's segment list
and keeps segments a merge has replaced, so after a merge every document is counted twice
(reproduced: 27 hits for 12 documents).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import heapq
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as dtime
from itertools import chain
from pathlib import Path

from cachetools import LRUCache
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError

from learncom.posts.filters import normalise_tag, parse_date
from learncom.search import documents
from learncom.search.analysis import MIN_COMPOUND_LENGTH
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
    SearchBackend,
    Visibility,
)
from learncom.search.caches import SharedCache
from learncom.search.query import (
    MIN_PREFIX_LENGTH,
    FieldFilter,
    ParsedQuery,
    Phrase,
    Word,
    normalise_value,
)
from learncom.search.whoosh import internals, queue
from learncom.search.whoosh.analysis import (
    MAX_EXPANSIONS,
    Matcher,
    analyse,
    dutch_analyzer,
    folded_words,
    highlight,
    highlight_all,
    name_analyzer,
    pairs,
    stems,
)
from learncom.search.whoosh.queue import Busy
from learncom.text import slugify

TEXT_FIELDS = ("title", "body", "comments", "tagtext")
NAME_FIELDS = ("people", "place")
COMPOUND_BOOST = 0.5
# Compounds a query word expands to (prefix searches `word*` keep MAX_EXPANSIONS): each one
# is a Term per text field, and these dominated the cost of evaluating a query.
COMPOUND_EXPANSIONS = 10
LIVE = "current"
SORT_COLUMNS = ("created_at", "applied")


def make_schema() -> Schema:
    dutch = dutch_analyzer()
    names = name_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        fingerprint=STORED(),
        kind=ID(sortable=True),
        visibility=ID(),
        team_id=ID(),
        author_id=ID(),
        author_kind=ID(),
        neighbourhood=ID(sortable=True),
        status=ID(sortable=True),
        tags=KEYWORD(commas=True, lowercase=True, scorable=True, field_boost=2.0),
        created_at=DATETIME(sortable=True),
        applied=NUMERIC(int, bits=32, signed=False, sortable=True),
        # The Dutch text fields are fed ready-made term lists (`analysis.analyse`): no
        # positions (phrases use `pairs`), no Whoosh analysis at index time.
        tagtext=TEXT(analyzer=dutch, field_boost=2.0, phrase=False),
        title=TEXT(analyzer=dutch, field_boost=3.0, phrase=False),
        body=TEXT(analyzer=dutch, phrase=False),
        comments=TEXT(analyzer=dutch, phrase=False),
        # Consecutive term pairs of title, body and comments (not across them): a phrase is
        # the AND of its pairs, a posting-list lookup instead of a position check per document.
        pairs=TEXT(analyzer=dutch, phrase=False),
        # The folded, unstemmed words of title and body: the "did you mean" vocabulary.
        spell=KEYWORD(scorable=False),
        people=TEXT(analyzer=names, phrase=False),
        place=TEXT(analyzer=names, phrase=False),
    )


def _naive_utc(value: datetime | None) -> datetime:
    value = value or datetime.now(UTC)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def whoosh_fields(doc: PostDocument) -> dict:
    title, title_words = analyse(doc.title)
    body, body_words = analyse("\n".join(part for part in (doc.body, doc.fields) if part))
    comments = analyse(doc.comments)[0]
    tagtext = analyse(" ".join(tag.replace("-", " ") for tag in doc.tags))[0]
    fields = {
        "id": str(doc.id), "fingerprint": doc.fingerprint, "kind": doc.kind,
        "visibility": doc.visibility,
        "team_id": str(doc.team_id) if doc.team_id else None,
        "author_id": str(doc.author_id) if doc.author_id else None,
        "author_kind": doc.author_kind, "neighbourhood": doc.neighbourhood,
        "status": doc.status, "tags": ",".join(doc.tags) or None, "tagtext": tagtext,
        "created_at": _naive_utc(doc.created_at), "applied": doc.applied,
        "title": title, "body": body, "comments": comments,
        "pairs": pairs(title) + pairs(body) + pairs(comments),
        "spell": sorted(set(title_words) | set(body_words)),
        "people": doc.author_name or None, "place": doc.place or None,
    }
    return {name: value for name, value in fields.items() if value not in (None, "", [])}


# -- the index directory ---------------------------------------------------------------------

class IndexStore:
    """Where the live index is, creating it on first use, and the atomic swap for rebuilds."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.schema = make_schema()

    @contextlib.contextmanager
    def _dir_lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".layout.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def live_path(self) -> Path:
        link = self.root / LIVE
        try:
            return self.root / os.readlink(link)
        except FileNotFoundError:
            pass
        with self._dir_lock():
            if not link.is_symlink():
                path = self.new_path()
                whoosh_index.create_in(str(path), self.schema)
                self._point_to(path)
        return self.root / os.readlink(link)

    def new_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.root / f"ix-{stamp}-{uuid.uuid4().hex[:6]}"
        path.mkdir(parents=True)
        return path

    def _point_to(self, path: Path) -> None:
        tmp = self.root / f".{LIVE}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        os.symlink(path.name, tmp)
        os.replace(tmp, self.root / LIVE)  # atomic on POSIX

    def swap(self, path: Path) -> Path:
        """Make `path` the live index; remove all but it and the one it replaces."""
        with self._dir_lock():
            previous = self.live_path()
            self._point_to(path)
            for old in self.root.glob("ix-*"):
                if old not in (path, previous) and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
        return previous

    def remove_stale(self) -> None:
        """Remove every index directory but the live one (`swap` keeps the one before, for
        searchers that may still read it: they open the live one at their next search)."""
        with self._dir_lock():
            live = self.live_path()
            for old in self.root.glob("ix-*"):
                if old != live and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)

    def open(self, path: Path | None = None):
        """Open the index. A writer committing at the same moment deletes the TOC file that
        `open_dir` just chose as the latest (`FileNotFoundError`): then read it again."""
        return internals.retry_vanished(
            lambda: whoosh_index.open_dir(str(path or self.live_path())))


# -- searchers -------------------------------------------------------------------------------

class _Lease:
    def __init__(self, path: Path, ix):
        self.path = path
        self.ix = ix
        # Read before opening: if the index changes in between, the next search refreshes.
        # (Searcher.up_to_date() never holds for an empty index: its reader has no generation.)
        self.generation = ix.latest_generation()
        # Opening the reader reads the table of contents again: a commit meanwhile may have
        # removed the one `open_dir` read.
        self.searcher = internals.retry_vanished(ix.searcher)
        # Keys the per-process result cache: a new generation never sees an old page.
        self.searcher.learncom_generation = (str(path), self.generation, id(self))
        # What the set-at-a-time evaluator caches for this searcher (see evaluate.py).
        self.searcher.learncom_terms = internals.new_term_cache()
        # One thread at a time reads through it: its segment files are shared file objects
        # (seek, then read), so two threads reading postings at once read each other's bytes
        # (UnpicklingError under gunicorn's threaded worker and the threaded dev server).
        self.lock = threading.RLock()
        self.users = 0
        self.retired = False
        self.pid = os.getpid()


def _retire(lease: _Lease) -> None:
    lease.retired = True
    if lease.users == 0:
        lease.searcher.close()


class _Leases(LRUCache):
    """The open searchers by index; the least recently used is retired when one too many."""

    def popitem(self):
        key, lease = super().popitem()
        _retire(lease)
        return key, lease


class SearcherPool:
    """One open searcher per index per process, replaced when the index changed; a searcher in
    use by another thread is closed only when that thread is done with it. Threads take turns
    with a searcher (see `_Lease.lock`)."""

    def __init__(self, max_indexes: int = 8):
        self._lock = threading.Lock()
        # A deployment has one index; test runs make one per test. Bound the open files.
        self._leases = _Leases(maxsize=max_indexes)

    @contextlib.contextmanager
    def searcher(self, store: IndexStore):
        lease = self._acquire(store)
        try:
            with lease.lock:
                yield lease.searcher
        finally:
            self._release(lease)

    def _acquire(self, store: IndexStore) -> _Lease:
        path = store.live_path()
        key = str(store.root)
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.pid != os.getpid():
                lease = None  # inherited through fork (gunicorn --preload): the parent's files
            if lease is not None and (lease.path != path
                                      or lease.ix.latest_generation() != lease.generation):
                _retire(lease)
                lease = None
            if lease is None:
                lease = _Lease(path, store.open(path))
                self._leases[key] = lease
            lease.users += 1
            return lease

    def _release(self, lease: _Lease) -> None:
        with self._lock:
            lease.users -= 1
            if lease.retired and lease.users == 0:
                lease.searcher.close()

    def close(self, root: str | os.PathLike | None = None) -> None:
        """Close the searchers of one index (or all): tests and `rebuild` use this."""
        with self._lock:
            for key in [k for k in self._leases if root is None or k == str(Path(root))]:
                _retire(self._leases.pop(key))


POOL = SearcherPool()


#: The engine's answer to the last few hundred (index generation, query, filters, visibility,
#: page, sort) per process: people page back and forth, share links and repeat popular
#: searches, and any change to the index starts a new generation. Timed-out (partial) answers
#: are not kept.
RESULTS = SharedCache(512)
#: "Did you mean" corrections per (index generation, words, visibility), the same way.
SUGGESTIONS = SharedCache(512)
#: The spelling pass stops looking at further words after this many seconds.
SUGGEST_TIME_LIMIT = 0.1
FREQUENCIES = 100_000  # document frequencies kept per searcher for similar posts' key terms


def clear_suggestion_cache() -> None:
    SUGGESTIONS.clear()


def _copy(results: EngineResults) -> EngineResults:
    return dataclasses.replace(
        results, hits=list(results.hits),
        facets={name: dict(values) for name, values in results.facets.items()})


class WhooshHighlighter:
    """Marks the words of a text that match the query's terms (by stem) or its prefixes
    (prefix queries and compound expansions), with the same analysis as the index."""

    def __init__(self, terms: set[str], prefixes: set[str]):
        self.terms, self.prefixes = terms, prefixes
        self.matcher = Matcher(terms, prefixes)

    def excerpts(self, texts: list[HitText]) -> list[Excerpt]:
        found = []
        for text in texts:
            comment = None
            for candidate in text.comments:
                comment = highlight(candidate, self.matcher)
                if comment is not None:
                    break
            found.append(Excerpt(title=highlight_all(text.title, self.matcher),
                                 body=highlight(text.body, self.matcher), comment=comment))
        return found


# -- facets ----------------------------------------------------------------------------------

class _FacetCache:
    """Per-segment arrays docnum -> value for the facet fields, built once per segment (segments
    never change; deleted documents simply never match). Counting a result set is then a walk
    over its docnums, instead of Whoosh's per-search un-inverting of the tags field."""

    def __init__(self, size: int = 256):
        self._arrays = SharedCache(size)

    def arrays(self, path: Path, reader) -> dict:
        segment = reader.segment()
        key = (str(path), segment.segment_id() if segment is not None else id(reader))
        found = self._arrays.get(key)
        if found is None:
            found = self._build(reader)
            self._arrays.put(key, found)
        return found

    @staticmethod
    def _build(reader) -> dict:
        n = reader.doc_count_all()
        arrays: dict[str, list] = {}
        for name, field in (("kind", "kind"), ("neighbourhood", "neighbourhood"),
                            ("status", "status")):
            values: list = [None] * n
            for btext in reader.lexicon(field):
                value = btext.decode("utf-8")
                for docnum in reader.postings(field, btext).all_ids():
                    values[docnum] = value
            arrays[name] = values
        tags: list = [()] * n
        for btext in reader.lexicon("tags"):
            value = btext.decode("utf-8")
            for docnum in reader.postings("tags", btext).all_ids():
                tags[docnum] = (*tags[docnum], value)
        arrays["tag"] = tags
        arrays["masks"] = _masks(n, arrays)
        # Sort keys, read from the column (sortable) fields once per segment.
        for name in SORT_COLUMNS:
            if name in reader.schema and reader.has_column(name):
                column = reader.column_reader(name, translate=False)
                arrays[name] = [column[d] for d in range(n)]
            else:
                arrays[name] = [0] * n
        return arrays


FACETS = _FacetCache()


# -- the backend -----------------------------------------------------------------------------

class _Writer:
    def __init__(self, writer):
        self._writer = writer
        self.changes = 0

    def upsert(self, doc: PostDocument) -> None:
        self.changes += 1
        fields = whoosh_fields(doc)
        schema = self._writer.schema
        # An index built before a field was added (e.g. `applied`) takes the fields it knows
        # until the next `flask search rebuild`.
        self._writer.update_document(**{k: v for k, v in fields.items() if k in schema})

    def delete(self, post_id: int) -> None:
        self.changes += 1
        self._writer.delete_by_term("id", str(post_id))


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, root: str | os.PathLike, *, time_limit: float = 2.0):
        self.store = IndexStore(root)
        self.time_limit = time_limit

    # -- keeping it true -------------------------------------------------------------------
    def index(self, session: Session, post_ids) -> None:
        """Queue the posts in the transaction; the after-commit drain indexes them."""
        queue.add(session, post_ids, "upsert")

    def delete(self, session: Session, post_ids) -> None:
        queue.add(session, post_ids, "delete")

    def ping(self) -> None:
        """The process searcher opens (the index is there and readable)."""
        with POOL.searcher(self.store) as searcher:
            searcher.doc_count()

    def wait(self, timeout: float) -> bool:
        """Drain the queue until it is empty, waiting for another writer if needed."""
        return not queue.sync(self, wait=timeout).busy

    def check(self, *, rest: float = 0.0) -> CheckReport:
        indexed = self.fingerprints()
        with queue.read_session() as session:
            report = documents.compare(indexed, session, rest=rest)
        report.queued = queue.pending()
        return report

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self) -> Iterator[_Writer]:
        """The index writer, taken without waiting (`Busy` if another writer holds it);
        committed when the block ends, cancelled if it raises or changed nothing (a new
        generation makes every process open a new searcher). The commit writes a new segment
        and never merges: `tidy` merges small segments without holding the lock for long."""
        for _attempt in range(5):
            path = self.store.live_path()
            try:
                writer = self.store.open(path).writer()
            except LockError as error:
                raise Busy() from error
            if self.store.live_path() == path:
                break
            writer.cancel()  # a rebuild swapped the index between open and lock
        else:
            raise Busy()
        wrapped = _Writer(writer)
        try:
            yield wrapped
        except BaseException:
            writer.cancel()
            raise
        if wrapped.changes:
            writer.commit(merge=internals.merge_on_commit())
        else:
            writer.cancel()

    def tidy(self, load: Callable[[list[int]], dict[int, PostDocument]]) -> int:
        """Merge small segments (see `internals/segments.py`); returns how many were merged."""
        return internals.merge_small(self.store, load, whoosh_fields)

    def purge(self, texts=None) -> bool:
        """Leave no trace on disk of deleted documents: index what is queued, then rewrite
        every segment that still holds deleted documents (their terms, stored fields and
        spelling words stay in the segment files until it is merged) and remove older index
        directories. True when no segment holds a deleted document any more. The spelling
        words are in the segments too, so `texts` needs no handling of its own."""
        from functools import partial

        from learncom.extensions import db

        queue.sync(self)
        load = partial(queue._load, db.engine)
        for _attempt in range(5):
            internals.rewrite_deleted(self.store, load, whoosh_fields)
            if not any(s.has_deletions() for s in self.store.open()._segments()):
                self.store.remove_stale()
                return True
        return False

    def rebuild(self, progress: Callable[[int], None] | None = None, *, procs: int = 1,
                wait: float = 120.0) -> int:
        """Build a fresh index beside the live one, swap it in, then drain what queued
        meanwhile. The live index's writer lock is held throughout, so drains leave the queue
        alone. With `procs` > 1 the posts are split into that many id ranges, each indexed by a
        process of its own into a segment of the new index (not for an in-memory database,
        which other processes cannot open)."""
        from learncom.extensions import db

        url = db.engine.url
        shared = not (url.get_backend_name() == "sqlite"
                      and url.database in (None, "", ":memory:"))
        with queue.read_session() as session:
            covered = queue.visible_ids(session)  # first: the snapshot the posts are read in
            total = documents.count_posts(session)
            parts = (documents.parts(session, url.render_as_string(hide_password=False), procs)
                     if procs > 1 and shared else [])
            self._rebuild(documents.iter_documents(session), progress, parts, wait)
        queue.forget(covered)  # the new index has them; a bulk import is not indexed twice
        queue.sync(self)
        return total

    def _rebuild(self, docs, progress, parts, wait: float) -> None:
        old = self.store.open()
        try:
            hold = old.writer(timeout=wait, delay=0.25)
        except LockError as error:
            raise Busy() from error
        try:
            path = self.store.new_path()
            fresh = whoosh_index.create_in(str(path), self.store.schema)
            try:
                if not (len(parts) > 1 and internals.build_parts(str(path), parts, progress)):
                    internals.write_fresh(fresh, docs, whoosh_fields, progress)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            self.store.swap(path)
        finally:
            hold.cancel()

    def fingerprints(self) -> dict[int, str]:
        with POOL.searcher(self.store) as searcher:
            return {int(fields["id"]): fields.get("fingerprint", "")
                    for fields in searcher.reader().all_stored_fields()}

    def doc_count(self) -> int:
        with POOL.searcher(self.store) as searcher:
            return searcher.doc_count()

    # -- searching -------------------------------------------------------------------------
    def search(self, query: ParsedQuery, filters: Filters, visibility: Visibility, *,
               page: int = 1, per_page: int = 10, sort: str = "relevance") -> EngineResults:
        with POOL.searcher(self.store) as searcher:
            key = (getattr(searcher, "learncom_generation", None), repr(query),
                   tuple(sorted(vars(filters).items())), visibility, page, per_page, sort,
                   internals.ENABLED)
            cached = RESULTS.get(key) if key[0] is not None else None
            if cached is not None:
                return _copy(cached)
            builder = _QueryBuilder(searcher)
            restrictions = builder.filters(filters) + builder.field_groups(query)
            text_groups = builder.text_groups(query)
            excluded = builder.excluded(query)
            if not text_groups and not restrictions and not excluded:
                return EngineResults(hits=[], total=0)
            results = self._run(searcher, builder.combine(text_groups, restrictions, excluded,
                                                          visibility),
                                page, per_page, sort)
            if results.total == 0 and len(text_groups) > 1:
                either = [wq.Or(text_groups)]
                results = self._run(searcher, builder.combine(either, restrictions, excluded,
                                                              visibility),
                                    page, per_page, sort)
                results.fallback = True
            results.highlighter = WhooshHighlighter(builder.terms, builder.prefixes)
            if key[0] is not None and not results.timed_out:
                RESULTS.put(key, _copy(results))
            return results

    def _run(self, searcher, q, page: int, per_page: int, sort: str, *,
             facets: bool = True) -> EngineResults:
        """Every match of `q` with its score (set at a time, `evaluate.py`), the exact total and
        facet counts from the per-segment arrays, and the page of hits in the requested order.
        The time limit is checked between steps; when it strikes, what was evaluated so far
        (whole segments) is returned with `timed_out`."""
        evaluator = internals.evaluator(searcher, self.time_limit)
        path = self.store.live_path()
        counts = {name: Counter() for name in ("kind", "tag", "neighbourhood", "status")}
        total = 0
        keep = page * per_page
        best: list[tuple] = []
        timed_out = False
        try:
            for segment, found in evaluator.run(q):
                if not found:
                    continue
                total += len(found)
                arrays = FACETS.arrays(path, segment.reader)
                if facets:
                    _count(counts, arrays, found)
                best = heapq.nsmallest(keep, chain(best, _sort_keys(found, arrays, segment.offset,
                                                                    sort, keep)))
        except TimeLimit:
            timed_out = True
        start = (page - 1) * per_page
        hits = []
        for key in best[start:start + per_page]:
            docnum, score = key[-1], key[-2]
            hits.append(EngineHit(int(searcher.stored_fields(docnum)["id"]), float(score)))
        return EngineResults(hits=hits, total=total, facets=_facet_dicts(counts),
                             timed_out=timed_out)

    def suggest(self, query: ParsedQuery, visibility: Visibility) -> dict[str, str]:
        """Corrections for words that match nothing the viewer can see. A candidate comes from
        the index vocabulary (the unstemmed words of the `spell` field, by edit distance) and is
        only offered when a post the viewer may see contains it (its stem, in the searched fields),
        so a word that only occurs in team posts is never revealed outside the team. (The
        ranking among candidates uses whole-index word frequencies; only visible words are
        ever shown.)

        Bounded: only words of SUGGEST_MIN to SUGGEST_MAX letters are looked at (the edit
        distance automaton of a 400-letter word took seconds), the pass stops after
        SUGGEST_TIME_LIMIT, and the answer is cached per index generation and visibility."""
        words = tuple(query.words()[:8])
        with POOL.searcher(self.store) as searcher:
            key = (getattr(searcher, "learncom_generation", None), words, visibility)
            cached = SUGGESTIONS.get(key) if key[0] is not None else None
            if cached is not None:
                return dict(cached)
            corrections = self._suggest(searcher, words, visibility)
            if key[0] is not None:  # also when cut short: asking again must not cost again
                SUGGESTIONS.put(key, dict(corrections))
            return corrections

    def _suggest(self, searcher, words: tuple[str, ...], visibility: Visibility) -> dict[str, str]:
        corrections: dict[str, str] = {}
        deadline = time.monotonic() + SUGGEST_TIME_LIMIT
        builder = _QueryBuilder(searcher)
        allowed = builder.visibility(visibility)
        for word in words:
            if time.monotonic() > deadline:
                break
            folded = folded_words(word)
            if len(folded) != 1 or not SUGGEST_MIN <= len(folded[0]) <= SUGGEST_MAX \
                    or folded[0].isdigit():
                continue
            found = builder.word(Word(word))
            if found is not None and _any(searcher, wq.And([found, allowed])):
                continue
            for candidate in _candidates(searcher, folded[0]):
                terms = stems(candidate)
                if len(terms) != 1:
                    continue
                # `spell` holds title and body words only: whether a visible post holds
                # the word is asked of the searched fields.
                used = wq.Or([wq.Term(field, terms[0]) for field in TEXT_FIELDS])
                if _any(searcher, wq.And([used, allowed])):
                    corrections[word] = candidate
                    break
        return corrections

    def similar(self, text: str, visibility: Visibility, *, exclude: int | None = None,
                limit: int = 5) -> list[EngineHit]:
        if not text or not text.strip():
            return []
        with POOL.searcher(self.store) as searcher:
            q = similar_query(searcher, text, visibility, exclude)
            if q is None:
                return []
            # Exhaustive ranking (Whoosh's top-N collector skips blocks and could miss the
            # best match), from the term cache when the post page is viewed again.
            return self._run(searcher, q, 1, limit, "relevance", facets=False).hits


def similar_query(searcher, text: str, visibility: Visibility, exclude: int | None):
    """The text's most telling terms, weighted, over title, body and tags; only what the viewer
    may see; never the post itself. None when the index knows none of its terms."""
    keys = _key_terms(searcher, text[:20_000], 15)
    if not keys:
        return None
    q = wq.Or([wq.Term(field, term, boost=weight) for term, weight in keys
               for field in ("title", "body", "tagtext")])
    if not visibility.everything:
        q = wq.And([q, wq.ConstantScoreQuery(_QueryBuilder.visibility(visibility), 0.0)])
    if exclude is not None:
        q = wq.AndNot(q, wq.Term("id", str(exclude)))
    return q


def _facet_dicts(counts: dict[str, Counter]) -> dict[str, dict[str, int]]:
    return {name: {value: n for value, n in counter.most_common() if value}
            for name, counter in counts.items()}


FACET_NAMES = ("kind", "neighbourhood", "status", "tag")
# From this many matches in a segment, facets are counted with bit masks (a few big-integer
# ANDs per facet value) instead of a dict lookup per match and facet: 80 ms -> a few ms for the
# 90,000 matches of `vrijwil*` at 100,000 posts.
MASKS_FROM = 2_000


def _masks(n: int, arrays: dict) -> dict[str, dict[str, int]]:
    """{facet: {value: int with bit d set for every docnum d with that value}}."""
    masks: dict[str, dict[str, int]] = {}
    size = (n >> 3) + 1
    for name in FACET_NAMES:
        bits: dict[str, bytearray] = {}
        for docnum, values in enumerate(arrays[name]):
            if values is None or values == ():
                continue
            for value in (values if name == "tag" else (values,)):
                buffer = bits.get(value)
                if buffer is None:
                    buffer = bits[value] = bytearray(size)
                buffer[docnum >> 3] |= 1 << (docnum & 7)
        masks[name] = {value: int.from_bytes(buffer, "little") for value, buffer in bits.items()}
    return masks


def _mask(docnums, n: int) -> int:
    buffer = bytearray((n >> 3) + 1)
    for docnum in docnums:
        buffer[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(buffer, "little")


def _count(counts: dict[str, Counter], arrays: dict, found: dict[int, float]) -> None:
    if len(found) >= MASKS_FROM:
        found_mask = _mask(found, len(arrays["kind"]))
        for name, values in arrays["masks"].items():
            counter = counts[name]
            for value, mask in values.items():
                matched = (found_mask & mask).bit_count()
                if matched:
                    counter[value] += matched
        return
    for name in ("kind", "neighbourhood", "status"):
        counts[name].update(map(arrays[name].__getitem__, found))
    tags = arrays["tag"]
    counts["tag"].update(chain.from_iterable(map(tags.__getitem__, found)))


def _sort_keys(found: dict[int, float], arrays: dict, offset: int, sort: str, keep: int):
    """Keys that order hits as asked with `heapq.nsmallest`; the last two items are the score
    and the global docnum. Equal keys fall back to the document order, as Whoosh's collectors
    do. Only documents that can be among the first `keep` get a key: those whose primary value
    reaches the `keep`-th best (found with `heapq.nlargest` over plain numbers), which spares
    building a tuple for each of tens of thousands of matches."""
    items = found.items()
    if sort == "newest":
        created = arrays["created_at"]
        if len(found) > keep:
            least = heapq.nlargest(keep, map(created.__getitem__, found))[-1]
            items = [(d, s) for d, s in items if created[d] >= least]
        return ((-created[d], offset + d, s, offset + d) for d, s in items)
    if sort == "applied":
        applied = arrays["applied"]
        if len(found) > keep:
            least = heapq.nlargest(keep, map(applied.__getitem__, found))[-1]
            items = [(d, s) for d, s in items if applied[d] >= least]
        return ((-applied[d], -s, offset + d, s, offset + d) for d, s in items)
    if len(found) > keep:
        least = heapq.nlargest(keep, found.values())[-1]
        items = [(d, s) for d, s in items if s >= least]
    return ((-s, offset + d, s, offset + d) for d, s in items)


def _key_terms(searcher, text: str, count: int) -> list[tuple[str, float]]:
    """The text's most telling index terms: frequent in the text, rare in the index (tf-idf
    over title, body and tags). Terms the index does not know are skipped."""
    import math

    reader = searcher.reader()
    total = max(searcher.doc_count(), 1)
    frequency = Counter(stems(text))
    # Document frequencies per searcher: a post of 500 words asks ~900 of them (a third of a
    # first similar ranking), and the next post asks mostly the same words again.
    known = getattr(searcher, "learncom_frequencies", None)
    if known is None:
        known = searcher.learncom_frequencies = SharedCache(FREQUENCIES)
    weights = []
    for term, tf in frequency.most_common(300):
        df = known.get(term)
        if df is None:
            df = max(reader.doc_frequency(field, term) for field in ("title", "body", "tagtext"))
            known.put(term, df)
        if df == 0:
            continue
        weights.append((term, (1 + math.log(tf)) * math.log(1 + total / df)))
    weights.sort(key=lambda item: -item[1])
    top = weights[:count]
    best = top[0][1] if top else 1.0
    return [(term, weight / best) for term, weight in top]


def _any(searcher, q) -> bool:
    """Does anything match? Stops at the first document instead of scoring them all."""
    matcher = q.matcher(searcher, searcher.boolean_context())
    return matcher.is_active()


def _candidates(searcher, word: str) -> list[str]:
    found: list[str] = []
    for candidate in searcher.corrector("spell").suggest(word, limit=10, maxdist=2, prefix=1):
        if candidate not in found:
            found.append(candidate)
    return sorted(found, key=lambda c: (_distance(word, c), found.index(c)))


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class _QueryBuilder:
    """Turns the parsed search box and the UI filters into a Whoosh query for one searcher."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.terms: set[str] = set()
        self.prefixes: set[str] = set()

    # -- visibility, always inside the query ----------------------------------------------
    @staticmethod
    def visibility(visibility: Visibility):
        if visibility.everything:
            return wq.Every()
        public = wq.Term("visibility", "public")
        if not visibility.members:
            return public
        mine = [wq.Term("team_id", str(t)) for t in sorted(visibility.team_ids)]
        if visibility.user_id is not None:
            mine.append(wq.Term("author_id", str(visibility.user_id)))
        allowed = [public, wq.Term("visibility", "members")]
        if mine:
            allowed.append(wq.And([wq.Term("visibility", "team"), wq.Or(mine)]))
        return wq.Or(allowed)

    def combine(self, text_groups: list, restrictions: list, excluded: list,
                visibility: Visibility):
        parts = list(text_groups) + [wq.ConstantScoreQuery(r, 0.0) for r in restrictions]
        parts.append(wq.ConstantScoreQuery(self.visibility(visibility), 0.0))
        if not text_groups:
            parts.insert(0, wq.Every())
        q = wq.And(parts)
        if excluded:
            q = wq.AndNot(q, wq.Or(excluded))
        return q

    # -- clauses ---------------------------------------------------------------------------
    def text_groups(self, query: ParsedQuery) -> list:
        groups = []
        for group in query.groups:
            if not any(isinstance(c, Word | Phrase) for c in group):
                continue
            alternatives = [q for q in (self.clause(c) for c in group) if q is not None]
            if alternatives:
                groups.append(alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives))
        return groups

    def field_groups(self, query: ParsedQuery) -> list:
        groups = []
        for group in query.groups:
            if any(isinstance(c, Word | Phrase) for c in group):
                continue
            alternatives = [q for q in (self.clause(c) for c in group) if q is not None]
            if alternatives:
                groups.append(alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives))
        return groups

    def excluded(self, query: ParsedQuery) -> list:
        found = []
        for clause in query.excluded:
            q = self.clause(clause, expand=False, record=False)
            if q is not None:
                found.append(q)
        return found

    def clause(self, clause, *, expand: bool = True, record: bool = True):
        if isinstance(clause, Word):
            return self.word(clause, expand=expand, record=record)
        if isinstance(clause, Phrase):
            return self.phrase(clause, record=record)
        return self.field(clause)

    def word(self, word: Word, *, expand: bool = True, record: bool = True):
        if word.prefix:
            return self.prefix_word(word, record=record)
        terms = stems(word.text)
        folded = folded_words(word.text)
        if not terms:
            return None  # only stop words
        parts = []
        for term in terms:
            alternatives = [wq.Term(field, term) for field in TEXT_FIELDS]
            if record:
                self.terms.add(term)
            if expand and len(term) >= MIN_COMPOUND_LENGTH:
                compounds = [t for t in self._expand(("title", "body", "comments"), term,
                                                     limit=COMPOUND_EXPANSIONS)
                             if t != term]
                alternatives += [wq.Term(field, t, boost=COMPOUND_BOOST)
                                 for t in compounds for field in TEXT_FIELDS
                                 if self.reader.doc_frequency(field, t)]
                if compounds and record:
                    self.prefixes.add(term)
            parts.append(wq.Or(alternatives))
        names = [wq.Or([wq.Term(field, w) for field in NAME_FIELDS]) for w in folded]
        text_q = (parts[0] if len(parts) == 1 else wq.And(parts)) if parts else None
        name_q = (names[0] if len(names) == 1 else wq.And(names)) if names else None
        if text_q is None:
            return name_q
        return wq.Or([text_q, name_q]) if name_q is not None else text_q

    def prefix_word(self, word: Word, *, record: bool = True):
        folded = folded_words(word.text)
        if not folded or len(folded[-1]) < MIN_PREFIX_LENGTH:
            return self.word(Word(word.text), record=record)
        prefix = folded[-1]
        stem = stems(folded[-1])
        starts = {prefix} | ({stem[0]} if stem else set())
        alternatives = []
        for start in starts:
            alternatives += [wq.Term(field, t) for t in
                             self._expand(("title", "body", "comments", "tagtext"), start)
                             for field in TEXT_FIELDS if self.reader.doc_frequency(field, t)]
            alternatives += [wq.Term(field, t) for field in NAME_FIELDS
                             for t in self._expand((field,), start)]
            if record:
                self.prefixes.add(start)
        head = folded[:-1]
        q = wq.Or(alternatives) if alternatives else wq.NullQuery
        if head:
            before = self.word(Word(" ".join(head)), record=record)
            return wq.And([before, q]) if before is not None else q
        return q

    def phrase(self, phrase: Phrase, *, record: bool = True):
        terms = stems(phrase.text)
        if not terms:
            return None
        if record:
            self.terms.update(terms)
        if len(terms) == 1:
            return wq.Or([wq.Term(field, terms[0]) for field in TEXT_FIELDS])
        # Every consecutive pair must occur (in title, body or comments): exact for two words;
        # for longer phrases the pairs could in theory occur apart, which is rare enough.
        found = [wq.Term("pairs", pair) for pair in pairs(terms)]
        return found[0] if len(found) == 1 else wq.And(found)

    def field(self, clause: FieldFilter):
        name, value = clause.field, clause.value
        if name == "tag":
            tag = normalise_tag(value)
            if not tag:
                return None
            if clause.prefix:
                return _or_terms("tags", self._expand(("tags",), tag))
            return wq.Term("tags", tag)
        if name == "neighbourhood":
            slug = slugify(value)
            if clause.prefix:
                return _or_terms("neighbourhood", self._expand(("neighbourhood",), slug))
            return wq.Term("neighbourhood", slug)
        if name == "author":
            words = folded_words(value)
            if not words:
                return None
            parts = [wq.Term("people", w) for w in words[:-1]]
            last = words[-1]
            parts.append(_or_terms("people", self._expand(("people",), last))
                         if clause.prefix else wq.Term("people", last))
            return parts[0] if len(parts) == 1 else wq.And(parts)
        if name in ("after", "before"):
            day = parse_date(value)
            if day is None:
                return None
            return _date_range(day if name == "after" else None,
                               day if name == "before" else None)
        normalised = normalise_value(name, value)
        if normalised is None:
            return wq.NullQuery
        return wq.Term(name, normalised)

    def filters(self, filters: Filters) -> list:
        found = []
        for name in ("kind", "status", "author_kind"):
            value = getattr(filters, name)
            if value:
                normalised = normalise_value(name, value)
                found.append(wq.Term(name, normalised) if normalised else wq.NullQuery)
        if filters.tag:
            found.append(self.field(FieldFilter("tag", filters.tag)) or wq.NullQuery)
        if filters.neighbourhood:
            found.append(wq.Term("neighbourhood", slugify(filters.neighbourhood)))
        if filters.after or filters.before:
            found.append(_date_range(filters.after, filters.before))
        return found

    def _expand(self, fields: tuple[str, ...], prefix: str, *,
                limit: int = MAX_EXPANSIONS) -> list[str]:
        """At most `limit` terms starting with `prefix`, the most frequent first."""
        frequency: Counter = Counter()
        for field in fields:
            if field not in self.searcher.schema:
                continue
            for n, btext in enumerate(self.reader.expand_prefix(field, prefix)):
                if n >= MAX_EXPANSIONS * 8:
                    break
                frequency[btext.decode("utf-8")] += self.reader.doc_frequency(field, btext)
        return [term for term, _n in frequency.most_common(limit)]


def _or_terms(field: str, terms: list[str]):
    if not terms:
        return wq.NullQuery
    return wq.Or([wq.Term(field, t) for t in terms])


def _date_range(after, before):
    start = datetime.combine(after, dtime.min) if after else None
    end = datetime.combine(before, dtime.max) if before else None
    return wq.DateRange("created_at", start, end)
