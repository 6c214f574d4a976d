"""The welcome page after the first login (issue 13, onboarding): the three kinds of post in
plain Dutch, and tags and neighbourhoods to follow."""

from __future__ import annotations

from sqlalchemy import select

from learncom.accounts.models import User
from learncom.extensions import db
from learncom.follow.models import Follow


def test_the_first_login_shows_the_welcome_page_once(client, auth, create_user):
    newcomer = create_user("Nieuw Lid", kind="resident", welcomed=False)
    response = client.post("/account/inloggen?next=/tags",
                           data={"email": newcomer.email, "password": "correct horse battery"})
    assert response.headers["Location"] == "/welkom?next=/tags"
    assert db.session.scalar(select(User.welcomed_at).where(User.id == newcomer.id))
    page = client.get("/welkom?next=/tags").get_data(as_text=True)
    assert 'id="welcome-continue" href="/tags"' in page
    auth.logout()
    response = auth.login(newcomer)
    assert response.headers["Location"] == "/"


def test_the_welcome_page_explains_the_kinds_in_plain_dutch(client, auth, create_user,
                                                            create_post):
    author = create_user("Anke")
    create_post(author, tags=["eenzaamheid", "buurtkamer"], neighbourhood="Overvecht")
    create_post(author, kind="friction", tags=["eenzaamheid"])
    auth.login(create_user("Bea", kind="resident"))
    page = client.get("/welkom").get_data(as_text=True)
    for words in ("Soorten berichten", "Iets wat je uitprobeert",
                  "Iets wat in de weg zit", "Iets wat je geleerd hebt"):
        assert words in page, words
    assert 'id="welcome-continue" href="/"' in page
    # The tags with the most posts first, and the neighbourhoods with posts, to follow.
    tags = page.split('id="welcome-tags-title"')[1].split("</section>")[0]
    assert tags.index('data-tag="eenzaamheid"') < tags.index('data-tag="buurtkamer"')
    assert 'data-neighbourhood="overvecht"' in page
    assert 'action="/volgen/tag/eenzaamheid"' in page


def test_following_from_the_welcome_page_comes_back_to_it(client, auth, create_user,
                                                          create_post):
    create_post(create_user("Anke"), tags=["schulden"])
    reader = create_user("Bea", kind="resident")
    auth.login(reader)
    response = client.post("/volgen/tag/schulden", data={"state": "on",
                                                        "next": "/welkom?next=/lessen"})
    assert response.headers["Location"] == "/welkom?next=/lessen"
    assert db.session.scalar(select(Follow.active).where(Follow.user_id == reader.id))
    page = client.get("/welkom?next=/lessen").get_data(as_text=True)
    assert 'data-following="true">Ontvolgen' in page


def test_the_welcome_page_needs_a_login(client):
    assert "/account/inloggen" in client.get("/welkom").headers["Location"]
