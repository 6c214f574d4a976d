"""The coordinators' dashboard (see services.py for the figures, charts.py for the SVG)."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.dashboard.views import bp

    app.register_blueprint(bp)
    slots.add_template("nav.main", "dashboard/_nav.html")
