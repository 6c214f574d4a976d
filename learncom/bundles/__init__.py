"""Bundles of curated lessons (and the posts behind them) for a council or a team day: a page,
a print version and a Markdown export. See views.py and services.py."""


def _audit_view(bundle) -> tuple[str, str | None]:
    from learncom.audit.services import optional_url

    return bundle.title, optional_url("bundles.show", slug=bundle.slug)


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from learncom import slots
    from learncom.audit.services import register_target
    from learncom.bundles.models import Bundle
    from learncom.bundles.views import bp

    app.register_blueprint(bp)
    register_target("bundles", _l("Bundle"), Bundle, _audit_view)
    slots.add_template("head", "bundles/_head.html")
    slots.add_template("nav.main", "bundles/_nav.html")
