"""What the reaction and perspective partials show on the post page and on post cards
(registered with learncom.slots in init_app)."""

from __future__ import annotations

from learncom import vocab
from learncom.reactions import services


def _perspective_rows(counts: dict[str, int]) -> list[dict]:
    """Member kinds that took part, in the vocabulary's order."""
    return [{"kind": kind, "label": label, "count": counts[kind]}
            for kind, label in vocab.MEMBER_KINDS_PLURAL.items() if counts.get(kind)]


def post_context(post, viewer, comments) -> dict:
    """One query for all reactions of the thread; the perspective comes from the loaded thread."""
    for_post, for_comments = services.thread_state(post, viewer)
    counts = services.perspective_of_thread(post, comments)
    return {
        "reactions_post": for_post,
        "reactions_comments": for_comments,
        "perspective_rows": _perspective_rows(counts),
        "perspective_missing": services.missing_resident_voice(counts),
    }


def card_context(posts, viewer) -> dict[int, dict]:
    """Friction cards show how widely felt they are (herkenbaar count); every card says when no
    resident or expert by experience took part. One grouped query each for the whole list."""
    posts = list(posts)
    ids = [post.id for post in posts]
    perspectives = services.perspective_counts(ids)
    frictions = [post.id for post in posts if post.kind == "friction"]
    felt = services.counts_for_posts(frictions, "recognise") if frictions else {}
    extras: dict[int, dict] = {}
    for post in posts:
        values = {"perspective_missing": services.missing_resident_voice(perspectives[post.id])}
        if post.kind == "friction":
            values["recognise_count"] = felt.get(post.id, 0)
        extras[post.id] = values
    return extras
