"""Privacy (AVG): a member's own data as a download, deleting an account, the plain-language
pages, and for coordinators where members posted despite the privacy guard (whose checks live in
learncom/guard, below posts and discussion).

Part of the core, above accounts, posts, discussion and search: it reads and erases what they
hold about a member. Add-ons take part in "my data" and in deleting an account through the
events ``member.exporting`` and ``member.erasing`` (learncom/events.py).
"""

from __future__ import annotations


def init_app(app) -> None:
    from learncom import slots
    from learncom.privacy import services
    from learncom.privacy.views import bp

    app.register_blueprint(bp)
    slots.add_post_context(services.post_context)
    slots.add_template("post.sidebar", "privacy/_overrides_panel.html")
