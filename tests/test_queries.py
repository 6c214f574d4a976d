"""The number of SQL statements per page does not grow with the number of posts or comments."""

from __future__ import annotations

from datetime import date

from learncom.extensions import db
from learncom.posts import services
from tests.helpers import queries_for

KINDS = ("experiment", "friction", "lesson")
MEMBER_KINDS = ("professional", "resident", "volunteer", "expert_by_experience", "civil_servant")


def add_posts(authors, create_post, create_comment, start: int, stop: int):
    for n in range(start, stop):
        author = authors[n % len(authors)]
        post = create_post(author, kind=KINDS[n % 3], title=f"Post {n}",
                           tags=[f"tag-{n % 7}", f"tag-{n % 5}", "gedeeld"],
                           neighbourhood=f"Wijk {n % 4}",
                           team="Team A" if n % 6 == 0 else None,
                           visibility="team" if n % 6 == 0 else "public",
                           **({"curated": n % 2 == 0} if n % 3 == 2 else {}))
        create_comment(post, authors[(n + 1) % len(authors)], f"Reactie {n}")
        if post.kind == "experiment":
            services.add_log_entry(post, author, f"Logboek {n}", date(2025, 1, 1 + n % 28))
    db.session.commit()


def test_lists_do_not_grow_with_the_number_of_posts(client, auth, create_user, create_post,
                                                    create_comment):
    authors = [create_user(f"Auteur {k}", kind=k, teams=["Team A"]) for k in MEMBER_KINDS]
    urls = ["/", "/experimenten", "/lessen?status=idea", "/fricties?tag=gedeeld",
            "/tags", "/tags/gedeeld", "/wijken", "/wijken/wijk-1"]
    # Six posts: each home-page section has a card already (curated and new lessons apart).
    add_posts(authors, create_post, create_comment, 0, 6)
    auth.login(authors[0])
    few = {url: queries_for(client, url) for url in urls}
    add_posts(authors, create_post, create_comment, 6, 40)
    many = {url: queries_for(client, url) for url in urls}
    for url in urls:
        print(f"queries {url}: {few[url]} with 6 posts, {many[url]} with 40 posts")
    assert many == few


def test_post_page_does_not_grow_with_the_number_of_comments(client, auth, create_user,
                                                             create_post, create_comment):
    members = [create_user(f"Lid {n}", kind=MEMBER_KINDS[n % 5], teams=["Team A"])
               for n in range(10)]
    post = create_post(members[0], title="Veel besproken", tags=["a", "b", "c"],
                       neighbourhood="Overvecht", team="Team A", visibility="team")
    others = [create_post(members[1], kind="friction", title=f"Frictie {n}") for n in range(3)]
    for other in others:
        services.add_link(post, other, "addresses", members[0])
    db.session.commit()

    def add_comments(start: int, stop: int):
        comments = []
        for n in range(start, stop):
            parent = comments[-1] if n % 3 and comments else None
            comments.append(create_comment(post, members[n % 10], f"Reactie {n}", parent=parent))
            if n % 5 == 0:
                services.add_log_entry(post, members[n % 10], f"Log {n}", date(2025, 2, 1))
        db.session.commit()

    add_comments(0, 5)
    auth.login(members[0])
    url = f"/posts/{post.id}"
    few = queries_for(client, url)
    anonymous_view = queries_for(client, f"/posts/{others[0].id}")
    add_comments(5, 50)
    many = queries_for(client, url)
    print(f"queries post page: {few} with 5 comments, {many} with 50 comments "
          f"(anonymous-visible friction page: {anonymous_view})")
    assert many == few


# The load benchmark's goal (issue 14): no page runs more than this many SQL statements.
MAX_STATEMENTS = 15


def test_no_page_runs_more_than_fifteen_statements(client, auth, people, create_user,
                                                   create_post, create_comment):
    """Every main page, for a visitor, a member and a coordinator, on a world with every
    kind, a friction with a status history, threads, links, reactions, flags and drafts."""
    from learncom.frictions import services as frictions
    from learncom.moderation import services as moderation
    from learncom.reactions import services as reactions

    authors = [create_user(f"Auteur {k}", kind=k, teams=["Team A"]) for k in MEMBER_KINDS]
    authors[0].public_profile = True  # a member page visitors may open
    add_posts(authors, create_post, create_comment, 0, 12)
    friction = create_post(authors[1], kind="friction", title="Wachtlijst",
                           tags=["gedeeld", "wmo"], neighbourhood="Wijk 1")
    frictions.change_status(friction, people["coordinator"], "on_agenda", "Besproken")
    comment = create_comment(friction, authors[2], "Herkenbaar")
    create_comment(friction, authors[3], "Bij ons ook", parent=comment)
    services.add_link(friction, db.session.get(type(friction), 1), "related", authors[1])
    reactions.toggle(people["member"], "recognise", post=friction)
    moderation.flag(people["member"], comment, "other", "Noemt een straat.")
    services.create_post(people["member"], services.PostInput(
        kind="experiment", title="Mijn concept", tags=["concept"]), draft=True)
    db.session.commit()
    pages = ["/", "/experimenten", "/fricties?status=on_agenda", "/lessen", "/tags",
             "/tags/gedeeld", "/wijken", "/wijken/wijk-1", f"/posts/{friction.id}", "/posts/4",
             "/leden", f"/leden/{authors[0].id}", "/teams", "/bundels", "/zoeken?q=wachtlijst"]
    member_pages = ["/verandering", "/meldingen", "/mijn/concepten", "/account/profiel"]
    coordinator_pages = ["/curatie", "/dashboard", "/beheer/moderatie"]
    found = {}
    for who, extra in (("anonymous", []), ("member", member_pages),
                       ("coordinator", member_pages + coordinator_pages)):
        if who != "anonymous":
            auth.login(people[who])
        for url in pages + extra:
            found[(who, url)] = queries_for(client, url)
        auth.logout()
    over = {key: n for key, n in found.items() if n > MAX_STATEMENTS}
    print("statements per page:", found)
    assert not over, over


def test_an_anonymous_post_page_finds_its_promotions_from_the_post(create_user, create_post):
    """The query planner knows how the data is spread: without statistics SQLite took the
    anonymous visibility condition (`visibility = 'public'`) for a rare value and read every
    public post to find one post's promotions (140-180 ms at 100,000 posts). The first
    connection of each process gathers statistics (`extensions._analyse`); PostgreSQL keeps
    its own (autovacuum)."""
    from flask_login import AnonymousUserMixin
    from sqlalchemy import create_engine, event

    from learncom.curation.services import promotions_around
    from learncom.extensions import configure_sqlite

    author = create_user("Anke", teams=["Team A"])
    posts = [create_post(author, title=f"Post {n}", tags=("buurt",),
                         visibility=("public", "members", "team")[n % 3],
                         team="Team A" if n % 3 == 2 else None) for n in range(150)]
    seen: list = []

    def capture(_conn, _cursor, statement, parameters, *_args):
        if "promotions" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        promotions_around(posts[0], AnonymousUserMixin())
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    db.session.rollback()  # as a request ends: the new connection analyses without waiting
    if db.engine.dialect.name == "sqlite":
        engine = create_engine(db.engine.url)  # a process's first connection
        configure_sqlite(engine)
        with engine.connect() as connection:
            plan = " | ".join(str(row[3]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
        engine.dispose()
        assert "ix_posts_visibility" not in plan, plan
        assert plan.startswith("MULTI-INDEX OR"), plan
    else:
        connection = db.session.connection()
        connection.exec_driver_sql("ANALYZE posts")
        plan = " | ".join(row[0] for row in connection.exec_driver_sql(
            f"EXPLAIN {statement}", parameters))
        assert "ix_posts_visibility" not in plan, plan


def test_loading_the_logged_in_member_looks_their_teams_up_by_index(create_user):
    """Every page of a logged-in member loads them and their teams (accounts/sessions.py). With
    the teams joined to the login session's statement, SQLite materialised every team
    membership of every member for each request (6 ms at 13,000 memberships); they are now
    looked up by the member's id. Neither engine may read team_members whole."""
    from sqlalchemy import event

    from learncom.accounts.sessions import load_user, start_session

    for n in range(40):
        create_user(teams=[f"Team {n % 8}", f"Team {(n + 3) % 8}"])
    member = create_user("Anke", teams=["Team 1", "Team 2"])
    token = start_session(member)
    db.session.commit()
    db.session.expunge_all()
    seen: list = []

    def capture(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        loaded = load_user(token)
        assert [team.name for team in loaded.teams] == ["Team 1", "Team 2"]
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    connection = db.session.connection()
    sqlite = db.engine.dialect.name == "sqlite"
    if not sqlite:  # only a missing index may make PostgreSQL read a table whole
        connection.exec_driver_sql("ANALYZE team_members")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plans = []
    for statement, parameters in seen:
        rows = connection.exec_driver_sql(
            f"EXPLAIN {'QUERY PLAN ' if sqlite else ''}{statement}", parameters)
        plans.append(" | ".join(str(row[3] if sqlite else row[0]) for row in rows))
    db.session.rollback()
    assert any("team_members" in plan for plan in plans), plans
    for plan in plans:
        assert "MATERIALIZE" not in plan, plan
        assert "SCAN team_members" not in plan, plan
        assert "Seq Scan on team_members" not in plan, plan
