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
