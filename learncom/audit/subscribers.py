"""Audit rows for the coordinator and admin actions that features announce as events
(learncom/events.py). Each subscriber writes in the action's own transaction."""

from __future__ import annotations

from learncom import events
from learncom.audit.services import record
from learncom.discussion.models import Comment
from learncom.permissions import can_coordinate_posts


@events.subscribe("friction.status_changed")
def _status_changed(post, change, actor, **_kw) -> None:
    record(actor, "friction.status_changed", post,
           {"from": change.from_status, "to": change.to_status, "reason": change.reason})


@events.subscribe("lesson.curated")
def _lesson_curated(post, actor, note=None, **_kw) -> None:
    record(actor, "lesson.curated", post, {"note": note} if note else {})


def _content_detail(target) -> dict:
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


@events.subscribe("member.email_changed")
def _email_changed(user, actor, **_kw) -> None:
    """Without the addresses: the log shows who, not which address (admins see the current one
    on the member's page)."""
    record(actor, "member.email_changed", user)


@events.subscribe("post.updated")
def _post_updated(post, actor, **_kw) -> None:
    """A coordinator changing someone else's post is a coordinator action; authors editing
    their own posts are not logged here (the revision history has them)."""
    if actor is not None and can_coordinate_posts(actor) and post.author_id != actor.id:
        record(actor, "post.edited", post)


@events.subscribe("revision.redacted")
def _revision_redacted(post, revision, actor, **_kw) -> None:
    record(actor, "revision.redacted", post, {"revision": revision.number})
@events.subscribe("post.deleted")
def _post_deleted(post, actor, **_kw) -> None:
    """A coordinator deleting a post: nothing of it is left but this line. A member deleting
    their own post (or draft) is no coordinator action."""
    if actor is None or not can_coordinate_posts(actor):
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


def _bundle_action(action: str):
    def subscriber(bundle, actor, **_kw) -> None:
        record(actor, action, bundle, {"title": bundle.title})
    return subscriber


for _action in ("bundle.created", "bundle.updated", "bundle.deleted", "bundle.published",
                "bundle.unpublished"):
    events.subscribe(_action)(_bundle_action(_action))


@events.subscribe("lesson.uncurated")
def _lesson_uncurated(post, actor, note=None, **_kw) -> None:
    record(actor, "lesson.uncurated", post, {"note": note})


@events.subscribe("post.promoted")
def _post_promoted(post, actor, source_post, source_comment=None, **_kw) -> None:
    record(actor, "post.promoted", post, {
        "kind": post.kind, "source_post": source_post.id,
        "source_comment": source_comment.id if source_comment is not None else None})


@events.subscribe("flags.dismissed")
def _flags_dismissed(target, actor, flags, reasons, **_kw) -> None:
    record(actor, "flags.dismissed", target, {"flags": flags, "reasons": reasons})


@events.subscribe("bundle.item_added")
def _bundle_item_added(bundle, post_id, actor, **_kw) -> None:
    record(actor, "bundle.item_added", bundle, {"title": bundle.title, "post_id": post_id})


@events.subscribe("bundle.item_removed")
def _bundle_item_removed(bundle, post_id, actor, **_kw) -> None:
    record(actor, "bundle.item_removed", bundle, {"title": bundle.title, "post_id": post_id})


@events.subscribe("bundle.items_reordered")
def _bundle_items_reordered(bundle, order, actor, **_kw) -> None:
    record(actor, "bundle.items_reordered", bundle, {"title": bundle.title, "order": order})


@events.subscribe("lesson.changes_requested")
def _changes_requested(post, comment, actor, **_kw) -> None:
    record(actor, "lesson.changes_requested", post, {"comment": comment.id})
