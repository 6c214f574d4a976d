"""The Whoosh internals layer: the only code that touches Whoosh's private names.

Five speed-ups lean on private names of whoosh-reloaded 2.7.5's codec, writer and index:

- `evaluate.py`: set-at-a-time query evaluation (block postings read straight from the files,
  BM25F scored a whole posting list at a time, cached) instead of stepping Whoosh's matchers;
- `bulk.py`: a segment writer without Whoosh's posting pool, and rebuilds in several processes;
- `segments.py`: small segments merged from the database outside the writer lock, instead of
  Whoosh's merge inside every commit;
- `columns.py`: a patch that remembers "this segment has no such column" (150,000 `stat` calls
  per 1,000 posts at commit);
- `files.py`: a segment's files read in place from Whoosh's memory map, not copied (opening a
  searcher at 100,000 posts 200 → 2 ms, and 280 MB less per process).

They are written against exactly one release. On import this module checks that it is the one
installed and that the private names are there (`PRIVATE`); the rest of the engine reaches the
layer only through the functions below. When the check fails (an upgrade), the layer is off, a
warning is logged, and the engine runs on stock Whoosh: its own matchers (`stock.py`), its own
writer (one process), its own merges on commit. Slower, never wrong, never a crash.
`set_enabled` is that switch; the tests use it to run the engine both ways, and
tests/test_search_perf.py and tests/test_search_bulk.py compare the fast paths with stock Whoosh.
"""

from __future__ import annotations

import importlib
import logging
import time

import whoosh

from learncom.search.whoosh.internals.stock import StockEvaluator

log = logging.getLogger(__name__)

SUPPORTED = (2, 7, 5)

# Every private name the layer uses: (module, object, attributes). Attributes only set on
# instances (`_ids`, `_weights` of a leaf matcher block, `_postwriter`, `_dbfile`, ...) cannot
# be checked without an index; they belong to the same classes and the same release.
PRIVATE = (
    ("whoosh.codec.whoosh3", "W3LeafMatcher", ("_read_ids", "_read_weights", "_next_block")),
    ("whoosh.codec.whoosh3", "W3PerDocReader", ("_cached_reader",)),
    ("whoosh.codec.whoosh3", "W3PostingsWriter", ("_write_block",)),
    ("whoosh.codec.whoosh3", "_lenfield", ()),
    ("whoosh.codec.whoosh3", "LENGTHS_COLUMN", ()),
    ("whoosh.writing", "SegmentWriter", ("_check_state", "_flush_segment", "_finalize_segment",
                                         "_finish")),
    ("whoosh.index", "FileIndex", ("_read_toc", "_segments")),
    ("whoosh.index", "TOC", ("write",)),
    ("whoosh.index", "clean_files", ()),
    ("whoosh.reading", "SegmentReader", ("deleted_docs_set",)),
    ("whoosh.filedb.compound", "BufferFile", ()),
    ("whoosh.filedb.structfile", "BufferFile", ("get", "subset", "get_array")),
)

ENABLED = False
REASON = "not checked yet"


def problem(version: tuple | None = None) -> str | None:
    """Why the layer cannot run on this Whoosh (None when it can)."""
    found = tuple(version if version is not None else whoosh.__version__)[:3]
    if found != SUPPORTED:
        return (f"whoosh {'.'.join(map(str, found))} is installed; the internals layer is "
                f"written for {'.'.join(map(str, SUPPORTED))}")
    for module_name, name, attributes in PRIVATE:
        try:
            thing = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            return f"{module_name}.{name} is missing"
        for attribute in attributes:
            if not hasattr(thing, attribute):
                return f"{module_name}.{name}.{attribute} is missing"
    return None


def set_enabled(enabled: bool, reason: str = "") -> None:
    """Switch the layer on or off for this process. Off, the engine uses stock Whoosh."""
    global ENABLED, REASON
    if enabled:
        found = problem()
        if found is not None:
            enabled, reason = False, found
    from learncom.search.whoosh.internals import columns, files

    if enabled:
        columns.install()
        files.install()
    else:
        columns.uninstall()
        files.uninstall()
        log.warning("search: Whoosh internals layer off (%s); using stock Whoosh evaluation, "
                    "writing and merging", reason or "switched off")
    ENABLED, REASON = enabled, reason


def _check_at_import() -> None:
    found = problem()
    set_enabled(found is None, found or "")


# -- what the engine uses ----------------------------------------------------------------------

def new_term_cache():
    """The per-searcher cache of the fast evaluator (None when the layer is off)."""
    if not ENABLED:
        return None
    from learncom.search.whoosh.internals.evaluate import term_cache

    return term_cache()


def evaluator(searcher, time_limit: float | None):
    """An object whose `run(q)` yields (segment, {docnum: score}) for every segment, deleted
    documents removed; `segment.reader` and `segment.offset` as in Whoosh's leaf searchers."""
    if not ENABLED:
        return StockEvaluator(searcher, time_limit=time_limit)
    from learncom.search.whoosh.internals.evaluate import LENGTHS, Evaluator, term_cache

    cache = getattr(searcher, "learncom_terms", None)
    return Evaluator(searcher, cache if cache is not None else term_cache(), LENGTHS,
                     time_limit=time_limit)


def write_fresh(ix, documents, fields, progress=None) -> None:
    """Write every document into the empty index `ix` (one segment): the bulk writer, or
    Whoosh's own writer when the layer is off."""
    if ENABLED:
        from learncom.search.whoosh.internals.bulk import BulkSegmentWriter

        writer = BulkSegmentWriter(ix)
    else:
        writer = ix.writer()
    try:
        for doc in documents:
            writer.add_document(**fields(doc))
            if progress is not None:
                progress(1)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def build_parts(path: str, parts: list, progress=None) -> bool:
    """Index `parts` (`documents.Part`) in processes of their own into the empty index at
    `path`. False when the layer is off: then the caller writes in one process."""
    if not ENABLED:
        return False
    from learncom.search.whoosh.internals.bulk import build

    build(path, parts, progress)
    return True


def merge_small(store, load, fields) -> int:
    """Merge small segments outside the writer lock (see `segments.py`); 0 when the layer is off
    (stock Whoosh then merges inside the drain's commit, `merge_on_commit`)."""
    if not ENABLED:
        return 0
    from learncom.search.whoosh.internals.segments import merge_small as merge

    return merge(store, load, fields)


def rewrite_deleted(store, load, fields) -> int:
    """Rewrite every segment that still holds deleted documents (account erasure: nothing of
    them may stay on disk). With the layer off, stock Whoosh's optimize merges the whole index
    into one segment, which drops them too."""
    if ENABLED:
        from learncom.search.whoosh.internals.segments import rewrite_deleted as rewrite

        return rewrite(store, load, fields)
    ix = store.open()
    writer = ix.writer(timeout=30.0, delay=0.25)
    writer.commit(optimize=True)
    return 1


def merge_on_commit() -> bool:
    """Whether a drain's commit should let Whoosh merge segments itself."""
    return not ENABLED


def retry_vanished(action, attempts: int = 20):
    """Run `action()`, again when it fails because a writer committing meanwhile removed the
    table of contents it was about to read (`FileNotFoundError` on `_MAIN_<n>.toc`): every
    read of the index outside the writer lock goes through this."""
    for attempt in range(attempts):
        try:
            return action()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


_check_at_import()
