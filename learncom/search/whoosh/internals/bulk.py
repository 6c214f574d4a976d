"""Building a fresh index fast: a bulk segment writer and a multi-process rebuild.

Whoosh's `SegmentWriter` spends about 35 µs of Python on every posting: a token object per
word, a tuple per posting in a pool that is sorted at commit, then a length lookup in the
column file and a method call per posting while writing. A post of the bench corpus has about
540 postings (`pairs` and the spelling field alone are 390), so a single process wrote about
100 posts/s.

`BulkSegmentWriter` writes the same segment (a test compares every term, posting, weight,
value, length, stored field and column with Whoosh's own writer): it keeps each term's postings
in two arrays (document numbers arrive in order, so nothing is sorted), counts the ready-made
term lists with `Counter`, remembers the field lengths in memory, and hands Whoosh's postings
writer a whole block at a time.

`build` runs several of them in processes of their own, each reading its own range of posts
from the database and writing its own segment of the new index; the parent only writes the
table of contents that lists the segments.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import shutil
import struct
import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh.formats import Existence, Frequency
from whoosh.index import TOC
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

BLOCK = 128  # postings per block, as Whoosh's W3Codec writes them


def _quantised(length: int) -> int:
    """The length Whoosh's reader gives back for a document: it stores one byte per length."""
    return byte_to_length(length_to_byte(length)) if length else 0


class BulkSegmentWriter(SegmentWriter):
    """A writer for one new segment of documents that are only added (a rebuild).

    It takes no lock (the caller owns the new index) and is meant for adding. Fields whose
    value is a list of terms and whose format is `Frequency` or `Existence` take the fast path;
    any other field goes through the field's own `index()` (ids, dates, names: a few postings
    per document), into the same in-memory tables.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, _lk=False, **kwargs)
        # field -> term -> [doc numbers, frequencies] (fast path: str terms)
        self._terms: dict[str, dict[str, list[array]]] = {}
        # field -> term bytes -> [doc numbers, weights, values] (Whoosh's own `index()`)
        self._other: dict[str, dict[bytes, list]] = {}
        self._lengths: dict[str, array] = {}  # field -> quantised length per document

    def add_document(self, **fields):
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None or name.startswith("_"):
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    if isinstance(value, list) and type(field.format) in (Frequency, Existence):
                        length = self._add_terms(name, field, value, docnum)
                    else:
                        length = self._add_other(name, field, value, docnum)
                    if field.scorable:
                        self._length(name, docnum, length)
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type,
                                            field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_terms(self, name: str, field, terms: list[str], docnum: int) -> int:
        table = self._terms.setdefault(name, {})
        counts = Counter(terms)
        for term, freq in counts.items():
            entry = table.get(term)
            if entry is None:
                entry = table[term] = [array("I"), array("I")]
            entry[0].append(docnum)
            entry[1].append(freq)
        # `length` is what Whoosh records for a scorable field: the number of terms.
        return len(terms) if field.scorable else 0

    def _add_other(self, name: str, field, value, docnum: int) -> int:
        table = self._other.setdefault(name, {})
        length = 0
        for tbytes, freq, weight, vbytes in field.index(value):
            length += freq
            entry = table.get(tbytes)
            if entry is None:
                entry = table[tbytes] = [array("I"), array("f"), []]
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(vbytes)
        return length if field.scorable else 0

    def _length(self, name: str, docnum: int, length: int) -> None:
        lengths = self._lengths.get(name)
        if lengths is None:
            lengths = self._lengths[name] = array("I")
        missing = docnum + 1 - len(lengths)
        if missing > 0:
            lengths.extend([0] * missing)
        lengths[docnum] = _quantised(length)

    # -- writing the segment (what `SegmentWriter._flush_segment` does with the pool) ---------
    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(set(self._terms) | set(self._other)):
            field = self.schema[name]
            lengths = self._lengths.get(name)
            if name in self._terms:
                rows = ((term.encode("utf-8"), ids, freqs)
                        for term, (ids, freqs) in self._terms[name].items())
                self._write_field(writer, name, field, lengths, rows)
            else:
                self._write_other(writer, name, field, lengths)
        writer.close()
        self._terms.clear()
        self._other.clear()

    def _write_field(self, writer, name, field, lengths, rows: Iterable) -> None:
        boost = field.format.field_boost
        frequency = type(field.format) is Frequency
        writer.start_field(name, field)
        postings = writer._postwriter
        for tbytes, ids, freqs in sorted(rows, key=lambda row: row[0]):
            writer.start_term(tbytes)
            for start in range(0, len(ids), BLOCK):
                block_ids = ids[start:start + BLOCK]
                block_freqs = freqs[start:start + BLOCK]
                if frequency:
                    weights = array("f", [f * boost for f in block_freqs])
                    values = [struct.pack(f"!{len(block_freqs)}I", *block_freqs)]
                else:  # Existence: weight is the field boost, no value
                    weights = array("f", [boost] * len(block_ids))
                    values = []
                self._fill(postings, block_ids, weights, values, lengths)
                if start + BLOCK < len(ids):
                    postings._write_block()
            writer.finish_term()  # writes the last block
        writer.finish_field()

    def _write_other(self, writer, name, field, lengths) -> None:
        writer.start_field(name, field)
        postings = writer._postwriter
        table = self._other[name]
        for tbytes in sorted(table):
            ids, weights, values = table[tbytes]
            writer.start_term(tbytes)
            for start in range(0, len(ids), BLOCK):
                block_values = [v for v in values[start:start + BLOCK] if v]
                self._fill(postings, ids[start:start + BLOCK], weights[start:start + BLOCK],
                           block_values, lengths)
                if start + BLOCK < len(ids):
                    postings._write_block()
            writer.finish_term()
        writer.finish_field()

    @staticmethod
    def _fill(postings, ids: array, weights: array, values: list, lengths) -> None:
        """Put one block into Whoosh's postings writer, as `add_posting` would have."""
        postings._ids = ids
        postings._weights = weights
        postings._values = values
        postings._maxweight = max(max(weights), 0)
        if lengths is None:
            postings._minlength, postings._maxlength = None, 0
        else:
            size = len(lengths)
            block = [lengths[i] if i < size else 0 for i in ids]
            nonzero = [n for n in block if n]
            postings._minlength = min(nonzero) if nonzero else None
            postings._maxlength = max(block)


# -- several processes -----------------------------------------------------------------------

def _work(path: str, part, counter, results) -> None:
    """In an indexing process: index one part of the posts into a segment of the index at
    `path` and hand the segment to the parent."""
    try:
        import learncom.models  # noqa: F401  (every mapper, for the relationships)
        from learncom.search.whoosh.backend import whoosh_fields

        writer = BulkSegmentWriter(whoosh_index.open_dir(path))
        pending = 0
        with part.read() as docs:
            for doc in docs:
                writer.add_document(**whoosh_fields(doc))
                pending += 1
                if pending == 100:
                    with counter.get_lock():
                        counter.value += pending
                    pending = 0
        with counter.get_lock():
            counter.value += pending
        # Not `writer._finish()`: it removes the temporary directory the processes share (the
        # parent removes it when all are done).
        segment = writer._finalize_segment() if writer.docnum else None
        results.put((part, segment, None))
    except BaseException:  # the parent reports it; the process ends either way
        results.put((part, None, traceback.format_exc()))


class BuildError(RuntimeError):
    pass


def build(path: str, parts: list, progress: Callable[[int], None] | None = None, *,
          poll: float = 0.2) -> int:
    """Index each part (a `documents.Part`) in a process of its own into the empty index at
    `path`, then write a table of contents that lists their segments in order. Returns the
    number of documents."""
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    results = context.Queue()
    workers = [context.Process(target=_work, args=(path, part, counter, results), daemon=True)
               for part in parts]
    for worker in workers:
        worker.start()
    segments: dict = {}
    reported = 0
    try:
        while len(segments) < len(parts):
            try:
                part, segment, error = results.get(timeout=poll)
            except queue_module.Empty:
                if not any(worker.is_alive() for worker in workers) and results.empty():
                    raise BuildError("an indexing process ended without a result") from None
            else:
                if error:
                    raise BuildError(f"indexing posts {part.after + 1}–{part.upto} failed:\n"
                                     f"{error}")
                segments[part] = segment
            if progress is not None and counter.value > reported:
                done = counter.value
                progress(done - reported)
                reported = done
    finally:
        for worker in workers:
            if worker.is_alive() and len(segments) < len(parts):
                worker.terminate()
            worker.join()
        shutil.rmtree(os.path.join(path, "MAIN.tmp"), ignore_errors=True)
    if progress is not None and counter.value > reported:
        progress(counter.value - reported)
    ix = whoosh_index.open_dir(path)
    listed = [segments[part] for part in parts if segments[part] is not None]
    toc = ix._read_toc()
    TOC(ix.schema, listed, toc.generation + 1).write(ix.storage, ix.indexname)
    return sum(segment.doc_count_all() for segment in listed)
