"""Facet counting with bit masks and the pruned sort keys give exactly what the plain walks
give (the fast paths only apply to large result sets, so they are tested directly)."""

from __future__ import annotations

import heapq
import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from learncom.search.whoosh import backend as whoosh_backend
from learncom.search.whoosh.backend import _count, _masks, _sort_keys

KINDS = ("experiment", "friction", "lesson")
TAGS = ("armoede", "schulden", "eenzaamheid", "taal", "wonen")


def arrays_for(n: int, seed: int) -> dict:
    rng = random.Random(seed)
    arrays = {
        "kind": [rng.choice(KINDS) for _ in range(n)],
        "neighbourhood": [rng.choice((None, "overvecht", "kanaleneiland")) for _ in range(n)],
        "status": [rng.choice((None, "raised", "resolved")) for _ in range(n)],
        "tag": [tuple(rng.sample(TAGS, rng.randint(0, 3))) for _ in range(n)],
        "created_at": [rng.randint(0, 50) for _ in range(n)],
        "applied": [rng.choice((0, 0, 0, 1, 2)) for _ in range(n)],
    }
    arrays["masks"] = _masks(n, arrays)
    return arrays


def counted(arrays, found) -> dict:
    counts = {name: Counter() for name in ("kind", "tag", "neighbourhood", "status")}
    _count(counts, arrays, found)
    return {name: {k: v for k, v in c.items() if k} for name, c in counts.items()}


@given(st.integers(min_value=1, max_value=6000), st.integers(min_value=0, max_value=10**6),
       st.floats(min_value=0.0, max_value=1.0))
def test_mask_counts_equal_dict_counts(n, seed, share):
    arrays = arrays_for(n, seed)
    rng = random.Random(seed + 1)
    found = {d: 1.0 for d in range(n) if rng.random() < share}
    original = whoosh_backend.MASKS_FROM
    try:
        whoosh_backend.MASKS_FROM = 0  # always the masks
        with_masks = counted(arrays, found)
        whoosh_backend.MASKS_FROM = 10**9  # never
        walked = counted(arrays, found)
    finally:
        whoosh_backend.MASKS_FROM = original
    assert with_masks == walked


@given(st.dictionaries(st.integers(min_value=0, max_value=400),
                       st.sampled_from([0.5, 1.0, 1.5, 2.25, 3.0]), max_size=300),
       st.integers(min_value=1, max_value=40), st.sampled_from(["relevance", "newest",
                                                               "applied"]))
def test_pruned_sort_keys_keep_the_same_first_hits(found, keep, sort):
    """Many equal scores and dates: the pruning must keep every tie at the boundary."""
    arrays = arrays_for(401, 7)
    offset = 1000
    pruned = heapq.nsmallest(keep, _sort_keys(found, arrays, offset, sort, keep))
    everything = heapq.nsmallest(keep, _sort_keys(found, arrays, offset, sort, 10**9))
    assert pruned == everything
