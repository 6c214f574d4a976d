"""Lessons applied: where a lesson was put to use since, and whether the friction came back.
See services.py (logic), forms.py and views.py."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.applications import (
        personal_data,  # noqa: F401  (my data, account deletion)
        services,
    )
    from learncom.applications.views import bp

    app.register_blueprint(bp)
    slots.add_template("head", "applications/_head.html")
    slots.add_template("post.after_body", "applications/_section.html")
    slots.add_template("card.meta", "applications/_card_meta.html")
    slots.add_post_context(services.post_context)
    slots.add_card_context(services.card_context)
