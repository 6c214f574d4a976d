"""Moderation: members flag posts and comments, coordinators hide, restore or dismiss.
See services.py (the logic) and views.py (the routes)."""


def _post_context(post, viewer, comments) -> dict:
    """For coordinators: the open flags on this post and on each comment (one query)."""
    from learncom.permissions import can_moderate

    if not can_moderate(viewer):
        return {}
    from learncom.moderation.services import open_flag_counts

    on_post, on_comments = open_flag_counts(post, [c.id for c in comments])
    return {"moderation_post_flags": on_post, "moderation_comment_flags": on_comments}


def init_app(app) -> None:
    from learncom import slots
    from learncom.audit.services import register_detail_labels
    from learncom.moderation import personal_data  # noqa: F401  (my data, account deletion)
    from learncom.moderation.services import REASONS, open_target_count_query
    from learncom.moderation.views import bp

    app.register_blueprint(bp)
    register_detail_labels(("content.hidden", "flags.dismissed"), "reason", REASONS)
    register_detail_labels(("content.hidden", "flags.dismissed"), "reasons", REASONS)
    slots.add_count("moderation", open_target_count_query)
    slots.add_template("nav.main", "moderation/_nav.html")
    slots.add_template("post.header", "moderation/_post_header.html")
    slots.add_template("post.actions", "moderation/_post_actions.html")
    slots.add_template("comment.meta", "moderation/_comment_meta.html")
    slots.add_template("comment.actions", "moderation/_comment_actions.html")
    slots.add_post_context(_post_context)
