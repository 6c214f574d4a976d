"""Comment logic. A thread is loaded in one query and assembled into a tree in Python, so the
number of queries on a post page does not grow with the number of comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from learncom import events
from learncom.accounts.models import User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import LogEntry, Post
from learncom.rendered import excerpt

MAX_COMMENT_LENGTH = 20_000

#: Replies nest this many levels deep; deeper replies are listed (in time order) under their
#: ancestor at this level, with a note saying whom they answer. This keeps a thread readable on
#: a phone and keeps a long reply chain from exhausting the template's recursion.
MAX_THREAD_DEPTH = 6


class CommentError(ValueError):
    """A comment that breaks a rule; the message is shown to the user."""


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[ThreadNode] = field(default_factory=list)
    #: Set when the node was lifted out of a thread deeper than MAX_THREAD_DEPTH: the comment
    #: it answers (which is then not the comment it is listed under).
    reply_to: Comment | None = None


def add_comment(post: Post, author: User | None, body: str, parent: Comment | None = None,
                *, created_at: datetime | None = None, imported: bool = False) -> Comment:
    """`imported` comments raise no events (see posts.services.create_post)."""
    if parent is not None and parent.post_id != post.id:
        raise CommentError(_l("You can only reply to a comment on the same post."))
    if parent is not None and parent.is_deleted:
        raise CommentError(_l("That comment was deleted, so you cannot reply to it."))
    comment = Comment(post=post, author=author, parent=parent, body=body)
    if created_at is not None:
        comment.created_at = created_at
    db.session.add(comment)
    db.session.flush()
    if not imported:
        events.emit("comment.created", comment=comment, actor=author)
    return comment


def reply_target(post: Post, parent_id: str | int | None) -> Comment | None:
    """The comment a new reply goes under, from a submitted ``parent_id`` (None: a new comment).

    Raises CommentError when the id is not a live comment on this post. The message is the same
    for a comment that does not exist and one on another post, so it tells nothing about posts
    the member cannot see. Replying to a deleted comment is refused: its text is gone, so a reply
    would answer nothing the reader can see.
    """
    if parent_id is None or (isinstance(parent_id, str) and not parent_id.strip()):
        return None
    try:
        number = int(parent_id)
    except (TypeError, ValueError):
        number = 0
    parent = get_comment(number)
    if parent is None or parent.post_id != post.id:
        raise CommentError(_l("The comment you replied to is not part of this discussion."))
    if parent.is_deleted:
        raise CommentError(_l("That comment was deleted, so you cannot reply to it."))
    return parent


def edit_comment(comment: Comment, body: str) -> bool:
    if comment.is_deleted:
        raise CommentError(_l("A deleted comment cannot be edited."))
    if body == comment.body:
        return False
    comment.body = body
    comment.edited_at = utcnow()
    db.session.flush()
    return True


def delete_comment(comment: Comment) -> None:
    """Keep the row so replies stay in place; drop the text."""
    comment.deleted_at = utcnow()
    comment.body = ""
    db.session.flush()


def thread_for(post: Post) -> list[ThreadNode]:
    """The post's comments as a tree of ThreadNodes, oldest first at every level (one query)."""
    comments = db.session.scalars(
        select(Comment).where(Comment.post_id == post.id)
        .options(joinedload(Comment.author)).order_by(Comment.created_at, Comment.id)).all()
    nodes = {c.id: ThreadNode(c) for c in comments}
    children: dict[int | None, list[ThreadNode]] = {}
    for node in nodes.values():
        parent_id = node.comment.parent_id if node.comment.parent_id in nodes else None
        children.setdefault(parent_id, []).append(node)
    roots = children.get(None, [])
    # Walk down level by level (no recursion, whatever the depth of the data).
    level, depth = roots, 1
    while level:
        next_level: list[ThreadNode] = []
        for node in level:
            if depth < MAX_THREAD_DEPTH:
                node.replies = children.get(node.comment.id, [])
                next_level.extend(node.replies)
            else:
                node.replies = _flattened_descendants(node, children, nodes)
        level, depth = next_level, depth + 1
    return roots


def _flattened_descendants(top: ThreadNode, children: dict[int | None, list[ThreadNode]],
                           nodes: dict[int, ThreadNode]) -> list[ThreadNode]:
    flat: list[ThreadNode] = []
    todo = list(children.get(top.comment.id, []))
    while todo:
        node = todo.pop()
        flat.append(node)
        todo.extend(children.get(node.comment.id, []))
    flat.sort(key=lambda n: (n.comment.created_at, n.comment.id))
    for node in flat:
        node.replies = []
        if node.comment.parent_id != top.comment.id:
            node.reply_to = nodes[node.comment.parent_id].comment
    return flat


def iter_thread(thread: list[ThreadNode]):
    """Every node of a thread, depth first in reading order."""
    stack = list(reversed(thread))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.replies))


def count_comments(thread: list[ThreadNode]) -> int:
    """Comments in a thread that were not deleted (what the heading counts)."""
    return sum(1 for node in iter_thread(thread) if not node.comment.is_deleted)


def get_comment(comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for ids no database column can hold)."""
    if not 0 < comment_id < 2**63:
        return None
    return db.session.get(Comment, comment_id)


def comments_by(user: User, viewer, limit: int = 50) -> list[Comment]:
    """A member's recent comments on posts the viewer can see."""
    return list(db.session.scalars(
        select(Comment).join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == user.id, Comment.deleted_at.is_(None), Post.visible_to(viewer),
               Comment.text_shown_to(viewer))
        .options(selectinload(Comment.post)).order_by(Comment.created_at.desc()).limit(limit)))


def comment_counts(post_ids: list[int]) -> dict[int, int]:
    """Visible (not deleted) comments per post, in one query."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(Comment.post_id, func.count()).where(
            Comment.post_id.in_(post_ids), Comment.deleted_at.is_(None))
        .group_by(Comment.post_id))
    return dict(rows.all())


# -- the home page's "recent activity" ----------------------------------------------------------

@dataclass
class Activity:
    """One line in "recent activity": a comment or a log entry on a post the viewer can see."""

    type: str  # "comment" | "log"
    at: datetime
    post: Post
    actor: User | None
    text: str


def recent_activity(viewer, limit: int = 10) -> list[Activity]:
    """The newest comments and log entries on visible posts, newest first (two statements)."""
    comments = _newest(Comment, viewer, limit, Comment.deleted_at.is_(None),
                       Comment.text_shown_to(viewer))
    entries = _newest(LogEntry, viewer, limit)
    items = [Activity("comment", c.created_at, c.post, c.author, excerpt(c, 140))
             for c in comments]
    items += [Activity("log", e.created_at, e.post, e.author, excerpt(e, 140)) for e in entries]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _newest(model, viewer, limit: int, *conditions) -> list:
    """The newest `limit` comments or log entries on posts the viewer may see. The visibility
    is asked per row (EXISTS), so the database walks the rows newest first through their
    `created_at` index and stops at `limit`; a join let SQLite read every visible post's rows
    and sort them (1.7 s at 1,000,000 comments)."""
    visible = select(Post.id).where(Post.id == model.post_id, Post.visible_to(viewer)).exists()
    return db.session.scalars(
        select(model).where(visible, *conditions)
        .options(joinedload(model.author), joinedload(model.post))
        .order_by(model.created_at.desc(), model.id.desc()).limit(limit)).all()
