"""The rebuild's bulk segment writer writes exactly what Whoosh's own writer writes, and a
rebuild with several processes indexes every post once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from whoosh import index as whoosh_index

from learncom.extensions import db
from learncom.search import documents, search
from learncom.search.backend import PostDocument
from learncom.search.services import check, get_backend
from learncom.search.whoosh.backend import make_schema, whoosh_fields
from learncom.search.whoosh.internals.bulk import BLOCK, BuildError, BulkSegmentWriter, build
from learncom.search.whoosh.queue import pending
from tests import search_fixtures

search_app = search_fixtures.search_app
# Whoosh's own machinery: not run against the PostgreSQL engine.
SEARCH_ENGINES = ("whoosh",)


def corpus() -> list[PostDocument]:
    """Documents covering what the writer must get right: terms in more than one block
    (`BLOCK` + 5 documents share words), repeated words (frequencies), empty and missing
    fields, accents, names, dates, tags, several visibilities, unscorable fields."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    docs = []
    for n in range(BLOCK + 5):
        docs.append(PostDocument(
            id=n + 1, kind=("experiment", "friction", "lesson")[n % 3],
            visibility=("public", "members", "team")[n % 3], team_id=(n % 4) or None,
            author_id=n % 7 + 1, author_kind=("resident", "professional")[n % 2],
            neighbourhood=("overvecht", "kanaleneiland", None)[n % 3],
            status=("raised", None)[n % 2], tags=sorted({f"tag{n % 5}", "schulden"}),
            created_at=start + timedelta(days=n, minutes=n),
            title=f"Buurtkamer {n} voor eenzame ouderen" if n % 10 else "",
            body=("De buurtkamer in de wijk helpt tegen eenzaamheid. " * (n % 4 + 1)
                  + f"Café ‘Één’ opent {n} keer; geïnterviewde bewoners waren tevreden."),
            fields="Hypothese: samen koken verbindt." if n % 3 == 0 else "",
            comments="Herkenbaar: de wachtlijst voor schuldhulp is lang." if n % 2 else "",
            author_name=f"Émile van Dijk {n % 3}", place="Overvecht Utrecht" if n % 3 else "",
            applied=n % 6,
        ))
    for doc in docs:
        doc.fingerprint = documents.fingerprint(doc)
    return docs


def postings(reader, field: str, term: bytes) -> list[tuple]:
    matcher = reader.postings(field, term)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def term_stats(reader, field: str, term: bytes) -> tuple:
    info = reader.term_info(field, term)
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())


def write(path, docs, writer_for) -> None:
    path.mkdir()
    ix = whoosh_index.create_in(str(path), make_schema())
    writer = writer_for(ix)
    for doc in docs:
        writer.add_document(**whoosh_fields(doc))
    writer.commit()


def test_the_bulk_writer_writes_the_same_segment_as_whoosh(tmp_path):
    docs = corpus()
    write(tmp_path / "whoosh", docs, lambda ix: ix.writer())
    write(tmp_path / "bulk", docs, BulkSegmentWriter)
    ours = whoosh_index.open_dir(str(tmp_path / "bulk")).reader()
    theirs = whoosh_index.open_dir(str(tmp_path / "whoosh")).reader()

    assert ours.doc_count_all() == theirs.doc_count_all() == len(docs)
    terms = list(theirs.all_terms())
    assert list(ours.all_terms()) == terms
    assert any(theirs.doc_frequency(f, t) > BLOCK for f, t in terms)  # several blocks tested
    for field, term in terms:
        assert postings(ours, field, term) == postings(theirs, field, term), (field, term)
        assert term_stats(ours, field, term) == term_stats(theirs, field, term), (field, term)
    assert list(ours.all_stored_fields()) == list(theirs.all_stored_fields())
    schema = make_schema()
    for name in schema.names():
        assert ours.field_length(name) == theirs.field_length(name), name
        assert ([ours.doc_field_length(n, name) for n in range(len(docs))]
                == [theirs.doc_field_length(n, name) for n in range(len(docs))]), name
        if schema[name].column_type:
            assert (list(ours.column_reader(name)) == list(theirs.column_reader(name))), name


# -- the rebuild -----------------------------------------------------------------------------

def make_posts(create_user, create_post, count: int) -> list:
    author = create_user()
    posts = [create_post(author, title=f"Taalcafé nummer {n}",
                         body=f"Wekelijks taalcafé in de bibliotheek, ronde {n}.")
             for n in range(count)]
    db.session.commit()
    return posts


def test_a_rebuild_with_two_processes_indexes_every_post_once(search_app, create_user,
                                                             create_post, runner):
    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    posts = make_posts(create_user, create_post, 7)
    result = runner.invoke(args=["search", "rebuild", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "Writing the index…" in result.output
    assert "Indexed 7 posts" in result.output
    backend = get_backend()
    assert sorted(backend.fingerprints()) == sorted(p.id for p in posts)
    # One segment per process, and none from the queue: the rebuild read the posts after
    # they were queued, so it forgot those rows instead of indexing them a second time.
    assert len(backend.store.open()._segments()) == 2
    assert pending() == 0
    assert check().ok
    found = search("taalcafé", None, 1, None)
    assert found.total == 7
    assert found.facets["kind"] == {"experiment": 7}


def test_a_parallel_rebuild_finds_what_a_single_process_rebuild_finds(search_app, create_user,
                                                                      create_post):
    from learncom.search import services

    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    make_posts(create_user, create_post, 9)
    results = {}
    for procs in (1, 3):
        done = []
        assert services.rebuild(done.append, procs=procs) == 9
        assert sum(done) == 9  # the progress callback saw every post
        found = search("bibliotheek ronde", None, 1, None)
        results[procs] = (found.total, [hit.post.id for hit in found.hits], found.facets)
        db.session.commit()
    assert results[1] == results[3]
    assert results[1][0] == 9


def test_a_failing_indexing_process_leaves_the_live_index_alone(search_app, create_user,
                                                                create_post, tmp_path):
    from learncom.search import services

    search_app.config["SEARCH_DRAIN_AFTER_COMMIT"] = False
    posts = make_posts(create_user, create_post, 3)
    services.rebuild(procs=1)
    backend = get_backend()
    live = backend.store.live_path()
    before = sorted(live.parent.iterdir())
    broken = [documents.Part("sqlite:///" + str(tmp_path / "missing" / "no.db"), 0, 10**9),
              documents.Part("sqlite:///" + str(tmp_path / "missing" / "no.db"), 0, 10**9)]
    with pytest.raises(BuildError, match="indexing posts 1"):
        backend._rebuild(iter([]), None, broken, wait=10)
    assert backend.store.live_path() == live
    assert sorted(backend.fingerprints()) == sorted(p.id for p in posts)
    assert sorted(live.parent.iterdir()) == before  # the half-built index was removed


def test_build_lists_no_segment_for_an_empty_part(tmp_path, search_app):
    path = tmp_path / "ix"
    path.mkdir()
    whoosh_index.create_in(str(path), make_schema())
    url = db.engine.url.render_as_string(hide_password=False)
    assert build(str(path), [documents.Part(url, 10**8, 10**8 + 1)]) == 0
    assert whoosh_index.open_dir(str(path)).doc_count_all() == 0


def test_field_lengths_read_at_once_equal_whooshs(tmp_path):
    from learncom.search.whoosh.internals.evaluate import _read_lengths

    docs = corpus()
    write(tmp_path / "ix", docs, BulkSegmentWriter)
    reader = whoosh_index.open_dir(str(tmp_path / "ix")).reader()
    for field in ("title", "body", "comments", "pairs", "tagtext", "people", "spell", "id"):
        assert _read_lengths(reader, field) == [reader.doc_field_length(n, field, 1) or 1
                                                for n in range(len(docs))], field
