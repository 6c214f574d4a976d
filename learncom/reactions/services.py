"""Reactions ("herkenbaar", "nuttig") and perspective balance (who took part in a thread).

Counts are read in one grouped query per page or list, never one per post or comment. The
herkenbaar count of a friction is its "how widely felt" figure.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, delete, func, or_, select, union
from sqlalchemy.exc import IntegrityError

from learncom.accounts.models import User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Post
from learncom.reactions.models import REACTION_KINDS, Reaction

#: Dutch URL segment per reaction kind, and back.
KIND_SLUGS = {"recognise": "herkenbaar", "useful": "nuttig"}
SLUG_KINDS = {slug: kind for kind, slug in KIND_SLUGS.items()}

#: A thread without any of these member kinds is flagged: residents' voices are missing.
RESIDENT_VOICES = ("resident", "expert_by_experience")


class ReactionError(ValueError):
    """A reaction that breaks a rule (say, on your own post)."""


# -- toggling ----------------------------------------------------------------------------------

def _target_condition(post: Post | None, comment: Comment | None):
    if (post is None) == (comment is None):
        raise ValueError("A reaction needs exactly one target: a post or a comment.")
    if post is not None:
        return Reaction.post_id == post.id
    return Reaction.comment_id == comment.id


def toggle(user: User, kind: str, post: Post | None = None, comment: Comment | None = None) -> bool:
    """Switch the member's reaction of this kind on the target; returns whether it is now on.

    Two requests at once (a double click) must not fail: the unique index decides. Removing is
    a bulk DELETE (nothing to go stale); adding runs in a savepoint, and when another request
    added the same reaction first, the reaction simply is on, which is what was asked.
    """
    if kind not in REACTION_KINDS:
        raise ValueError(f"Unknown reaction kind: {kind!r}")
    target = post if post is not None else comment
    condition = _target_condition(post, comment)
    if target is not None and target.author_id == user.id:
        raise ReactionError("Members cannot react to their own posts or comments.")
    removed = db.session.execute(
        delete(Reaction).where(condition, Reaction.user_id == user.id, Reaction.kind == kind)
        .execution_options(synchronize_session=False))
    if removed.rowcount:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Reaction(user_id=user.id, kind=kind,
                                    post_id=post.id if post is not None else None,
                                    comment_id=comment.id if comment is not None else None))
    except IntegrityError:
        return True  # a concurrent request added it first
    return True


def count_for(kind: str, post: Post | None = None, comment: Comment | None = None) -> int:
    return db.session.scalar(
        select(func.count(Reaction.id)).where(_target_condition(post, comment),
                                              Reaction.kind == kind)) or 0


# -- counts for pages and lists ----------------------------------------------------------------

def counts_for_posts(post_ids, kind: str = "recognise") -> dict[int, int]:
    """Reactions of one kind per post, in one query; posts without any are left out."""
    post_ids = list(post_ids)
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(Reaction.post_id, func.count(Reaction.id))
        .where(Reaction.post_id.in_(post_ids), Reaction.kind == kind)
        .group_by(Reaction.post_id))
    return dict(rows.all())


def _empty_counts() -> dict[str, int]:
    return {kind: 0 for kind in REACTION_KINDS}


def counts_for_comments(comment_ids) -> dict[int, dict[str, int]]:
    """Per comment, the count of each reaction kind (zeros included), in one query."""
    comment_ids = list(comment_ids)
    counts: dict[int, dict[str, int]] = {cid: _empty_counts() for cid in comment_ids}
    if not comment_ids:
        return counts
    rows = db.session.execute(
        select(Reaction.comment_id, Reaction.kind, func.count(Reaction.id))
        .where(Reaction.comment_id.in_(comment_ids))
        .group_by(Reaction.comment_id, Reaction.kind))
    for comment_id, kind, number in rows:
        counts[comment_id][kind] = number
    return counts


def thread_state(post: Post, viewer) -> tuple[dict[str, dict], dict[int, dict[str, dict]]]:
    """Everything the post page shows about reactions, in one query for the whole thread:
    per kind ``{"count": n, "active": bool}`` for the post and for each comment that has any
    (``active``: the viewer gave it)."""
    viewer_id = viewer.id if viewer is not None and viewer.is_authenticated else 0  # 0: no one
    mine = func.max(case((Reaction.user_id == viewer_id, 1), else_=0))
    rows = db.session.execute(
        select(Reaction.post_id, Reaction.comment_id, Reaction.kind, func.count(Reaction.id),
               mine)
        .where(or_(Reaction.post_id == post.id,
                   Reaction.comment_id.in_(select(Comment.id).where(Comment.post_id == post.id))))
        .group_by(Reaction.post_id, Reaction.comment_id, Reaction.kind))
    for_post = {kind: {"count": 0, "active": False} for kind in REACTION_KINDS}
    for_comments: dict[int, dict[str, dict]] = defaultdict(
        lambda: {kind: {"count": 0, "active": False} for kind in REACTION_KINDS})
    for post_id, comment_id, kind, number, active in rows:
        target = for_post if post_id is not None else for_comments[comment_id]
        target[kind] = {"count": number, "active": bool(active)}
    return for_post, for_comments


# -- perspective balance -----------------------------------------------------------------------

def perspective_counts(post_ids) -> dict[int, dict[str, int]]:
    """Per post, how many members of each kind took part in its thread (the author and every
    comment author, each member once), in one query. Deleted comments and comments hidden by
    moderation do not count; posts with no participants map to an empty dict."""
    post_ids = list(post_ids)
    counts: dict[int, dict[str, int]] = {post_id: {} for post_id in post_ids}
    if not post_ids:
        return counts
    participants = union(
        select(Post.id.label("post_id"), Post.author_id.label("user_id"))
        .where(Post.id.in_(post_ids), Post.author_id.is_not(None)),
        select(Comment.post_id.label("post_id"), Comment.author_id.label("user_id"))
        .where(Comment.post_id.in_(post_ids), Comment.author_id.is_not(None),
               Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)),
    ).subquery()
    # Each participant's kind looked up by id: a join let PostgreSQL hash every member (7 ms
    # at 20,000 members, for the few hundred participants of a page of cards).
    kind = select(User.kind).where(User.id == participants.c.user_id).scalar_subquery()
    tagged = select(participants.c.post_id, kind.label("kind")).subquery()
    rows = db.session.execute(
        select(tagged.c.post_id, tagged.c.kind, func.count())
        .group_by(tagged.c.post_id, tagged.c.kind))
    for post_id, kind, number in rows:
        counts[post_id][kind] = number
    return counts


def perspective_of_thread(post: Post, comments) -> dict[str, int]:
    """The same figure as perspective_counts, from a thread already loaded (no query)."""
    members: dict[int, str] = {}
    if post.author is not None:
        members[post.author.id] = post.author.kind
    for comment in comments:
        if comment.is_deleted or comment.is_hidden or comment.author is None:
            continue
        members[comment.author.id] = comment.author.kind
    counts: dict[str, int] = {}
    for kind in members.values():
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def missing_resident_voice(counts: dict[str, int]) -> bool:
    """True when no resident and no expert by experience took part."""
    return not any(counts.get(kind) for kind in RESIDENT_VOICES)
