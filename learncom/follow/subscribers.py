"""Event subscribers: automatic following and notifications (see learncom/events.py).

They run inside the transaction of the change that emitted the event, so a notification commits
or rolls back together with what it is about."""

from __future__ import annotations

from learncom import events
from learncom.discussion.models import Comment
from learncom.follow import services
from learncom.follow.mentions import mentioned_users


@events.subscribe("post.created")
def on_post_created(post, actor=None, **_kw) -> None:
    author = post.author or actor
    services.follow_automatically(author, post)
    services.deliver(f"post:{post.id}",
                     services.most_specific(
                         (services.NEW_POST, services.tag_and_neighbourhood_followers(post))),
                     actor=actor or author, post=post)


@events.subscribe("comment.created")
def on_comment_created(comment, actor=None, **_kw) -> None:
    post = comment.post
    actor = actor or comment.author
    if comment.parent is not None:
        replied_to = {comment.parent.author_id} if not comment.parent.is_deleted else set()
    else:
        replied_to = {post.author_id}
    candidates = services.most_specific(
        (services.REPLY, replied_to),
        (services.MENTION, [user.id for user in mentioned_users(comment.body)]),
        (services.THREAD, services.post_followers(post)),
    )
    services.deliver(f"comment:{comment.id}", candidates, actor=actor, post=post,
                     comment=comment)
    services.follow_automatically(actor, post)


@events.subscribe("friction.status_changed")
def on_status_changed(post, change, actor=None, **_kw) -> None:
    services.deliver(f"status:{change.id}",
                     services.most_specific((services.STATUS, services.post_followers(post))),
                     actor=actor, post=post)


@events.subscribe("lesson.curated")
def on_lesson_curated(post, actor=None, note=None, **_kw) -> None:
    stamp = int(post.curated_at.timestamp()) if post.curated_at is not None else 0
    services.deliver(f"curated:{post.id}:{stamp}",
                     services.most_specific((services.CURATED, [post.author_id])),
                     actor=actor, post=post)


def _stamp(value) -> int:
    return int(value.timestamp()) if value is not None else 0


@events.subscribe("content.hidden")
def on_content_hidden(target, actor=None, reason=None, **_kw) -> None:
    """The author hears that, and why, their post or comment was hidden."""
    comment = target if isinstance(target, Comment) else None
    post = comment.post if comment is not None else target
    if actor is not None and target.author_id == actor.id:
        return
    kind = "comment" if comment is not None else "post"
    services.notify_member(target.author_id, services.HIDDEN,
                           f"hidden:{kind}:{target.id}:{_stamp(target.hidden_at)}",
                           post=post, comment=comment, note=reason)


@events.subscribe("flags.resolved")
def on_flags_resolved(target, actor, resolution, flags, **_kw) -> None:
    """Whoever flagged it hears what came of it. Content that was hidden is not linked: they
    may no longer see it."""
    comment = target if isinstance(target, Comment) else None
    post = comment.post if comment is not None else target
    hidden = resolution == "hidden"
    for flag in flags:
        if flag.user_id is None or (actor is not None and flag.user_id == actor.id):
            continue
        services.notify_member(
            flag.user_id, services.REPORT_HIDDEN if hidden else services.REPORT_KEPT,
            f"report:{flag.id}", post=None if hidden else post,
            comment=None if hidden else comment)
