"""Moderation: members flag posts and comments; coordinators hide, restore or dismiss.

Hiding sets `hidden_at`/`hidden_by_id` on the post or comment (every query filters on it),
resolves the target's open flags, queues the post for the search index and emits
``content.hidden`` (the audit log and others listen). Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.accounts.models import User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.moderation.models import Flag
from learncom.permissions import can_moderate
from learncom.posts.models import Post
from learncom.rendered import excerpt

REASONS = {
    "personal_data": _l("Personal data or client information"),
    "offensive": _l("Offensive"),
    "spam": _l("Spam or advertising"),
    "wrong_place": _l("In the wrong place"),
    "other": _l("Something else"),
}
RESOLUTIONS = {"hidden": _l("Hidden"), "dismissed": _l("Dismissed")}
MAX_EXPLANATION = 2000
RECENTLY_RESOLVED = 20

Target = Post | Comment


def target_post(target: Target) -> Post:
    return target if isinstance(target, Post) else target.post


def _target_condition(target: Target):
    if isinstance(target, Post):
        return Flag.post_id == target.id
    return Flag.comment_id == target.id


# -- flagging ------------------------------------------------------------------------------------

def open_flag_of(user: User, target: Target) -> Flag | None:
    return db.session.scalar(select(Flag).where(
        _target_condition(target), Flag.user_id == user.id, Flag.resolved_at.is_(None)).limit(1))


def flag(user: User, target: Target, reason: str,
         explanation: str | None = None) -> tuple[Flag, bool]:
    """Flag `target`; a member has at most one open flag per target, so a second flag updates
    the first. Returns the flag and whether it is new."""
    if reason not in REASONS:
        raise ValueError(f"unknown flag reason {reason!r}")
    explanation = (explanation or "").strip()[:MAX_EXPLANATION] or None
    existing = open_flag_of(user, target)
    if existing is not None:
        existing.reason, existing.explanation = reason, explanation
        db.session.flush()
        return existing, False
    new = Flag(user_id=user.id, reason=reason, explanation=explanation,
               post_id=target.id if isinstance(target, Post) else None,
               comment_id=target.id if isinstance(target, Comment) else None)
    db.session.add(new)
    db.session.flush()
    return new, True


# -- coordinator actions ---------------------------------------------------------------------------

def _resolve_open_flags(target: Target, actor: User | None, resolution: str) -> list[Flag]:
    flags = list(db.session.scalars(select(Flag).where(
        _target_condition(target), Flag.resolved_at.is_(None)).order_by(Flag.id)))
    now = utcnow()
    for item in flags:
        item.resolved_at, item.resolved_by_id, item.resolution = now, getattr(
            actor, "id", None), resolution
    return flags


def hide(target: Target, actor: User, reason: str | None = None) -> bool:
    """Hide a post or comment and resolve its open flags as "hidden". The reason defaults to
    the reasons of those flags. False when it was already hidden (its open flags are still
    resolved)."""
    flags = _resolve_open_flags(target, actor, "hidden")
    if target.hidden_at is not None:
        db.session.flush()
        _announce_resolved(target, actor, "hidden", flags)
        return False
    reason = (reason or "").strip()[:MAX_EXPLANATION] or ", ".join(
        dict.fromkeys(item.reason for item in flags)) or None
    target.hidden_at, target.hidden_by_id = utcnow(), actor.id
    db.session.flush()
    events.emit("content.hidden", target=target, actor=actor, reason=reason)
    _announce_resolved(target, actor, "hidden", flags)
    return True


def _announce_resolved(target: Target, actor: User, resolution: str, flags: list[Flag]) -> None:
    """Tell whoever flagged it what came of it (the ``flags.resolved`` event)."""
    if flags:
        events.emit("flags.resolved", target=target, actor=actor, resolution=resolution,
                    flags=flags)


def restore(target: Target, actor: User) -> bool:
    """Show a hidden post or comment again. False when it was not hidden."""
    if target.hidden_at is None:
        return False
    target.hidden_at, target.hidden_by_id = None, None
    db.session.flush()
    events.emit("content.restored", target=target, actor=actor)
    return True


def dismiss(target: Target, actor: User) -> int:
    """Close the target's open flags without hiding it; returns how many were closed."""
    flags = _resolve_open_flags(target, actor, "dismissed")
    db.session.flush()
    if flags:
        events.emit("flags.dismissed", target=target, actor=actor, flags=len(flags),
                    reasons=", ".join(dict.fromkeys(f.reason for f in flags)))
        _announce_resolved(target, actor, "dismissed", flags)
    return len(flags)


# -- the queue ---------------------------------------------------------------------------------

@dataclass
class FlagGroup:
    """The flags on one post or comment."""

    post: Post
    comment: Comment | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def target(self) -> Target:
        return self.comment if self.comment is not None else self.post

    @property
    def key(self) -> str:
        return f"comment-{self.comment.id}" if self.comment is not None else f"post-{self.post.id}"

    @property
    def excerpt(self) -> str:
        return excerpt(self.target, 300)

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(item.reason for item in self.flags))

    @property
    def reason_labels(self) -> str:
        return ", ".join(str(REASONS.get(reason, reason)) for reason in self.reasons)

    @property
    def last_at(self) -> datetime:
        return max(item.created_at for item in self.flags)

    @property
    def resolved_at(self) -> datetime | None:
        return max((item.resolved_at for item in self.flags if item.resolved_at), default=None)

    @property
    def resolution(self) -> str | None:
        latest = max(self.flags, key=lambda item: (item.resolved_at or item.created_at, item.id))
        return latest.resolution

    @property
    def resolved_by(self) -> User | None:
        latest = max(self.flags, key=lambda item: (item.resolved_at or item.created_at, item.id))
        return latest.resolved_by


def _flag_options():
    return (selectinload(Flag.user), selectinload(Flag.resolved_by),
            selectinload(Flag.post).selectinload(Post.author),
            selectinload(Flag.comment).selectinload(Comment.author),
            selectinload(Flag.comment).selectinload(Comment.post))


def _visible_targets(viewer):
    """Flags whose post (or comment's post) the viewer can see."""
    visible = select(Post.id).where(Post.visible_to(viewer))
    on_comments = select(Comment.id).where(Comment.post_id.in_(visible))
    return or_(Flag.post_id.in_(visible), Flag.comment_id.in_(on_comments))


def _group(flags: list[Flag]) -> list[FlagGroup]:
    groups: dict[tuple, FlagGroup] = {}
    for item in flags:
        key = ("comment", item.comment_id) if item.comment_id else ("post", item.post_id)
        if key not in groups:
            post = item.comment.post if item.comment is not None else item.post
            groups[key] = FlagGroup(post=post, comment=item.comment)
        groups[key].flags.append(item)
    return list(groups.values())


def open_groups(viewer) -> list[FlagGroup]:
    """Open flags grouped by target, the most flagged first, then the newest."""
    flags = db.session.scalars(
        select(Flag).where(Flag.resolved_at.is_(None), _visible_targets(viewer))
        .options(*_flag_options()).order_by(Flag.created_at, Flag.id)).all()
    groups = _group(list(flags))
    groups.sort(key=lambda g: (len(g.flags), g.last_at), reverse=True)
    return groups


def resolved_groups(viewer, limit: int = RECENTLY_RESOLVED) -> list[FlagGroup]:
    """The targets whose flags were resolved most recently (their flags of that moment)."""
    recent = (select(Flag.post_id, Flag.comment_id, func.max(Flag.resolved_at).label("at"))
              .where(Flag.resolved_at.is_not(None), _visible_targets(viewer))
              .group_by(Flag.post_id, Flag.comment_id)
              .order_by(func.max(Flag.resolved_at).desc()).limit(limit)).subquery()
    flags = db.session.scalars(
        select(Flag).join(recent, or_(Flag.post_id == recent.c.post_id,
                                      Flag.comment_id == recent.c.comment_id))
        .where(Flag.resolved_at == recent.c.at)
        .options(*_flag_options()).order_by(Flag.resolved_at.desc(), Flag.id)).all()
    return _group(list(flags))


def hidden_elsewhere_count(viewer) -> int:
    """Open flags on team posts this coordinator cannot see (someone in that team handles them)."""
    visible = select(Post.id).where(Post.visible_to(viewer))
    on_comments = select(Comment.id).where(Comment.post_id.in_(visible))
    unseen = or_(and_(Flag.post_id.is_not(None), Flag.post_id.not_in(visible)),
                 and_(Flag.comment_id.is_not(None), Flag.comment_id.not_in(on_comments)))
    return db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.resolved_at.is_(None), unseen)) or 0


def open_target_count_query(viewer):
    """How many posts and comments with open flags the viewer can moderate, as a query (a
    header count; None for anyone but coordinators)."""
    if not can_moderate(viewer):
        return None
    targets = (select(Flag.post_id, Flag.comment_id)
               .where(Flag.resolved_at.is_(None), _visible_targets(viewer))
               .group_by(Flag.post_id, Flag.comment_id)).subquery()
    return select(func.count()).select_from(targets)



def open_flag_counts(post: Post, comment_ids: list[int]) -> tuple[int, dict[int, int]]:
    """Open flags on a post and on its comments, in one query (for the post page)."""
    conditions = [Flag.post_id == post.id]
    if comment_ids:
        conditions.append(Flag.comment_id.in_(comment_ids))
    rows = db.session.execute(
        select(Flag.post_id, Flag.comment_id, func.count())
        .where(Flag.resolved_at.is_(None), or_(*conditions))
        .group_by(Flag.post_id, Flag.comment_id)).all()
    on_post, on_comments = 0, {}
    for post_id, comment_id, count in rows:
        if comment_id is not None:
            on_comments[comment_id] = count
        elif post_id is not None:
            on_post = count
    return on_post, on_comments
