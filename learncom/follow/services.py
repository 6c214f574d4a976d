"""Following posts, tags and neighbourhoods, and the in-app notifications they lead to.

Functions change objects and flush; the view (or the CLI) commits.

Notifications are written by the event subscribers in ``subscribers.py`` through ``deliver``:
one row per recipient per event (``event_key``), never to the actor, never about content the
recipient cannot see or that moderation hid. When one event concerns a member in several ways
(a reply that mentions them in a thread they follow) they get one notification of the most
specific kind: reply > mention > followed thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from learncom.accounts.models import User
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.follow.models import Follow, Notification
from learncom.moderation.services import REASONS
from learncom.permissions import can_view_post
from learncom.posts.models import Neighbourhood, Post, Tag, post_tags
from learncom.posts.services import card_options

# Notification kinds, most specific first (for one event a member gets the first that applies).
REPLY, MENTION, THREAD, STATUS, CURATED, NEW_POST = (
    "reply", "mention", "comment", "status", "curated", "post")
# Moderation: your content was hidden (with the reason); what came of your report.
HIDDEN, REPORT_HIDDEN, REPORT_KEPT = "hidden", "report_hidden", "report_kept"
PRECEDENCE = (REPLY, MENTION, THREAD)
KINDS = (REPLY, MENTION, THREAD, STATUS, CURATED, NEW_POST, HIDDEN, REPORT_HIDDEN, REPORT_KEPT)

Target = Post | Tag | Neighbourhood


# -- following ---------------------------------------------------------------------------------

def _target_column(target: Target):
    if isinstance(target, Post):
        return Follow.post_id
    if isinstance(target, Tag):
        return Follow.tag_id
    if isinstance(target, Neighbourhood):
        return Follow.neighbourhood_id
    raise TypeError(f"Cannot follow {target!r}")


def get_follow(user: User, target: Target) -> Follow | None:
    column = _target_column(target)
    return db.session.scalar(select(Follow).where(Follow.user_id == user.id,
                                                  column == target.id))


def is_following(user, target: Target) -> bool:
    if user is None or not user.is_authenticated:
        return False
    column = _target_column(target)
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == user.id, column == target.id, Follow.active.is_(True))) is not None


def set_following(user: User, target: Target, active: bool) -> Follow:
    """Follow or unfollow explicitly. An explicit unfollow is kept as an inactive row so that
    automatic following (own posts, threads you comment in) never undoes it."""
    follow = get_follow(user, target)
    if follow is None:
        follow = Follow(user_id=user.id, active=active, automatic=False)
        setattr(follow, _target_column(target).key, target.id)
        db.session.add(follow)
    else:
        follow.active = active
        follow.automatic = False
    db.session.flush()
    return follow


def toggle_following(user: User, target: Target) -> bool:
    """Flip the follow state; returns the new state."""
    new_state = not is_following(user, target)
    set_following(user, target, new_state)
    return new_state


def follow_automatically(user: User | None, post: Post) -> None:
    """Follow a post you wrote or commented on, unless you ever chose about it yourself."""
    if user is None or post.id is None:
        return
    if get_follow(user, post) is not None:
        return
    db.session.add(Follow(user_id=user.id, post_id=post.id, active=True, automatic=True))
    db.session.flush()


@dataclass
class Following:
    posts: list[Post]
    tags: list[Tag]
    neighbourhoods: list[Neighbourhood]

    @property
    def empty(self) -> bool:
        return not (self.posts or self.tags or self.neighbourhoods)


def following_of(user: User) -> Following:
    """What a member follows (active follows; posts only when they can still see them)."""
    active = and_(Follow.user_id == user.id, Follow.active.is_(True))
    posts = db.session.scalars(
        select(Post).join(Follow, Follow.post_id == Post.id)
        .where(active, Post.visible_to(user)).options(*card_options())
        .order_by(Follow.created_at.desc(), Post.id.desc())).all()
    tags = db.session.scalars(
        select(Tag).join(Follow, Follow.tag_id == Tag.id).where(active).order_by(Tag.name)).all()
    hoods = db.session.scalars(
        select(Neighbourhood).join(Follow, Follow.neighbourhood_id == Neighbourhood.id)
        .where(active).order_by(Neighbourhood.name)).all()
    return Following(list(posts), list(tags), list(hoods))


def post_followers(post: Post) -> set[int]:
    return set(db.session.scalars(select(Follow.user_id).where(
        Follow.post_id == post.id, Follow.active.is_(True))))


def tag_and_neighbourhood_followers(post: Post) -> set[int]:
    """Members following one of the post's tags or its neighbourhood."""
    conditions = [Follow.tag_id.in_(select(post_tags.c.tag_id)
                                    .where(post_tags.c.post_id == post.id))]
    if post.neighbourhood_id is not None:
        conditions.append(Follow.neighbourhood_id == post.neighbourhood_id)
    return set(db.session.scalars(select(Follow.user_id).where(
        Follow.active.is_(True), or_(*conditions))))


# -- delivering notifications --------------------------------------------------------------------

def deliver(event_key: str, candidates: dict[int, str], *, actor: User | None, post: Post,
            comment: Comment | None = None) -> list[Notification]:
    """Write one notification per candidate (user id -> kind) for this event, except to the
    actor, to deactivated members, to members who cannot see the post, and to anyone who
    already has one for this event. Nothing at all for hidden content."""
    if post.is_hidden or (comment is not None and (comment.is_hidden or comment.is_deleted)):
        return []
    if actor is not None:
        candidates.pop(actor.id, None)
    if not candidates:
        return []
    already = set(db.session.scalars(select(Notification.user_id).where(
        Notification.event_key == event_key, Notification.user_id.in_(candidates))))
    recipients = db.session.scalars(
        select(User).where(User.id.in_(set(candidates) - already), User.active.is_(True))
        .options(selectinload(User.teams))).all()
    made = []
    for user in recipients:
        if not can_view_post(user, post):
            continue
        note = Notification(user_id=user.id, kind=candidates[user.id], event_key=event_key,
                            actor_id=actor.id if actor is not None else None, post_id=post.id,
                            comment_id=comment.id if comment is not None else None)
        db.session.add(note)
        made.append(note)
    db.session.flush()
    return made


def notify_member(user_id: int | None, kind: str, event_key: str, *, post: Post | None = None,
                  comment: Comment | None = None, note: str | None = None) -> Notification | None:
    """One notification to one member about moderation of their content or report. Unlike
    `deliver`, it may concern hidden content: its author is told that, and why. Nothing for a
    deactivated member, nor twice for the same event."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if db.session.scalar(select(Notification.id).where(
            Notification.user_id == user_id, Notification.event_key == event_key)) is not None:
        return None
    note_row = Notification(user_id=user_id, kind=kind, event_key=event_key[:80],
                            post_id=post.id if post is not None else None,
                            comment_id=comment.id if comment is not None else None,
                            note=(note or None))
    db.session.add(note_row)
    db.session.flush()
    return note_row


def most_specific(*groups: tuple[str, Iterable[int]]) -> dict[int, str]:
    """Merge (kind, user ids) groups given most specific first: each user keeps the first."""
    chosen: dict[int, str] = {}
    for kind, user_ids in groups:
        for user_id in user_ids:
            if user_id is not None:
                chosen.setdefault(user_id, kind)
    return chosen


# -- reading notifications -----------------------------------------------------------------------

def _shown(query, user: User):
    """Restrict a query on notifications to the member's own, whose content they may still see
    (not hidden by moderation since, not deleted, still visible to them)."""
    comment_ok = and_(Comment.deleted_at.is_(None), Comment.text_shown_to(user))
    return (query.outerjoin(Post, Post.id == Notification.post_id)
            .outerjoin(Comment, Comment.id == Notification.comment_id)
            .where(Notification.user_id == user.id,
                   or_(Notification.post_id.is_(None), Post.visible_to(user)),
                   or_(Notification.comment_id.is_(None), comment_ok)))


def notifications_query(user: User):
    return (_shown(select(Notification), user)
            .options(selectinload(Notification.actor), selectinload(Notification.post),
                     selectinload(Notification.comment))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count_query(user: User):
    """The count of unread notifications the member can see, as a query (header counts)."""
    query = select(func.count(Notification.id)).select_from(Notification)
    return _shown(query, user).where(Notification.read_at.is_(None))



def get_notification(user: User, notification_id: int) -> Notification | None:
    """The member's own notification, if its content is still shown to them."""
    return db.session.scalar(_shown(select(Notification), user)
                             .where(Notification.id == notification_id))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return result.rowcount or 0


def status_change_id(notification: Notification) -> int | None:
    """For a status notification, the StatusChange it is about (its event key says)."""
    prefix, _sep, rest = notification.event_key.partition(":")
    return int(rest) if prefix == "status" and rest.isdigit() else None


def target_anchor(notification: Notification) -> str | None:
    if notification.comment_id is not None:
        return f"reactie-{notification.comment_id}"
    change_id = status_change_id(notification)
    if change_id is not None:
        return f"status-change-{change_id}"
    return None


def describe(notification: Notification) -> str:
    """One sentence saying what happened (plain text, in the current language)."""
    actor = notification.actor.name if notification.actor else _("A former member")
    title = notification.post.title if notification.post else ""
    kind = notification.kind
    if kind == REPLY:
        if notification.comment is not None and notification.comment.parent_id is not None:
            return _("%(name)s replied to your comment on “%(title)s”.", name=actor, title=title)
        return _("%(name)s replied to your post “%(title)s”.", name=actor, title=title)
    if kind == MENTION:
        return _("%(name)s mentioned you in “%(title)s”.", name=actor, title=title)
    if kind == THREAD:
        return _("%(name)s commented on “%(title)s”, which you follow.", name=actor, title=title)
    if kind == STATUS:
        status = notification.post.list_status_label if notification.post else None
        if status:
            return _("%(name)s changed the status of “%(title)s” to “%(status)s”.",
                     name=actor, title=title, status=status)
        return _("%(name)s changed the status of “%(title)s”.", name=actor, title=title)
    if kind == CURATED:
        return _("%(name)s curated your lesson “%(title)s”.", name=actor, title=title)
    if kind == NEW_POST:
        return _("%(name)s posted “%(title)s” under a tag or neighbourhood you follow.",
                 name=actor, title=title)
    if kind == HIDDEN:
        reason = _reason_text(notification.note) or _("no reason given")
        if notification.comment_id is not None:
            return _("A coordinator hid your comment on “%(title)s”. Reason: %(reason)s.",
                     title=title, reason=reason)
        return _("A coordinator hid your post “%(title)s”. Reason: %(reason)s.", title=title,
                 reason=reason)
    if kind == REPORT_HIDDEN:
        return _("Thank you for your report. A coordinator looked at it and hid the content.")
    if kind == REPORT_KEPT:
        return _("A coordinator looked at your report about “%(title)s” and left it visible.",
                 title=title)
    return title


def _reason_text(note: str | None) -> str:
    """A hiding reason: the flag reasons it was made of (by their label), or the note."""
    if not note:
        return ""
    parts = [part.strip() for part in note.split(",")]
    if all(part in REASONS for part in parts):
        return ", ".join(str(REASONS[part]).lower() for part in parts)
    return note.strip().rstrip(".")
