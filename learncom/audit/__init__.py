"""The audit log: every coordinator and admin action. subscribers.py writes rows for the
domain events (learncom/events.py) that features emit; views.py shows the log to admins."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.audit import (
        personal_data,  # noqa: F401  (my data, account deletion)
        subscribers,  # noqa: F401  (subscribes to the events)
    )
    from learncom.audit.views import bp

    app.register_blueprint(bp)
    slots.add_template("nav.main", "audit/_nav.html")
