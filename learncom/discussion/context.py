"""What the discussion adds to other features' pages (registered with learncom.slots in
init_app): the thread under a post, comment counts on cards, the home page's recent activity and
a member's recent comments."""

from __future__ import annotations

from learncom.discussion import services
from learncom.rendered import excerpt

#: How many recent comments a member's page lists.
MEMBER_COMMENTS = 20


def thread(post, viewer) -> tuple[dict, list]:
    """The post page's thread (one query), and its comments in reading order for the other
    features' post contexts."""
    nodes = services.thread_for(post)
    return {"thread": nodes}, [node.comment for node in services.iter_thread(nodes)]


def card_context(posts, viewer) -> dict[int, dict]:
    """Every card says how many comments its post has (one grouped query for the list)."""
    counts = services.comment_counts([post.id for post in posts])
    return {post.id: {"comments": counts.get(post.id, 0)} for post in posts}


def home(viewer) -> dict:
    return {"activity": services.recent_activity(viewer)}


def member(member, viewer) -> dict:
    return {"member_comments": [(comment, excerpt(comment, 200)) for comment in
                                services.comments_by(member, viewer, limit=MEMBER_COMMENTS)]}
