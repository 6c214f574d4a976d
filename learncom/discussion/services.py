"""Comment logic. A thread is loaded in one query and assembled into a tree in Python, so the
number of queries on a post page does not grow with the number of comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom.accounts.models import User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.markdown import render_markdown
from learncom.posts.models import Post

MAX_COMMENT_LENGTH = 20_000


class CommentError(ValueError):
    """A comment that breaks a rule; the message is shown to the user."""


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[ThreadNode] = field(default_factory=list)


def add_comment(post: Post, author: User | None, body: str, parent: Comment | None = None,
                *, created_at: datetime | None = None) -> Comment:
    if parent is not None and parent.post_id != post.id:
        raise CommentError("The reply belongs to another post.")
    comment = Comment(post=post, author=author, parent=parent, body=body,
                      body_html=str(render_markdown(body)))
    if created_at is not None:
        comment.created_at = created_at
    db.session.add(comment)
    db.session.flush()
    return comment


def edit_comment(comment: Comment, body: str) -> bool:
    if body == comment.body:
        return False
    comment.body = body
    comment.body_html = str(render_markdown(body))
    comment.edited_at = utcnow()
    db.session.flush()
    return True


def delete_comment(comment: Comment) -> None:
    """Keep the row so replies stay in place; drop the text."""
    comment.deleted_at = utcnow()
    comment.body = ""
    comment.body_html = ""
    db.session.flush()


def thread_for(post: Post) -> list[ThreadNode]:
    comments = db.session.scalars(
        select(Comment).where(Comment.post_id == post.id)
        .options(selectinload(Comment.author)).order_by(Comment.created_at, Comment.id)).all()
    nodes = {c.id: ThreadNode(c) for c in comments}
    roots: list[ThreadNode] = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id) if node.comment.parent_id else None
        (parent.replies if parent else roots).append(node)
    return roots


def get_comment(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id)


def comments_by(user: User, viewer, limit: int = 50) -> list[Comment]:
    """A member's recent comments on posts the viewer can see."""
    return list(db.session.scalars(
        select(Comment).join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == user.id, Comment.deleted_at.is_(None), Post.visible_to(viewer))
        .options(selectinload(Comment.post)).order_by(Comment.created_at.desc()).limit(limit)))
