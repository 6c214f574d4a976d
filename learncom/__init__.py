"""learncom: a learning platform for the Dutch social domain."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from learncom import web
from learncom.web import App

ROOT = Path(__file__).resolve().parent.parent

# The core, in layers: each package imports only those before it (tests/test_architecture.py).
# "core" holds the site-wide pages (health check, language) and sits on top.
CORE = ("accounts", "guard", "posts", "discussion", "search", "privacy", "core")
# The add-ons: they import the core, never the other way round, and plug into its pages
# (learncom/slots.py), events (learncom/events.py) and contribution hooks. Each package has an
# `init_app(app)`.
FEATURES = ("frictions", "reactions", "curation", "bundles", "applications", "dashboard",
            "moderation", "audit", "follow", "feeds", "api")


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass a database URL and paths)."""
    instance_path = os.environ.get("LEARNCOM_INSTANCE_PATH") or str(ROOT / "instance")
    app = App(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if config is None:
        from learncom.config import load_config

        app.config.update(load_config(Path(app.instance_path)))
    else:
        app.config.update(config)
    app.config.setdefault("PER_PAGE", 20)
    app.config.setdefault("SITE_NAME", "learncom")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nl")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "learncom" / "translations"))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config.setdefault("SITE_URL", web.DEFAULT_SITE_URL)
    if not app.config.get("TRUSTED_HOSTS"):
        # Flask answers 400 to a request whose Host is not in this list.
        app.config["TRUSTED_HOSTS"] = web.trusted_hosts(app.config["SITE_URL"])

    _init_extensions(app)
    from learncom.web import BoundedIntConverter, CleanRequest

    app.request_class = CleanRequest
    app.url_map.converters["int"] = BoundedIntConverter
    _register_blueprints(app)

    from learncom import errors, permissions, ratelimit, slots

    ratelimit.init_app(app)
    if app.config.get("PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address from X-Forwarded-For (rate limits count per address). URLs
        # never come from forwarded headers: they are built from SITE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXIES"]), x_proto=0,
                                x_host=0, x_port=0, x_prefix=0)

    errors.register(app)
    web.register(app)
    slots.register(app)
    permissions.register(app)

    from learncom.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from learncom import models  # noqa: F401  (every table on the metadata)
    from learncom.extensions import babel, configure_sqlite, csrf, db, login_manager, migrate
    from learncom.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    from learncom import mail

    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from learncom.accounts.sessions import load_user

    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to continue.")


def _register_blueprints(app: Flask) -> None:
    import importlib

    for feature in (*CORE, *FEATURES):
        importlib.import_module(f"learncom.{feature}").init_app(app)
