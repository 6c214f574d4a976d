"""See views.py and services.py."""


def init_app(app) -> None:
    from learncom.dashboard.views import bp

    app.register_blueprint(bp)
