"""Following posts, tags and neighbourhoods; in-app notifications; @mentions; e-mail digests.

See services.py (follows, notifications), mentions.py, digests.py, subscribers.py (events)."""

from __future__ import annotations


def _following_tag(name: str) -> bool:
    from flask_login import current_user

    from learncom.follow import services
    from learncom.posts import services as post_services

    tag = post_services.get_tag(name) if current_user.is_authenticated else None
    return tag is not None and services.is_following(current_user, tag)


def _following_neighbourhood(hood) -> bool:
    from flask_login import current_user

    from learncom.follow import services

    return services.is_following(current_user, hood)


def _follow_suggestions(limit: int = 8) -> dict:
    """For the welcome page: the tags and neighbourhoods with the most posts the member can
    see, and whether they follow each (four queries)."""
    from flask_login import current_user

    from learncom.follow import services
    from learncom.posts import services as post_services

    following = services.following_of(current_user)
    followed_tags = {tag.name for tag in following.tags}
    followed_hoods = {hood.id for hood in following.neighbourhoods}
    tags = post_services.tag_counts(current_user)[:limit]
    hoods = sorted((pair for pair in post_services.neighbourhood_counts(current_user)
                    if pair[1]), key=lambda pair: (-pair[1], pair[0].name))[:limit]
    return {"tags": [(name, n, name in followed_tags) for name, n in tags],
            "neighbourhoods": [(hood, n, hood.id in followed_hoods) for hood, n in hoods]}


def _follow_state(post, viewer, comments) -> dict:
    """Post-page context: whether the viewer follows the post (one query)."""
    from learncom.follow import services

    return {"following_post": services.is_following(viewer, post)}


def init_app(app) -> None:
    from learncom import slots
    from learncom.follow import cli as _cli  # noqa: F401  (flask learncom send-digests)
    from learncom.follow import (
        personal_data,  # noqa: F401  (my data, account deletion)
        services,
    )
    from learncom.follow import subscribers as _subscribers  # noqa: F401
    from learncom.follow.mentions import mention_links
    from learncom.follow.views import bp
    from learncom.markdown import add_link_finder

    app.register_blueprint(bp)
    add_link_finder(mention_links)  # @Name in a comment links to the member's page
    app.jinja_env.globals.update(following_tag=_following_tag,
                                 following_neighbourhood=_following_neighbourhood,
                                 follow_suggestions=_follow_suggestions)
    slots.add_count("unread", services.unread_count_query)
    slots.add_post_context(_follow_state)
    slots.add_template("head", "follow/_head.html")
    slots.add_template("nav.user", "follow/_nav_user.html")
    slots.add_template("nav.toggle", "follow/_menu_badge.html")
    slots.add_template("post.actions", "follow/_post_button.html")
    slots.add_template("tag.actions", "follow/_tag_button.html")
    slots.add_template("welcome.suggestions", "follow/_welcome.html")
    slots.add_template("neighbourhood.actions", "follow/_neighbourhood_button.html")
