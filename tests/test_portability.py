"""JSONL import/export: a valid file, every kind of bad line (all or nothing), the round trip,
no password hashes in an export, and a bounded number of queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from learncom.accounts.models import Team, User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import LogEntry, Neighbourhood, Post, PostLink, PostRevision
from tests.conftest import _empty_all_tables
from tests.helpers import counted


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                   for r in records)


def run_import(runner, tmp_path, text: str):
    path = tmp_path / "import.jsonl"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["learncom", "import", str(path)])


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


SMALL = [
    {"type": "user", "email": "Anke@Example.org", "name": "Anke Siegers", "kind": "professional",
     "organisation": "Bureau X", "function": "adviseur", "role": "coordinator",
     "teams": ["Buurtteam Overvecht"]},
    {"type": "post", "ref": "e1", "kind": "experiment", "title": "Buurtkamer als vindplaats",
     "body": "Een **proef** in de wijk.", "tags": ["Eenzaamheid", "  Buurt   Kamer "],
     "neighbourhood": "Overvecht", "city": "Utrecht", "author": "anke@example.org",
     "created_at": "2024-03-01T09:30:00+01:00",
     "fields": {"hypothesis": "Ouderen komen eerder binnen.", "start_date": "2024-03-01",
                "status": "running", "evidence_level": "substantiated"},
     "log": [{"date": "2024-03-08", "author": "anke@example.org", "body": "Eerste week: *vol*."}],
     "visibility": "team", "team": "Buurtteam Overvecht"},
    {"type": "post", "ref": "f1", "kind": "friction",
     "title": "Voor elke kleine hulpvraag een nieuwe indicatie", "body": "Het blokkeert.",
     "tags": ["indicatie"], "neighbourhood": None, "author": "Nieuw.Lid@example.org",
     "created_at": "2024-03-02T10:00:00Z", "fields": {"obstacle_type": "procedure"}},
    {"type": "comment", "ref": "c1", "post": "f1", "parent": None, "author": "anke@example.org",
     "body": "Herkenbaar.", "created_at": "2024-03-03T08:00:00+00:00"},
    {"type": "comment", "ref": "c2", "post": "f1", "parent": "c1",
     "author": "nieuw.lid@example.org", "body": "Bij ons ook.",
     "created_at": "2024-03-03 10:00"},  # no offset: Europe/Amsterdam, so 09:00 UTC
    {"type": "link", "from": "e1", "to": "f1", "relation": "addresses"},
]


def test_import_small_file(runner, tmp_path):
    result = run_import(runner, tmp_path, jsonl(*SMALL))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Imported: 2 users, 2 posts, 2 comments, 1 links."

    anke = db.session.scalar(select(User).where(User.email == "anke@example.org"))
    assert (anke.name, anke.kind, anke.role, anke.organisation, anke.function) == (
        "Anke Siegers", "professional", "coordinator", "Bureau X", "adviseur")
    assert [team.name for team in anke.teams] == ["Buurtteam Overvecht"]
    assert anke.password_hash is None

    newcomer = db.session.scalar(select(User).where(User.email == "nieuw.lid@example.org"))
    assert (newcomer.name, newcomer.role, newcomer.kind) == ("nieuw.lid", "member", "resident")
    assert newcomer.password_hash is None

    experiment = db.session.scalar(select(Post).where(Post.kind == "experiment"))
    assert experiment.author == anke
    assert [tag.name for tag in experiment.tags] == ["buurt-kamer", "eenzaamheid"]
    assert (experiment.neighbourhood.name, experiment.neighbourhood.city) == (
        "Overvecht", "Utrecht")
    assert (experiment.visibility, experiment.team.name) == ("team", "Buurtteam Overvecht")
    assert experiment.created_at == datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    assert (experiment.status, experiment.evidence_level) == ("running", "substantiated")
    assert experiment.start_date == date(2024, 3, 1)
    assert experiment.end_date is None
    assert "<strong>proef</strong>" in experiment.body_html
    [entry] = experiment.log_entries
    assert (entry.date, entry.author, entry.body) == (date(2024, 3, 8), anke, "Eerste week: *vol*.")
    assert "<em>vol</em>" in entry.body_html
    assert len(experiment.revisions) == 1
    assert experiment.revisions[0].editor == anke

    friction = db.session.scalar(select(Post).where(Post.kind == "friction"))
    assert friction.author == newcomer
    assert (friction.obstacle_type, friction.change_status) == ("procedure", "raised")
    assert friction.neighbourhood is None and friction.visibility == "public"

    first, reply = friction.comments
    assert (first.author, first.parent, first.body) == (anke, None, "Herkenbaar.")
    assert (reply.author, reply.parent, reply.body) == (newcomer, first, "Bij ons ook.")
    assert reply.created_at == datetime(2024, 3, 3, 9, tzinfo=UTC)

    link = db.session.scalar(select(PostLink))
    assert (link.source, link.target, link.relation) == (experiment, friction, "addresses")
    assert db.session.scalar(select(func.count()).select_from(Neighbourhood)) == 1


def test_import_reads_stdin_and_reuses_existing_users(runner, create_user, create_post):
    anke = create_user("Anke", email="anke@example.org", kind="volunteer")
    create_post(anke, title="Bestaande post")
    result = runner.invoke(args=["learncom", "import", "-"], input=jsonl(*SMALL))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported: 1 users, 2 posts, 2 comments, 1 links.")
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    db.session.refresh(anke)
    # Reused as it was (name, kind, password), with the team from the file added.
    assert (anke.name, anke.kind, anke.password_hash is not None) == ("Anke", "volunteer", True)
    assert [team.name for team in anke.teams] == ["Buurtteam Overvecht"]
    assert db.session.scalar(select(func.count()).select_from(Post)) == 3

    # Refs are file-local: the same file again adds two more posts and reuses every author.
    again = runner.invoke(args=["learncom", "import", "-"], input=jsonl(*SMALL))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Imported: 0 users, 2 posts, 2 comments, 1 links.")
    assert db.session.scalar(select(func.count()).select_from(Post)) == 5
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_imported_names_are_made_unique(runner, tmp_path, create_user):
    create_user("Anke Siegers", email="other@example.org")
    create_user("jan", email="jan@elders.example")
    result = run_import(runner, tmp_path, jsonl(
        {"type": "user", "email": "anke@example.org", "name": "Anke Siegers"},
        {"type": "post", "ref": "p", "kind": "lesson", "title": "Les", "tags": ["les"],
         "author": "jan@example.org", "fields": {"statement": "Vraag het de bewoner."}}))
    assert result.exit_code == 0, result.output
    names = {u.email: u.name for u in db.session.scalars(select(User))}
    assert names["anke@example.org"] == "Anke Siegers 2"
    assert names["jan@example.org"] == "jan 2"


VALID_PREFIX = [  # lines 1-5; every bad line goes on line 6
    {"type": "user", "email": "anke@example.org", "name": "Anke", "kind": "professional"},
    {"type": "post", "ref": "p1", "kind": "friction", "title": "Frictie", "tags": ["regels"],
     "author": "anke@example.org", "created_at": "2024-01-01T10:00:00+01:00"},
    {"type": "comment", "ref": "c1", "post": "p1", "parent": None, "author": "anke@example.org",
     "body": "Eerste."},
    {"type": "post", "ref": "p2", "kind": "experiment", "title": "Proef", "tags": ["proef"],
     "author": "nieuw@example.org"},
    {"type": "link", "from": "p1", "to": "p2", "relation": "related"},
]


def post(**changes):
    line = {"type": "post", "ref": "p3", "kind": "experiment", "title": "Nog een proef",
            "tags": ["proef"], "author": "anke@example.org"}
    line.update(changes)
    return {key: value for key, value in line.items() if value is not _MISSING}


_MISSING = object()
HOSTILE = ("*a **b _c [d](e `f" * 2000)[:19990]  # issue 11: refused by the comment form

BAD_LINES = {  # case: (the bad line, a word the reason must contain)
    "bad JSON": ('{"type": "post", "ref": ', "JSON"),
    "not an object": ('["post"]', "object"),
    "unknown type": ({"type": "reaction", "post": "p1"}, '"type"'),
    "missing type": ({"ref": "p3"}, '"type"'),
    "unknown key": (post(neighborhood="Overvecht"), "neighborhood"),
    "unknown kind": (post(kind="story"), "story"),
    "bad member kind": ({"type": "user", "email": "x@example.org", "kind": "Professional"},
                        "Professional"),
    "bad role": ({"type": "user", "email": "x@example.org", "role": "superuser"}, "superuser"),
    "duplicate user": ({"type": "user", "email": "ANKE@example.org"}, "twice"),
    "bad e-mail": (post(author="anke"), "e-mail"),
    "bad status": (post(fields={"status": "Running"}), "Running"),
    "unknown field": (post(fields={"colour": "red"}), "colour"),
    "field of another kind": (post(fields={"change_status": "raised"}), "change_status"),
    "bad visibility": (post(visibility="private"), "private"),
    "team post without team": (post(visibility="team"), '"team"'),
    "bad relation": ({"type": "link", "from": "p1", "to": "p2", "relation": "causes"}, "causes"),
    "bad created_at": (post(created_at="1 maart 2024"), "created_at"),
    "bad field date": (post(fields={"start_date": "2024-13-01"}), "start_date"),
    "bad log date": (post(log=[{"date": "volgende week", "author": None, "body": "x"}]),
                     "volgende week"),
    "log on a friction": (post(kind="friction", log=[{"date": "2024-01-01", "body": "x"}]),
                          "log"),
    "bool as string": (post(kind="lesson", fields={"curated": "yes"}), "curated"),
    "missing title": (post(title=_MISSING), "title"),
    "empty title": (post(title="   "), "title"),
    "title too long": (post(title="x" * 201), "title"),
    "11 tags": (post(tags=[f"tag{i}" for i in range(11)]), "tags"),
    "no tags": (post(tags=[]), "tags"),
    "duplicate post ref": (post(ref="p1"), "p1"),
    "unknown post ref in comment": ({"type": "comment", "ref": "c2", "post": "p9",
                                     "parent": None, "author": "anke@example.org",
                                     "body": "Hallo"}, "p9"),
    "unknown parent": ({"type": "comment", "ref": "c2", "post": "p1", "parent": "c9",
                        "author": "anke@example.org", "body": "Hallo"}, "c9"),
    "parent in another post": ({"type": "comment", "ref": "c2", "post": "p2", "parent": "c1",
                                "author": "anke@example.org", "body": "Hallo"}, "another post"),
    "empty comment": ({"type": "comment", "ref": "c2", "post": "p1", "parent": None,
                       "author": "anke@example.org", "body": ""}, "body"),
    "duplicate comment ref": ({"type": "comment", "ref": "c1", "post": "p1", "parent": None,
                               "author": "anke@example.org", "body": "Hallo"}, "c1"),
    "unknown post ref in link": ({"type": "link", "from": "p1", "to": "p9",
                                  "relation": "related"}, "p9"),
    "duplicate link": ({"type": "link", "from": "p1", "to": "p2", "relation": "related"},
                       "twice"),
    "link to itself": ({"type": "link", "from": "p1", "to": "p1", "relation": "related"},
                       "itself"),
    # Hardening (issue 11): nesting, characters the database cannot hold, the forms' limits,
    # Markdown the forms refuse.
    "JSON nested 100,000 deep": ('{"type": "post", "ref": "p3", "body": ' + "[" * 100_000
                                 + "]" * 100_000 + "}", "nested"),
    "nested deeper than the format": (post(fields={"hypothesis": [[[[["x"]]]]]}), "nested"),
    "NUL in the title": (post(title="Proef\x00"), "NUL"),
    "NUL in a tag": (post(tags=["proef\x00"]), '"tags[0]" contains a NUL'),
    "NUL in a key": (post(**{"body\x00": "x"}), "NUL"),
    "NUL in a comment": ({"type": "comment", "ref": "c2", "post": "p1", "parent": None,
                          "author": "anke@example.org", "body": "Hal\x00lo"}, "NUL"),
    "NUL in a log entry": (post(log=[{"date": "2024-01-01", "body": "x\x00"}]),
                           '"log[0].body" contains a NUL'),
    "half a surrogate pair": ('{"type": "post", "ref": "p3", "kind": "experiment", '
                              '"title": "Proef \\ud800", "tags": ["proef"], '
                              '"author": "anke@example.org"}', "surrogate"),
    "body longer than the form allows": (post(body="x" * 50_001), '"body" is longer than 50000'),
    "10 MB body": (post(body="x" * 10_000_000), '"body" is longer than 50000'),
    "kind field longer than the form allows": (post(fields={"hypothesis": "x" * 50_001}),
                                               "fields.hypothesis"),
    "log entry longer than the form allows": (
        post(log=[{"date": "2024-01-01", "body": "x" * 50_001}]), "log entry 1"),
    "comment longer than the form allows": (
        {"type": "comment", "ref": "c2", "post": "p1", "parent": None,
         "author": "anke@example.org", "body": "x" * 20_001}, '"body" is longer than 20000'),
    "Markdown too complex in the body": (post(body=HOSTILE), '"body" is too complicated'),
    "Markdown nested too deep in a field": (post(fields={"hypothesis": "[" * 40 + "]" * 40}),
                                            '"fields.hypothesis" nests'),
    "Markdown too complex in a log entry": (
        post(log=[{"date": "2024-01-01", "body": HOSTILE}]), "log entry 1: body"),
    "Markdown too complex in a comment": (
        {"type": "comment", "ref": "c2", "post": "p1", "parent": None,
         "author": "anke@example.org", "body": HOSTILE}, '"body" is too complicated'),
    "created_at beyond year 9999 in UTC": (post(created_at="9999-12-31T23:59:59-05:00"),
                                           "created_at"),
    "ref longer than 200": (post(ref="r" * 201), '"ref" is longer than 200'),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_line_aborts_and_writes_nothing(case, runner, tmp_path, create_user, create_post):
    owner = create_user("Bestaand lid", email="bestaand@example.org")
    create_post(owner, title="Er staat al iets")
    before = row_counts()
    # A valid line after the bad one changes nothing.
    line, word = BAD_LINES[case]
    text = jsonl(*VALID_PREFIX, line,
                 {"type": "link", "from": "p2", "to": "p1", "relation": "related"})
    result = run_import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert result.stderr.startswith("Line 6: "), result.stderr
    assert word in result.stderr
    assert "Imported" not in result.stdout
    assert row_counts() == before


def test_a_reason_never_quotes_a_whole_huge_value(runner, tmp_path):
    result = run_import(runner, tmp_path, jsonl(*VALID_PREFIX, post(kind="x" * 1_000_000),
                                                {"k" * 1_000_000: 1}))
    assert result.stderr.startswith("Line 6: ") and len(result.stderr) < 300
    result = run_import(runner, tmp_path, jsonl(*VALID_PREFIX, post(**{"k" * 1_000_000: 1})))
    assert result.stderr.startswith("Line 6: unknown key") and len(result.stderr) < 300


def test_bad_line_early_in_file_is_reported_with_its_number(runner, tmp_path):
    # Blank lines are skipped but counted.
    result = run_import(runner, tmp_path, jsonl(VALID_PREFIX[0], "", post(kind="story"),
                                                *VALID_PREFIX[1:]))
    assert result.exit_code == 1
    assert result.stderr.startswith("Line 3: ")
    assert "kind" in result.stderr
    assert all(count == 0 for count in row_counts().values())


def test_invalid_utf8_and_empty_file(runner, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(jsonl(VALID_PREFIX[0]).encode() + '{"type": "user", "email": "é@x.nl"}\n'
                     .encode("latin-1"))
    result = runner.invoke(args=["learncom", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Line 2: ")
    empty = runner.invoke(args=["learncom", "import", "-"], input="\n")
    assert empty.exit_code == 1
    assert empty.stderr.startswith("Line 1: ")
    assert all(count == 0 for count in row_counts().values())


# -- export and the round trip ------------------------------------------------------------------

def export_text(runner) -> str:
    result = runner.invoke(args=["learncom", "export"])
    assert result.exit_code == 0, result.output
    return result.stdout


def normalised(text: str) -> list[dict]:
    """The records with refs renumbered in order of appearance, users sorted by e-mail."""
    records = [json.loads(line) for line in text.splitlines()]
    posts, comments = {}, {}
    for record in records:
        if record["type"] == "post":
            posts[record["ref"]] = record["ref"] = f"P{len(posts) + 1}"
        elif record["type"] == "comment":
            comments[record["ref"]] = record["ref"] = f"C{len(comments) + 1}"
            record["post"] = posts[record["post"]]
            record["parent"] = comments[record["parent"]] if record["parent"] else None
        elif record["type"] == "link":
            record["from"], record["to"] = posts[record["from"]], posts[record["to"]]
    users = sorted((r for r in records if r["type"] == "user"), key=lambda r: r["email"])
    return users + [r for r in records if r["type"] != "user"]


def test_round_trip_reproduces_everything(rich_instance, runner, tmp_path):
    first = export_text(runner)
    expected = normalised(first)

    # What the export says, field by field, so the comparison below is not between two blanks.
    by_type = {kind: [r for r in expected if r["type"] == kind]
               for kind in ("user", "post", "comment", "link")}
    assert [len(by_type[k]) for k in ("user", "post", "comment", "link")] == [5, 5, 7, 4]
    anke = by_type["user"][0]
    assert anke == {"type": "user", "email": "anke@example.org", "name": "Anke Siegers",
                    "kind": "professional", "role": "coordinator", "organisation": "Bureau X",
                    "function": "adviseur", "teams": ["Buurtteam Overvecht", "Wijkteam Zuilen"]}
    experiment = by_type["post"][0]
    assert experiment == {
        "type": "post", "ref": "P1", "kind": "experiment",
        "title": "Buurtkamer als vindplaats voor eenzame ouderen",
        "body": "## Aanpak\n\nKoffie, *elke* dinsdag.",
        "tags": ["buurtkamer", "eenzaamheid", "ouderen"], "neighbourhood": "Overvecht",
        "city": "Utrecht", "team": "Buurtteam Overvecht", "visibility": "team",
        "author": "kees@example.org", "created_at": "2024-02-01T09:15:30.123000+00:00",
        "fields": {"hypothesis": "Ouderen komen eerder binnen.", "approach": "Inloop met koffie.",
                   "target_group": "Alleenwonende 75-plussers",
                   "outcome_measures": "Aantal nieuwe bezoekers.", "start_date": "2024-02-05",
                   "end_date": "2024-06-30", "status": "concluded",
                   "result": "Twaalf nieuwe bezoekers.", "evidence_level": "first_indications"},
        "log": [{"date": "2024-02-12", "author": "kees@example.org",
                 "body": "Week 1: drie bezoekers."},
                {"date": "2024-02-19", "author": "anke@example.org", "body": "Week 2: **zeven**."}],
    }
    friction = by_type["post"][1]
    assert friction["owner"] == "anke@example.org"
    assert friction["fields"] == {"obstacle_type": "procedure",
                                  "affected": "Bewoners met een kleine hulpvraag",
                                  "change_status": "being_addressed",
                                  "resolution_note": "Pilot met een lichte toegang."}
    assert by_type["post"][2]["fields"] == {
        "statement": "Meet wat bewoners belangrijk vinden.", "context": "Wijkteams in Utrecht.",
        "confidence": "several_teams", "curated": True}
    assert by_type["post"][4]["author"] is None
    thread = [(c["post"], c["ref"], c["parent"], c["author"], c.get("deleted", False))
              for c in by_type["comment"]]
    assert thread == [
        ("P1", "C1", None, "anke@example.org", False),
        ("P2", "C2", None, "anke@example.org", False),
        ("P2", "C3", "C2", "ria@example.org", False),
        ("P2", "C4", "C3", "kees@example.org", False),
        ("P2", "C5", None, "kees@example.org", True),
        ("P2", "C6", "C5", "ria@example.org", False),
        ("P5", "C7", None, None, False),
    ]
    assert [c["ref"] for c in by_type["comment"] if c.get("deleted")] == ["C5"]
    assert by_type["comment"][4]["body"] == ""
    assert {(l["from"], l["to"], l["relation"]) for l in by_type["link"]} == {  # noqa: E741
        ("P1", "P2", "addresses"), ("P4", "P1", "replicates"), ("P3", "P1", "learned_from"),
        ("P3", "P2", "related")}

    _empty_all_tables()
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    result = run_import(runner, tmp_path, first)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported: 5 users, 5 posts, 7 comments, 4 links.")

    assert normalised(export_text(runner)) == expected
    # Beyond the export: replies hang under the right comment, deleted stays deleted, and
    # every imported account is without a usable password.
    deleted = db.session.scalar(select(Comment).where(Comment.deleted_at.is_not(None)))
    assert deleted.body == "" and [c.body for c in db.session.scalars(
        select(Comment).where(Comment.parent_id == deleted.id))] == [
        "Antwoord op een verwijderd bericht."]
    assert all(u.password_hash is None for u in db.session.scalars(select(User)))
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 5
    kees_post = db.session.scalar(select(Post).where(Post.title.startswith("Buurtkamer als")))
    assert [r.editor.email for r in kees_post.revisions] == ["kees@example.org"]
    assert db.session.scalar(select(func.count()).select_from(LogEntry)) == 2
    assert db.session.scalar(select(func.count()).select_from(Team)) == 2


def test_export_never_contains_password_hashes(runner, tmp_path, create_user, create_post):
    author = create_user("Anke", email="anke@example.org")
    create_user("Admin", email="admin@example.org", role="admin")
    create_post(author)
    path = tmp_path / "dump.jsonl"
    result = runner.invoke(args=["learncom", "export", "-o", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert author.password_hash and author.password_hash not in text
    assert "argon2" not in text and "password" not in text
    assert "session_token" not in text and "login_token" not in text
    users = [json.loads(line) for line in text.splitlines() if '"type": "user"' in line]
    assert {u["email"] for u in users} == {"anke@example.org", "admin@example.org"}
    assert all(set(u) == {"type", "email", "name", "kind", "role", "organisation", "function",
                          "teams"} for u in users)
    assert all(line.startswith('{"type": ') for line in text.splitlines())


def test_export_uses_a_bounded_number_of_queries(runner, create_user, create_post,
                                                 create_comment):
    def count_export_queries() -> int:
        with counted() as statements:
            export_text(runner)
        return len(statements)

    def add_posts(n: int) -> None:
        for i in range(n):
            author = create_user(kind="resident", teams=[f"Team {i}"])
            post = create_post(author, title=f"Proef {i}", team=f"Team {i}",
                               neighbourhood=f"Wijk {i}", tags=[f"t{i}", "proef"])
            parent = create_comment(post, author, "Eerste")
            create_comment(post, create_user(), "Antwoord", parent=parent)

    add_posts(2)
    few = count_export_queries()
    add_posts(10)
    assert count_export_queries() == few
