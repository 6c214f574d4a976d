"""Privacy (AVG): the guard that stops a client's personal data before it is saved, a member's
own data as a download, deleting an account, and the plain-language pages.

Part of the core, like accounts, posts and discussion: the core imports the guard
(`learncom.privacy.guard`), and add-ons take part in "my data" and in deleting an account
through the events ``member.exporting`` and ``member.erasing`` (learncom/events.py).
"""

from __future__ import annotations


def _post_context(post, viewer, comments) -> dict:
    """For coordinators: where this post's texts were posted despite a warning."""
    from learncom.privacy import guard, services

    rows = services.overrides_on(post, viewer)
    return {"privacy_overrides": rows, "privacy_kind_names": guard.kind_names,
            "privacy_target_url": services.target_url} if rows else {}


def member_page_visible(user) -> bool:
    """For templates (also in macros imported without context): link to this member's page?"""
    from flask_login import current_user

    return user is not None and user.page_visible_to(current_user)


def init_app(app) -> None:
    from learncom import slots
    from learncom.privacy.views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["member_page_visible"] = member_page_visible
    slots.add_post_context(_post_context)
    slots.add_template("post.sidebar", "privacy/_overrides_panel.html")
