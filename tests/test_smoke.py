def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_home_shows_public_posts(client, create_user, create_post):
    author = create_user("Anke")
    create_post(author, title="Buurtkamer als vindplaats voor eenzame ouderen")
    response = client.get("/")
    assert response.status_code == 200
    assert "Buurtkamer als vindplaats voor eenzame ouderen" in response.get_data(as_text=True)
