"""Keeping the number of index segments small without making anyone wait on a merge.

Every drain commits its changes as a new small segment, without merging (`writing()`): the
change is searchable at once. Whoosh's own merge (`MERGE_SMALL`) re-reads every posting of the
merged segments term by term: merging 34 posts took 1.1 s, and it runs inside a commit, holding
the writer lock, so every change behind it waited (the p95 of commit -> searchable was 1.5 s).

`merge_small` merges differently:

1. choose the segments to merge (`plan`: the smallest size tier holding `TIER` segments);
2. without any lock, read the live post ids of those segments, load the posts from the
   database (the source of truth) and write them as one new segment with the bulk writer,
   in a directory of its own (a commit by a drain meanwhile would delete unknown files in the
   index directory);
3. under the writer lock, for a few milliseconds: give up if the index was swapped or a chosen
   segment is gone; delete from the new segment every post that was deleted from the chosen
   segments meanwhile (a drain indexed a newer version elsewhere); move its file in and write
   the table of contents without the chosen segments.

Any post that changed after step 2 read it is still in the queue: its drain replaces it in the
new segment as in any other. Segments of `MAX_DOCS` posts or more (a rebuild makes them) are
left to the next `flask search rebuild`.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader

TIER = 4  # segments of one size tier that are merged into one
MAX_DOCS = 1024  # larger segments are never merged here (tiers: <4, <16, <64, <256, <1024)
LOCK_WAIT = 5.0  # seconds


def tier(count: int) -> int:
    size, level = TIER, 0
    while count >= size:
        size *= TIER
        level += 1
    return level


def plan(counts: list[int]) -> list[int]:
    """The positions of the segments to merge (by live document count), or none: the smallest
    tier that holds `TIER` or more segments below `MAX_DOCS`."""
    tiers: dict[int, list[int]] = defaultdict(list)
    for position, count in enumerate(counts):
        if count < MAX_DOCS:
            tiers[tier(count)].append(position)
    for level in sorted(tiers):
        if len(tiers[level]) >= TIER:
            return tiers[level]
    return []


@contextlib.contextmanager
def _merging(root: Path, wait: float = 0.0):
    """One merge at a time per index root, across processes (waits up to `wait` seconds)."""
    root.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with open(root / ".merge.lock", "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def merge_small(store, load: Callable[[list[int]], dict], fields: Callable[[object], dict]) -> int:
    """Merge the small segments of the live index if `plan` says so. `load(post_ids)` gives the
    current documents, `fields(doc)` their index fields. Returns how many segments were merged
    (0 when there was nothing to do, or another process was merging or writing)."""
    return _rewrite(store, load, fields,
                    lambda segments: [segments[i] for i in plan([s.doc_count() for s in segments])])


def rewrite_deleted(store, load: Callable[[list[int]], dict],
                    fields: Callable[[object], dict], *, wait: float = LOCK_WAIT * 6) -> int:
    """Rewrite every segment that holds deleted documents, whatever its size, from the database.
    A deleted (or replaced) document keeps its stored fields and terms in the segment files,
    only marked as deleted, until its segment is merged: after an account is erased
    (learncom/privacy) nothing of it may stay readable on disk. Returns how many segments were
    rewritten (0 also when the index stayed busy for `wait` seconds: the caller checks)."""
    return _rewrite(store, load, fields,
                    lambda segments: [s for s in segments if s.has_deletions()], wait=wait)


def _rewrite(store, load, fields, choose, *, wait: float = 0.0) -> int:
    from learncom.search.whoosh.internals import retry_vanished
    from learncom.search.whoosh.internals.bulk import BulkSegmentWriter

    with _merging(store.root, wait) as mine:
        if not mine:
            return 0
        for stale in store.root.glob(".merge-*"):  # left by a process that died merging
            shutil.rmtree(stale, ignore_errors=True)
        path = store.live_path()
        ix = store.open(path)
        # Outside the writer lock a drain may commit at any moment and remove the table of
        # contents just listed (FileNotFoundError on `_MAIN_<n>.toc`): read it once, again if
        # it vanished, and take the schema from it too (`ix.schema` reads the file again).
        toc = retry_vanished(ix._read_toc)
        segments, schema = toc.segments, toc.schema
        chosen = choose(segments)
        if not chosen:
            return 0
        live: dict[str, dict[int, int]] = {}  # segment id -> docnum -> post id
        for segment in chosen:
            reader = SegmentReader(ix.storage, schema, segment)
            try:
                live[segment.segment_id()] = {n: int(stored["id"])
                                              for n, stored in reader.iter_docs()}
            finally:
                reader.close()
        post_ids = sorted({pid for docs in live.values() for pid in docs.values()})
        documents = load(post_ids)

        work = store.root / f".merge-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        try:
            writer = BulkSegmentWriter(whoosh_index.create_in(str(work), schema))
            docnums: dict[int, int] = {}
            for pid in post_ids:
                if pid in documents:
                    docnums[pid] = writer.docnum
                    writer.add_document(**fields(documents[pid]))
            if docnums:
                merged = writer._finalize_segment()
                writer._finish()
            else:  # every document of the chosen segments is gone: they are only dropped
                merged = None
                writer.cancel()
            return _swap_in(store, path, ix, chosen, live, docnums, merged, work, wait)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _swap_in(store, path, ix, chosen, live, docnums, merged, work: Path,
             wait: float = 0.0) -> int:
    lock = ix.lock("WRITELOCK")
    # A drain holds the writer for tens of milliseconds: wait for it (it then waits on us
    # for a few milliseconds), but not behind a rebuild.
    deadline = time.monotonic() + max(LOCK_WAIT, wait)
    while not lock.acquire(False):
        if time.monotonic() > deadline:
            return 0
        time.sleep(0.01)
    try:
        if store.live_path() != path:
            return 0  # a rebuild swapped the index
        toc = ix._read_toc()
        current = {segment.segment_id(): segment for segment in toc.segments}
        if any(segment.segment_id() not in current for segment in chosen):
            return 0
        if merged is not None:
            for segment in chosen:
                now = current[segment.segment_id()]
                for docnum, pid in live[segment.segment_id()].items():
                    if now.is_deleted(docnum) and pid in docnums:
                        merged.delete_document(docnums[pid])
            for name in merged.list_files(FileStorage(str(work))):
                (work / name).rename(path / name)
        gone = {segment.segment_id() for segment in chosen}
        kept = [s for s in toc.segments if s.segment_id() not in gone]
        if merged is not None:
            kept.append(merged)
        generation = toc.generation + 1
        TOC(toc.schema, kept, generation).write(ix.storage, ix.indexname)
        clean_files(ix.storage, ix.indexname, generation, kept)
        return len(chosen)
    finally:
        lock.release()
