"""A kind of post is one declaration (learncom/posts/kinds.py): a fifth kind declared in a
fresh process shows up in every surface without another file changing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from learncom.posts.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent

# Runs in its own process: a kind must be declared before the models are built from the table.
FIFTH_KIND = textwrap.dedent("""
    import json, sys
    from learncom.posts import kinds
    from learncom.posts.kinds import Kind, KindField

    kinds.declare(Kind(
        "idea", "Idea", "Ideas", "An idea", "New idea", "Edit idea", "About the idea",
        "Something you might try.", "Something you might try, before it is an experiment.",
        slug="ideeen", new_slug="idee", colour="#7a4b00", aliases=("ideas", "ideeen"),
        status_field="ripeness", fields=(
            KindField("ripeness", "choice", "Ripeness", choices={"raw": "Raw", "ripe": "Ripe"},
                      default="raw", required=True, length=8, index=True),
            KindField("inspiration", "text", "Inspiration"),
        )))

    from learncom import create_app
    from learncom.accounts.models import User
    from learncom.accounts.services import hash_password
    from learncom.dashboard import charts
    from learncom.extensions import db
    from learncom.posts.models import Post
    from learncom.search import query

    tmp = sys.argv[1]
    app = create_app({
        "TESTING": True, "SECRET_KEY": "k", "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/db.sqlite", "SITE_URL": "http://localhost",
        "SEARCH_INDEX_DIR": f"{tmp}/index", "PER_PAGE": 20, "RATELIMIT_ENABLED": False})
    seen = {}
    with app.app_context():
        db.create_all()
        db.session.add(User(email="c@example.org", name="Coördinator", role="coordinator",
                            kind="professional", password_hash=hash_password("geheim-wachtwoord-1"),
                            welcomed_at=db.func.now()))
        db.session.commit()
        client = app.test_client()
        client.post("/account/inloggen",
                    data={"email": "c@example.org", "password": "geheim-wachtwoord-1"})
        seen["choose"] = client.get("/posts/nieuw").get_data(as_text=True)
        seen["form"] = client.get("/posts/nieuw/idee").get_data(as_text=True)
        seen["create"] = client.post("/posts/nieuw/idee", data={
            "title": "Een soepbus in de wijk", "body": "Rijdt langs.", "tags": "eten",
            "visibility": "public", "ripeness": "ripe", "inspiration": "Een *soepbus* elders",
        }).status_code
        post = db.session.scalar(db.select(Post))
        seen["stored"] = [post.kind, post.ripeness, post.list_status_label, post.kind_label]
        seen["list"] = client.get("/ideeen").get_data(as_text=True)
        seen["list_raw"] = client.get("/ideeen?status=raw").get_data(as_text=True)
        seen["show"] = client.get(f"/posts/{post.id}").get_data(as_text=True)
        seen["css"] = client.get("/kinds.css").get_data(as_text=True)
        seen["feed"] = client.get("/feeds/ideeen.atom").get_data(as_text=True)
        seen["openapi"] = client.get("/api/v1/openapi.json").get_json()
        seen["api_list"] = client.get("/api/v1/posts?kind=idea").get_json()
        seen["api_status"] = client.get("/api/v1/posts?status=ripe").get_json()
        seen["api_post"] = client.get(f"/api/v1/posts/{post.id}").get_json()
        seen["dashboard"] = client.get("/dashboard").get_data(as_text=True)
        seen["colour"] = charts.COLOURS["idea"]
        seen["kind_alias"] = query.normalise_value("kind", "ideeen")
        seen["status_value"] = query.normalise_value("status", "ripe")
    print(json.dumps(seen))
""")


def test_a_fifth_kind_declared_once_reaches_every_surface(tmp_path):
    done = subprocess.run([sys.executable, "-c", FIFTH_KIND, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert 'href="/posts/nieuw/idee"' in seen["choose"] and "An idea" in seen["choose"]
    assert "New idea" in seen["form"] and 'name="ripeness"' in seen["form"]
    assert 'name="inspiration"' in seen["form"]
    assert seen["create"] == 302
    assert seen["stored"] == ["idea", "ripe", "Ripe", "Idea"]
    # Its list, in the menu of every page, filtered on its status.
    assert "<h1>Ideas</h1>" in seen["list"] and "Een soepbus in de wijk" in seen["list"]
    assert 'href="/ideeen"' in seen["show"] and "Ripe" in seen["show"]
    assert "<em>soepbus</em>" in seen["show"]
    assert "Een soepbus in de wijk" not in seen["list_raw"]
    assert "--idea: #7a4b00;" in seen["css"] and ".card-idea" in seen["css"]
    assert "Een soepbus in de wijk" in seen["feed"]
    schemas = seen["openapi"]["components"]["schemas"]
    assert schemas["IdeaFields"]["properties"]["ripeness"]["enum"] == ["raw", "ripe"]
    assert "idea" in schemas["PostItem"]["properties"]["kind"]["enum"]
    assert [item["kind"] for item in seen["api_list"]["items"]] == ["idea"]
    assert [item["kind"] for item in seen["api_status"]["items"]] == ["idea"]
    assert seen["api_post"]["fields"]["ripeness"] == "ripe"
    assert "Ideas" in seen["dashboard"] and 'data-kind="idea"' in seen["dashboard"]
    assert seen["colour"] == "#7a4b00"
    assert seen["kind_alias"] == "idea" and seen["status_value"] == "ripe"


def test_the_three_kinds_keep_their_urls_and_colours():
    assert {k.name: (k.slug, k.new_slug, k.colour) for k in KINDS.values()} == {
        "experiment": ("experimenten", "experiment", "#1f6f43"),
        "friction": ("fricties", "frictie", "#a23b12"),
        "lesson": ("lessen", "les", "#5b3d99"),
    }


def test_no_file_but_the_declaration_spells_a_kinds_url_label_or_colour():
    """The facts of a kind live in kinds.py; other code and templates read them from there."""
    facts = ("experimenten", "fricties", "lessen", "#a23b12", "#5b3d99", "ExperimentFields",
             "POST_KINDS", "vocab.KIND_SLUGS", "STATUSES_BY_KIND", "card-experiment",
             "kind-friction")
    found = []
    for folder, pattern in (("learncom", "*.py"), ("templates", "*.html"), ("static", "*.css"),
                            ("static", "*.js")):
        for path in (ROOT / folder).rglob(pattern):
            if path.name == "kinds.py" or "demo" in path.parts or "pages" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {fact}" for fact in facts if fact in text]
    assert found == []
