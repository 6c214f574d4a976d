"""Site-wide pages that belong to no feature: health check and language switch."""


def init_app(app) -> None:
    from learncom.core.views import bp

    app.register_blueprint(bp)
