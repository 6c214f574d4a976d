def test_healthz(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    database = "postgresql" if "postgresql" in app.config["SQLALCHEMY_DATABASE_URI"] else "sqlite"
    assert response.get_json() == {"status": "ok", "database": database, "search": "whoosh"}


def test_home_shows_public_posts(client, create_user, create_post):
    author = create_user("Anke")
    create_post(author, title="Buurtkamer als vindplaats voor eenzame ouderen")
    response = client.get("/")
    assert response.status_code == 200
    assert "Buurtkamer als vindplaats voor eenzame ouderen" in response.get_data(as_text=True)


def test_nul_characters_in_forms_and_queries_are_dropped(client, auth, create_user, create_post):
    """PostgreSQL text cannot hold NUL; a pasted NUL must not turn into a server error."""
    from learncom.discussion.models import Comment
    from learncom.extensions import db

    author = create_user("Anke")
    post = create_post(author)
    auth.login(author)
    response = client.post(f"/posts/{post.id}/reacties", data={"body": "Her\x00kenbaar"})
    assert response.status_code == 302
    assert db.session.query(Comment).one().body == "Herkenbaar"
    for url in ("/experimenten?tag=zorg%00x", "/zoeken?q=buurt%00kamer", "/leden?q=%00"):
        assert client.get(url).status_code == 200
