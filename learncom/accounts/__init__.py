"""Members: accounts, kinds (self-declared badges), roles (rights) and teams. The bottom of the
core: it imports no other feature; what a member's or a team's page lists of other features
comes through learncom/slots.py."""


def init_app(app) -> None:
    from learncom.accounts.views import bp

    app.register_blueprint(bp)
