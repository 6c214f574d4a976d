"""Audit rows for the coordinator and admin actions that features announce as events
(learncom/events.py). Each subscriber writes in the action's own transaction."""

from __future__ import annotations

from learncom import events
from learncom.audit.services import record


@events.subscribe("friction.status_changed")
def _status_changed(post, change, actor, **_kw) -> None:
    record(actor, "friction.status_changed", post,
           {"from": change.from_status, "to": change.to_status, "reason": change.reason})


@events.subscribe("lesson.curated")
def _lesson_curated(post, actor, note=None, **_kw) -> None:
    record(actor, "lesson.curated", post, {"note": note} if note else {})


def _content_detail(target) -> dict:
    from learncom.discussion.models import Comment

    return {"post_id": target.post_id} if isinstance(target, Comment) else {}


@events.subscribe("content.hidden")
def _content_hidden(target, actor, reason=None, **_kw) -> None:
    detail = _content_detail(target)
    if reason:
        detail["reason"] = reason
    record(actor, "content.hidden", target, detail)


@events.subscribe("content.restored")
def _content_restored(target, actor, **_kw) -> None:
    record(actor, "content.restored", target, _content_detail(target))


@events.subscribe("member.role_changed")
def _role_changed(user, actor, old, new, **_kw) -> None:
    record(actor, "member.role_changed", user, {"from": old, "to": new})


@events.subscribe("member.activation_changed")
def _activation_changed(user, actor, active, **_kw) -> None:
    record(actor, "member.activated" if active else "member.deactivated", user)


@events.subscribe("post.updated")
def _post_updated(post, actor, **_kw) -> None:
    """A coordinator changing someone else's post is a coordinator action; authors editing
    their own posts are not logged here (the revision history has them)."""
    if (actor is not None and getattr(actor, "is_coordinator", False)
            and post.author_id != actor.id):
        record(actor, "post.edited", post)


@events.subscribe("post.deleted")
def _post_deleted(post, actor, **_kw) -> None:
    """A coordinator deleting a post: nothing of it is left but this line. A member deleting
    their own post (or draft) is no coordinator action."""
    if actor is None or not getattr(actor, "is_coordinator", False):
        return
    if post.is_draft and not post.shared_with_coordinators:
        return
    record(actor, "post.deleted", post, {
        "title": post.title, "kind": post.kind,
        "author": post.author.name if post.author else None})


@events.subscribe("member.created")
def _member_created(user, actor=None, **_kw) -> None:
    if user.role != "member":
        record(actor, "member.created", user, {"to": user.role})


@events.subscribe("team.created")
def _team_created(team, actor, **_kw) -> None:
    record(actor, "team.created", team, {"team": team.name})


@events.subscribe("team.member_added")
def _team_member_added(team, user, actor, **_kw) -> None:
    record(actor, "team.member_added", team, {"member": user.name})


@events.subscribe("team.member_removed")
def _team_member_removed(team, user, actor, **_kw) -> None:
    record(actor, "team.member_removed", team, {"member": user.name})
