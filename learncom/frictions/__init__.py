"""The friction workflow (change status with a timeline in the thread) and the change board.
See services.py for the transition table."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.frictions import context, services
    from learncom.frictions.views import bp

    app.register_blueprint(bp)
    app.jinja_env.filters["with_timeline"] = services.interleave
    slots.add_template("head", "frictions/_head.html")
    slots.add_template("nav.main", "frictions/_nav.html")
    slots.add_template("post.after_body", "frictions/_status_panel.html")
    slots.add_post_context(context.post_context)
