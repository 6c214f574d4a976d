"""The app as `wsgi.py` builds it, plus `/hello`: the load benchmark's ceiling (the same
gunicorn workers and middleware, no database, no template)."""

from __future__ import annotations

from learncom import create_app

app = create_app()


@app.get("/hello")
def hello() -> str:
    return "hello"
