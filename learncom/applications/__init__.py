"""Lessons applied: where a lesson was put to use since, and whether the friction came back.
See services.py (logic), forms.py and views.py."""


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from learncom import slots
    from learncom.applications import (
        indexing,  # noqa: F401  (the applied count in the search index)
        personal_data,  # noqa: F401  (my data, account deletion)
        services,
    )
    from learncom.applications.views import bp
    from learncom.posts import services as post_services

    app.register_blueprint(bp)
    slots.add_template("head", "applications/_head.html")
    slots.add_template("post.after_body", "applications/_section.html")
    slots.add_template("card.meta", "applications/_card_meta.html")
    slots.add_post_context(services.post_context)
    slots.add_card_context(services.card_context)
    post_services.add_list_sort("lesson", "applied", _l("Most often applied"),
                                services.order_by_applied)
