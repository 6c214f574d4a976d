"""Bundles of curated lessons (and the posts behind them) for a council or a team day: a page,
a print version and a Markdown export. See views.py and services.py."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.bundles.views import bp

    app.register_blueprint(bp)
    slots.add_template("head", "bundles/_head.html")
    slots.add_template("nav.main", "bundles/_nav.html")
