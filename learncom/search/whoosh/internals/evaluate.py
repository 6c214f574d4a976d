"""Set-at-a-time evaluation of the search query over Whoosh's index files.

Profiling the search path at 10,000 posts showed almost all the time in Whoosh's matcher tree:
a union or intersection matcher steps through every matching document one posting at a time
(several Python calls per posting per term), and the BM25F scorer asks the length column for
every posting. A results page needs every match anyway (exact total, facet counts), so instead
of stepping a matcher tree this module evaluates the same Whoosh query a whole posting list at a
time, per segment:

- a `Term` is read block by block straight from the postings file (ids and weights arrays), its
  BM25F score computed for every posting in one loop with the segment's field lengths cached as
  an array; the resulting {docnum: score} dict is cached on the searcher (idf and average field
  length are properties of that searcher's generation), so a word asked again costs nothing;
- `Or` adds the dicts, `And` walks the smallest one and looks the others up, a constant-score
  part (visibility, filters) is a set, `AndNot` subtracts a set, `AndMaybe` adds where present;
- anything else (phrases, date ranges) is evaluated by Whoosh's own matcher, restricted to the
  segment, and joins in as a dict.

The scores are exactly Whoosh's (`scoring.BM25F` with its defaults, boosts multiplied in, sums
for `Or`/`And`), which `tests/test_search_perf.py` checks against Whoosh's own exhaustive
evaluation of the same query. Deleted documents are removed from each segment's result at the
end (deletion is a per-document predicate, so this equals removing them everywhere).

This relies on whoosh-reloaded 2.7.5's block postings format (`W3LeafMatcher`); postings of
another kind are read through the generic matcher interface.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.collectors import TimeLimit
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from learncom.search.caches import SharedCache

_B = BM25F().B
_K1 = BM25F().K1

# A term is scored only for an And's candidates when they are this many times fewer than its
# postings (below that, scoring everything once and caching it is worth more).
RESTRICT_BELOW = 4

# Cached postings per searcher (a few hundred terms hold most of what people search for).
CACHE_POSTINGS = 400_000


class _Deadline:
    def __init__(self, seconds: float | None):
        self.at = time.monotonic() + seconds if seconds is not None else None

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise TimeLimit()


def term_cache(limit: int = CACHE_POSTINGS, size: Callable[[object], int] = len) -> SharedCache:
    """{(segment, field, text): {docnum: score}} and {(segment, field, text): docnums}, bounded
    by the number of postings held (least recently used dropped first)."""
    return SharedCache(limit, getsizeof=lambda value: size(value) + 1)


# Decoded postings (docnums and weights, 12 bytes each) shared by every searcher of the process:
# a segment never changes, so a term read by one query (or before the last change to the index)
# is not read and decoded again. Reading blocks was half of a first-time query at 100,000 posts.
POSTINGS = term_cache(limit=2_000_000, size=lambda value: len(value[0]))


#: {(segment id, field): [length per docnum]}, shared by every searcher of the process: a
#: segment never changes, so a new searcher after a change (a new small segment) reuses the
#: lengths of the large segments instead of reading them again (tens of milliseconds each at
#: 10,000 posts). Bounded: merged-away segments drop out.
LENGTHS = SharedCache(256)

_LENGTH_OF_BYTE = [byte_to_length(b) if b else 1 for b in range(256)]


def _read_lengths(reader, field: str) -> list[int]:
    """Every document's length in `field`: the column's bytes read at once and decoded with a
    table (a `doc_field_length` call per document took 15 ms per field per 5,000 documents).
    Documents without the field get 1; they never match a term of it."""
    count = reader.doc_count_all()
    column = None
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)  # noqa: SLF001
        if column is None:
            return [1] * count
    if isinstance(column, NumericColumn.Reader) and column._fixedlen == 1:  # noqa: SLF001
        stored = column._count  # noqa: SLF001
        raw = column._dbfile.get(column._basepos, stored) if stored else b""  # noqa: SLF001
        lengths = [_LENGTH_OF_BYTE[b] for b in raw]
        lengths.extend([1] * (count - len(lengths)))
        return lengths
    length = reader.doc_field_length
    return [length(d, field, 1) or 1 for d in range(count)]


class Segment:
    """One segment of a searcher, with its cached field lengths."""

    def __init__(self, top, subsearcher, offset: int, number: int, cache: SharedCache,
                 lengths: dict):
        self.top = top
        self.searcher = subsearcher
        self.reader = subsearcher.reader()
        self.offset = offset
        self.number = number
        self.cache = cache
        self._lengths = lengths  # {(segment id, field): list}, see `SegmentLengths`
        segment = self.reader.segment()
        self.id = segment.segment_id() if segment is not None else None

    def lengths(self, field: str) -> list[int]:
        if self.id is None:
            return _read_lengths(self.reader, field)
        key = (self.id, field)
        found = self._lengths.get(key)
        if found is None:
            found = _read_lengths(self.reader, field)
            self._lengths[key] = found
        return found

    def postings(self, field: str, text: str):
        """The term's docnums and weights in this segment (deleted documents included), from
        the process-wide `POSTINGS` cache when another query read them before."""
        if self.id is None:
            return self._read_postings(field, text)
        key = (self.id, field, text)
        found = POSTINGS.get(key)
        if found is None:
            ids, weights = self._read_postings(field, text)
            found = (array("I", ids), array("d", weights))
            POSTINGS.put(key, found)
        return found

    def _read_postings(self, field: str, text: str) -> tuple[list[int], list[float]]:
        try:
            m = self.reader.postings(field, text)
        except TermNotFound:
            return [], []
        if isinstance(m, FilterMatcher):  # deletions: removed at the end, see module doc
            m = m.child
        ids: list[int] = []
        weights: list[float] = []
        if isinstance(m, W3LeafMatcher):
            while m.is_active():
                m._read_ids()  # noqa: SLF001 - a whole block at a time, see module doc
                m._read_weights()  # noqa: SLF001
                ids.extend(m._ids)  # noqa: SLF001
                weights.extend(m._weights)  # noqa: SLF001
                m._next_block()  # noqa: SLF001
        else:
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                m.next()
        return ids, weights

    def term_scores(self, field: str, text: str, within=None) -> dict[int, float]:
        """{docnum: BM25F score}. With `within` (the candidates of an And), only those
        documents may be scored when that is much less work; the result is then not cached."""
        key = ("s", self.number, field, text)
        found = self.cache.get(key)
        if found is not None:
            return found
        ids, weights = self.postings(field, text)
        partial = within is not None and len(within) * RESTRICT_BELOW < len(ids)
        if not ids:
            found = {}
        elif not self.top.schema[field].scorable:
            found = dict(zip(ids, weights, strict=True))
            if partial:
                found = {d: w for d, w in found.items() if d in within}
        else:
            idf = self.top.idf(field, text)
            avgfl = self.top.avg_field_length(field) or 1
            lengths = self.lengths(field)
            k1 = _K1
            k1_plus_1 = k1 + 1
            norm = k1 * (1 - _B)
            per_length = k1 * _B / avgfl
            if partial:
                return {d: idf * ((w * k1_plus_1) / (w + norm + per_length * lengths[d]))
                        for d, w in zip(ids, weights, strict=True) if d in within}
            found = {d: idf * ((w * k1_plus_1) / (w + norm + per_length * lengths[d]))
                     for d, w in zip(ids, weights, strict=True)}
        if not partial:
            self.cache.put(key, found)
        return found

    def term_docs(self, field: str, text: str):
        key = ("d", self.number, field, text)
        found = self.cache.get(key)
        if found is None:
            found = frozenset(self.postings(field, text)[0])
            self.cache.put(key, found)
        return found

    def all_docs(self):
        return range(self.reader.doc_count_all())


def _constant(q) -> float:
    """A `ConstantScoreQuery`'s score as Whoosh gives it: its `ListMatcher` treats a score of
    0.0 as "no constant" and returns the weight 1.0 instead (whoosh-reloaded 2.7.5). It is the
    same for every match of the And it is part of, so it never changes the order."""
    return q.score or 1.0


class Evaluator:
    """Evaluates one Whoosh query over every segment of a searcher."""

    def __init__(self, searcher, cache: SharedCache, lengths: dict,
                 time_limit: float | None = None):
        self.searcher = searcher
        self.cache = cache
        self.lengths = lengths
        self.deadline = _Deadline(time_limit)

    def segments(self) -> list[Segment]:
        leaves = self.searcher.leaf_searchers()
        return [Segment(self.searcher, sub, offset, n, self.cache, self.lengths)
                for n, (sub, offset) in enumerate(leaves)]

    def run(self, q) -> Iterable[tuple[Segment, dict[int, float]]]:
        """(segment, {docnum: score}) per segment, deleted documents removed. Raises
        `TimeLimit` between steps once the time limit has passed."""
        for segment in self.segments():
            self.deadline.check()
            found = self.scores(q, segment)
            reader = segment.reader
            if found and reader.has_deletions():
                deleted = reader.deleted_docs_set  # a cached property in 2.7.5
                if callable(deleted):
                    deleted = deleted()
                found = {d: s for d, s in found.items() if d not in deleted}
            yield segment, found

    # -- scored parts -------------------------------------------------------------------------
    def scores(self, q, seg: Segment, within=None) -> dict[int, float]:
        """{docnum: score} of `q`. `within` (a set or dict of candidates, from an And) allows
        leaving out documents that are not in it; every document in it is scored exactly."""
        self.deadline.check()
        boost = getattr(q, "boost", 1.0)
        if isinstance(q, wq.Term):
            found = seg.term_scores(q.fieldname, q.text, within)
        elif isinstance(q, wq.ConstantScoreQuery):
            found = dict.fromkeys(self.docs(q.child, seg), _constant(q))
            boost = 1.0
        elif isinstance(q, wq.AndNot):
            found = self.scores(q.a, seg, within)
            if found:
                excluded = self.docs(q.b, seg)
                found = {d: s for d, s in found.items() if d not in excluded}
        elif isinstance(q, wq.AndMaybe):
            found = self.scores(q.a, seg, within)
            if found:
                extra = self.scores(q.b, seg, found)
                found = {d: s + extra.get(d, 0.0) for d, s in found.items()}
        elif isinstance(q, wq.And):
            found = self._and(q.subqueries, seg, within)
        elif isinstance(q, wq.Or) and not q.minmatch and not q.scale:
            found = self._or(q.subqueries, seg, within)
        elif q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            found = {}
        elif isinstance(q, wq.Every) and not q.fieldname:
            found = dict.fromkeys(seg.all_docs(), 1.0)
        else:
            found = self._whoosh_scores(q, seg)
            boost = 1.0  # Whoosh's matcher applied it
        if boost != 1.0:
            found = {d: s * boost for d, s in found.items()}
        return found

    def _or(self, subqueries, seg: Segment, within=None) -> dict[int, float]:
        parts = [self._weighted(sub, seg, within) for sub in subqueries]
        parts = [(found, boost) for found, boost in parts if found]
        if not parts:
            return {}
        parts.sort(key=lambda part: len(part[0]), reverse=True)
        first, boost = parts[0]
        total = dict(first) if boost == 1.0 else {d: s * boost for d, s in first.items()}
        get = total.get
        for part, boost in parts[1:]:
            if boost == 1.0:
                for d, s in part.items():
                    total[d] = get(d, 0.0) + s
            else:
                for d, s in part.items():
                    total[d] = get(d, 0.0) + s * boost
        return total

    def _weighted(self, q, seg: Segment, within=None) -> tuple[dict[int, float], float]:
        """A part of an Or with its boost still to apply: a boosted term (the similar-posts
        query has 45, each with its own boost) is multiplied while it is added instead of
        copied first (the same products and sums, so the same scores)."""
        boost = getattr(q, "boost", 1.0)
        if isinstance(q, wq.Term) and boost != 1.0:
            self.deadline.check()
            return seg.term_scores(q.fieldname, q.text, within), boost
        return self.scores(q, seg, within), 1.0

    def _and(self, subqueries, seg: Segment, within=None) -> dict[int, float]:
        """Constant parts as sets, then the scored parts from the rarest to the most common,
        each scored only within the smallest result so far when that saves work (a common
        word of a multi-word query is no longer scored for every document that has it)."""
        scored, constant = [], []
        bonus = 0.0
        for sub in subqueries:
            if isinstance(sub, wq.ConstantScoreQuery):
                constant.append(sub.child)
                bonus += _constant(sub)
            else:
                scored.append(sub)
        sets = []
        for child in sorted(constant, key=self._cost):
            docs = self.docs(child, seg)
            if not docs:
                return {}
            sets.append(docs)
        candidates = within
        smallest = min(sets, key=len) if sets else None
        if smallest is not None and (candidates is None or len(smallest) < len(candidates)):
            candidates = smallest
        dicts = []
        for sub in sorted(scored, key=lambda sub: self._size(sub, seg)):
            part = self.scores(sub, seg, candidates)
            if not part:
                return {}
            dicts.append(part)
            if candidates is None or len(part) < len(candidates):
                candidates = part
        if not dicts:
            base = min(sets, key=len)
            return {d: bonus for d in base if all(d in s for s in sets)}
        dicts.sort(key=len)
        first, others = dicts[0], dicts[1:]
        sets.sort(key=len)
        result = {}
        for d, s in first.items():
            for other in others:
                v = other.get(d)
                if v is None:
                    break
                s += v
            else:
                for docs in sets:
                    if d not in docs:
                        break
                else:
                    result[d] = s + bonus
        return result

    def _size(self, q, seg: Segment) -> int:
        """An upper bound of how many documents `q` matches, from the term dictionary."""
        if isinstance(q, wq.Term):
            try:
                return seg.reader.doc_frequency(q.fieldname, q.text)
            except TermNotFound:
                return 0
        if isinstance(q, wq.Or):
            return sum(self._size(sub, seg) for sub in q.subqueries)
        if isinstance(q, wq.And) and q.subqueries:
            return min(self._size(sub, seg) for sub in q.subqueries)
        if isinstance(q, (wq.AndNot, wq.AndMaybe)):
            return self._size(q.a, seg)
        if isinstance(q, wq.ConstantScoreQuery):
            return self._size(q.child, seg)
        return seg.reader.doc_count_all()

    @staticmethod
    def _cost(q) -> int:
        return 0 if isinstance(q, wq.Term) else 1

    # -- unscored parts (filters, exclusions) -------------------------------------------------
    def docs(self, q, seg: Segment):
        """The set of docnums matching `q` (scores not needed)."""
        self.deadline.check()
        if isinstance(q, wq.Term):
            return seg.term_docs(q.fieldname, q.text)
        if isinstance(q, wq.ConstantScoreQuery):
            return self.docs(q.child, seg)
        if isinstance(q, wq.Every) and not q.fieldname:
            return set(seg.all_docs())
        if isinstance(q, wq.Or) and not q.minmatch:
            parts = [self.docs(sub, seg) for sub in q.subqueries]
            return set().union(*parts) if parts else set()
        if isinstance(q, wq.And):
            parts = sorted((self.docs(sub, seg) for sub in q.subqueries), key=len)
            if not parts:
                return set()
            return set(parts[0]).intersection(*parts[1:])
        if isinstance(q, wq.AndNot):
            return set(self.docs(q.a, seg)) - set(self.docs(q.b, seg))
        if isinstance(q, wq.AndMaybe):
            return self.docs(q.a, seg)
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
            return set()
        return set(self._whoosh_scores(q, seg, scored=False))

    def _whoosh_scores(self, q, seg: Segment, *, scored: bool = True) -> dict[int, float]:
        """Whoosh's own matcher for what this module does not evaluate itself (phrases, date
        ranges)."""
        context = seg.searcher.boolean_context() if not scored else seg.searcher.context()
        m = q.matcher(seg.searcher, context)
        found: dict[int, float] = {}
        check = self.deadline.check
        while m.is_active():
            found[m.id()] = m.score() if scored else 0.0
            m.next()
            check()  # a phrase can be slow per document: ask each time (~60 ns)
        return found
