"""Stock Whoosh evaluation, segment by segment, through its public matcher interface: what the
engine runs when the internals layer is off (an untested Whoosh release). The same results and
scores as `evaluate.Evaluator`, which tests/test_search_perf.py checks against this kind of
exhaustive evaluation; only slower (one Python call per posting)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from whoosh.collectors import TimeLimit


@dataclass
class Leaf:
    reader: object
    offset: int


class StockEvaluator:
    def __init__(self, searcher, time_limit: float | None = None):
        self.searcher = searcher
        self.deadline = time.monotonic() + time_limit if time_limit is not None else None

    def _check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimit()

    def run(self, q):
        """(segment, {docnum: score}) per segment; Whoosh's matchers skip deleted documents."""
        for sub, offset in self.searcher.leaf_searchers():
            self._check()
            matcher = q.matcher(sub, sub.context())
            found: dict[int, float] = {}
            while matcher.is_active():
                found[matcher.id()] = matcher.score()
                matcher.next()
                self._check()
            yield Leaf(sub.reader(), offset), found
