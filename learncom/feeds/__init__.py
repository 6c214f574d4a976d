"""Atom feeds (views.py, services.py) and the feed links in pages (links.py)."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.feeds import links
    from learncom.feeds.views import bp

    app.register_blueprint(bp)
    links.register(app)
    slots.add_template("head", "feeds/_head.html")
    for slot in ("list.actions", "tag.actions", "neighbourhood.actions", "post.actions"):
        slots.add_template(slot, "feeds/_subscribe.html")
