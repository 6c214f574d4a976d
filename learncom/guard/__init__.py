"""The privacy guard: what looks like a client's personal data in a text (`detect.py`) is stopped
before it is saved (`services.py`), and a member's choice to post it anyway is kept with their
reason (`models.py`, the table ``privacy_overrides``).

Part of the core, below posts and discussion: their forms (and the add-ons' forms and the
importer) check what was typed through `learncom.guard.services`. Reading the records (the post
page's panel and /beheer/privacy for coordinators) is the privacy feature's (learncom/privacy).
"""


def init_app(app) -> None:
    """Nothing to wire: the guard has no pages of its own."""
