"""Discussion: threaded comments on every post. Part of the core, on top of posts: the post
page, cards, the home page and a member's page get their part of it through learncom/slots.py."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.discussion import context
    from learncom.discussion.views import bp

    app.register_blueprint(bp)
    slots.set_thread(context.thread)
    slots.add_card_context(context.card_context)
    slots.add_page_context("home", context.home)
    slots.add_page_context("member", context.member)
    slots.add_template("post.discussion", "discussion/_thread.html")
    slots.add_template("home.activity", "discussion/_activity.html")
    slots.add_template("member.sections", "discussion/_member_comments.html")
