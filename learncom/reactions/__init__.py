"""Reactions ("herkenbaar", "nuttig") on posts and comments, and perspective balance (who took
part in a thread, by member kind). See services.py; the pages get their part through slots."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.reactions import (
        context,
        personal_data,  # noqa: F401  (my data, account deletion)
    )
    from learncom.reactions.views import bp

    app.register_blueprint(bp)
    slots.add_template("head", "reactions/_head.html")
    slots.add_template("post.actions", "reactions/_post_reactions.html")
    slots.add_template("comment.meta", "reactions/_comment_counts.html")
    slots.add_template("comment.actions", "reactions/_comment_reactions.html")
    slots.add_template("post.sidebar", "reactions/_perspectives.html")
    slots.add_template("card.meta", "reactions/_card_meta.html")
    slots.add_post_context(context.post_context)
    slots.add_card_context(context.card_context)
