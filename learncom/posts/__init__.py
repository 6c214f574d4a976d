"""Posts: experiments, frictions and lessons, with tags, wijken, links, revisions and logs.
Part of the core, on top of accounts; a member's and a team's page list their posts through
learncom/slots.py."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.posts import context
    from learncom.posts.views import bp

    app.register_blueprint(bp)
    slots.add_page_context("member", context.member)
    slots.add_page_context("team", context.team)
    slots.add_template("member.sections", "posts/_member_posts.html")
    slots.add_template("team.sections", "posts/_team_posts.html")
