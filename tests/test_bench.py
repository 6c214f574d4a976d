"""Smoke test of `python -m bench.search`: a tiny corpus end to end, figures printed."""

from __future__ import annotations

import json
import sqlite3

from bench.corpus import TAGS, TOPICS, Writer
from bench.search import fts_translate, main, percentile, query_set


def test_writer_is_deterministic_and_dutch():
    a, b = Writer(5), Writer(5)
    a.pick_topics()
    b.pick_topics()
    text_a, words_a = a.text(150, 800)
    text_b, _ = b.text(150, 800)
    assert text_a == text_b
    assert 150 <= words_a <= 830
    assert a.title() == b.title()
    tags = a.tags()
    assert 1 <= len(tags) <= 6 and set(tags) <= set(TAGS)
    assert all(tag in TAGS for topic in TOPICS.values() for tag in topic["tags"])


def test_query_set_mix_and_fts_translation():
    queries = query_set(200)
    assert len(queries) == 200
    assert {q.category for q in queries} == {"word", "words", "phrase", "prefix", "filtered"}
    assert sum(q.logged_in for q in queries) == 100
    by_text = {q.text: q for q in queries}
    assert fts_translate(by_text["schuld*"]) == ('"schuld"*', {})
    assert fts_translate(by_text['"sociaal team"']) == ('"sociaal team"', {})
    match, filters = fts_translate(by_text["tag:schuldhulpverlening vroegsignalering"])
    assert (match, filters) == ('"vroegsignalering"', {"tag": "schuldhulpverlening"})
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 100) == 5.0


def test_bench_runs_end_to_end(tmp_path, capsys):
    workdir = tmp_path / "bench"
    out_json = tmp_path / "figures.json"
    code = main(["--posts", "60", "--queries", "10", "--procs", "1", "--changes", "3",
                 "--dir", str(workdir), "--json", str(out_json)])
    assert code == 0
    printed = capsys.readouterr().out
    for label in ("corpus generation", "full rebuild (whoosh)", "FTS5 reference build",
                  "commit -> searchable (whoosh)", "check (whoosh)", "goal (whoosh): p95",
                  "slowest learncom queries (whoosh)"):
        assert label in printed
    assert "== learncom search benchmark: 60 posts ==" in printed

    figures = json.loads(out_json.read_text())
    assert figures["corpus"]["posts"] == 60
    whoosh = figures["engines"]["whoosh"]
    assert whoosh["rebuild"]["posts"] == 60 and whoosh["rebuild"]["index_bytes"] > 0
    assert whoosh["check"]["ok"]
    assert whoosh["change"]["missed"] == 0
    assert whoosh["change"]["searchable_ms"]["n"] == 3
    assert figures["queries"]["all"]["whoosh"]["n"] == 10
    assert figures["queries"]["all"]["fts5"]["n"] == 10
    assert whoosh["timed_out"] == 0
    # Both engines searched the same corpus and found something for the query set.
    assert figures["mean_total"]["whoosh"] > 0 and figures["mean_total"]["fts5"] > 0

    conn = sqlite3.connect(workdir / "fts5.db")
    try:
        assert conn.execute("SELECT count(*) FROM posts_fts").fetchone()[0] == 60
    finally:
        conn.close()
    conn = sqlite3.connect(workdir / "learncom.db")
    try:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())
        member_kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM users")}
        visibilities = {v for (v,) in conn.execute("SELECT DISTINCT visibility FROM posts")}
        queued = conn.execute("SELECT count(*) FROM index_queue").fetchone()[0]
    finally:
        conn.close()
    assert set(kinds) == {"experiment", "friction", "lesson"}
    assert member_kinds == {"professional", "resident", "volunteer", "expert_by_experience",
                            "civil_servant"}
    assert "public" in visibilities and len(visibilities) >= 2
    assert queued == 0


def test_load_bench_runs_end_to_end(tmp_path, capsys):
    """The load benchmark on a tiny corpus: seeds, serves with gunicorn, drives with locust and
    reports every page kind (its goals are for the full-size run, not for this one)."""
    from bench import load

    out_json = tmp_path / "load.json"
    code = load.main(["--posts", "60", "--comments", "400", "--busy-thread", "20",
                      "--clients", "2", "--duration", "2", "--warmup", "1",
                      "--engines", "sqlite", "--dir", str(tmp_path / "load"),
                      "--json", str(out_json)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "hello (ceiling)" in printed and "page mix (all)" in printed
    figures = json.loads(out_json.read_text())
    result = figures["engines"]["sqlite"]
    assert result["corpus"]["posts"] == 60
    assert result["hello"]["hello"]["requests"] > 0
    assert result["mix"]["all"]["requests"] > 0
    assert result["mix"]["all"]["failures"] == 0
    assert set(result["statements"]) == {"home", "list", "post", "post (busy)", "search"}
    assert set(result["alone_ms"]) == {"home", "list", "post", "post (busy)", "search",
                                       "post (visitor)"}
    assert any("page mix / ceiling" in line for line in figures["goals"])
    assert len(result["worker_mb"]) == 2 and all(mb > 10 for mb in result["worker_mb"])


def test_soak_loses_no_acknowledged_write(request, tmp_path, capsys):
    """A short soak on this run's database engine: a worker and then the whole server are
    killed while members write; nothing acknowledged is lost and the index heals."""
    from bench import soak

    engine = "postgres" if request.config.getoption("--postgres") else "sqlite"
    out_json = tmp_path / "soak.json"
    # The suite runs beside this in other processes: the healing gets more time than the
    # benchmark's 10 s, which `make soak` holds on an idle machine.
    code = soak.main(["--clients", "4", "--workers", "2", "--seconds", "4", "--posts", "40",
                      "--engines", engine, "--dir", str(tmp_path / "soak"),
                      "--json", str(out_json), "--check-within", "60"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    figures = json.loads(out_json.read_text())
    for mode in ("worker", "server"):
        result = figures[f"{engine}/{mode}"]
        assert sum(result["acknowledged"].values()) > 0, printed
        for kind, acked in result["acknowledged"].items():
            assert result["found"][kind]["in_database"] == acked, (kind, result)
            assert result["found"][kind]["searchable"] == acked, (kind, result)
        assert result["check"]["clean"], result["check"]
