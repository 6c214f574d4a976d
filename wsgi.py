"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from learncom import create_app

app = create_app()
