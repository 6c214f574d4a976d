"""A segment's files are read in place from Whoosh's memory map (`internals/files.py`): the file
reads exactly like the `io.BytesIO` copy it replaces, and a searcher opened on a real index reads
through it, with the same results as stock Whoosh."""

from __future__ import annotations

import io
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learncom.search.backend import Filters, Visibility
from learncom.search.whoosh import internals
from learncom.search.whoosh.internals.files import ViewBufferFile, ViewFile
from tests import search_fixtures

search_app = search_fixtures.search_app
post_factory = search_fixtures.post_factory
SEARCH_ENGINES = ("whoosh",)  # Whoosh's files: not run against the PostgreSQL engine

_operations = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 40)),
    st.tuples(st.just("readline"), st.integers(-1, 40)),
    st.tuples(st.just("readinto"), st.integers(0, 40)),
    st.tuples(st.just("seek"), st.integers(0, 80), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("tell"),),
), max_size=30)


def _apply(file, operation):
    name = operation[0]
    if name == "read":
        return file.read(operation[1])
    if name == "readline":
        return file.readline(operation[1])
    if name == "readinto":
        target = bytearray(operation[1])
        n = file.readinto(target)
        return n, bytes(target[:n])
    if name == "seek":
        offset, whence = operation[1], operation[2]
        if whence != 0:
            offset -= 40  # relative moves both ways
        try:
            return file.seek(offset, whence)
        except ValueError:
            return "ValueError"
    return file.tell()


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=120).map(lambda b: b.replace(b"\x00", b"\n")),
       operations=_operations)
def test_a_view_file_reads_like_a_bytesio_copy(data, operations):
    copy, view = io.BytesIO(data), ViewFile(memoryview(data))
    for operation in operations:
        assert _apply(view, operation) == _apply(copy, operation), operation
    assert list(ViewFile(memoryview(data))) == list(io.BytesIO(data))


def test_pickles_load_from_a_view_file():
    data = pickle.dumps({"a": [1, 2, 3], "b": "tekst" * 1000}, -1) + pickle.dumps("twee", 0)
    view = ViewFile(memoryview(data))
    assert pickle.load(view) == {"a": [1, 2, 3], "b": "tekst" * 1000}  # noqa: S301 - our own bytes
    assert pickle.load(view) == "twee"  # noqa: S301
    assert view.read() == b""


def _segment_files(searcher):
    """The postings files of the searcher's segments, as Whoosh opened them."""
    return [reader._terms._postfile for reader, _offset in searcher.reader().leaf_readers()]  # noqa: SLF001


@pytest.mark.usefixtures("search_app")
@pytest.mark.parametrize("layer", [True, False], ids=["internals", "stock"])
def test_a_searcher_reads_the_segments_in_place_with_the_same_results(layer, create_user,
                                                                     post_factory):
    from learncom.search import services
    from learncom.search.query import parse
    from learncom.search.whoosh.backend import POOL

    author = create_user()
    for i in range(12):
        post_factory(author, title=f"Buurtkamer {i}", body="Koffie in de buurtkamer " * (i + 1),
                     tags=["ouderen"] if i % 2 else ["koffie"])
    backend = services.get_backend()
    expected = None
    try:
        for enabled in (False, layer):
            internals.set_enabled(enabled, "test")
            POOL.close()
            with POOL.searcher(backend.store) as searcher:
                files = _segment_files(searcher)
            results = backend.search(parse("buurtkamer"), Filters(),
                                     Visibility(everything=True))
            found = ([hit.id for hit in results.hits], results.total, results.facets)
            expected = expected or found
            assert found == expected
            assert files
            assert all(isinstance(f, ViewBufferFile) for f in files) == enabled
    finally:
        internals.set_enabled(True)
        POOL.close()
