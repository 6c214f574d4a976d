"""Recording coordinator and admin actions. Features announce their actions as domain events
(learncom/events.py); subscribers.py records them with `record()` in the action's own
transaction, so the log can never miss a committed action. Features whose objects appear in the
log register how to show them (`register_target`, `register_detail_labels`), so the log never
imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from learncom import vocab
from learncom.accounts.models import Team, User
from learncom.audit.models import AuditEvent
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.permissions import can_view_post
from learncom.posts import kinds
from learncom.posts.models import Post


def record(actor, action: str, target, detail: dict | None = None) -> AuditEvent:
    """`target` is a model instance (its table name and id are stored) or None."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action,
        target_type=target.__tablename__ if target is not None else "site",
        target_id=getattr(target, "id", None), detail=detail or {})
    db.session.add(event)
    db.session.flush()
    return event


# -- reading the log -------------------------------------------------------------------------------

# A readable label per action. Actions not listed here still read well (see `action_label`).
ACTION_LABELS = {
    "friction.status_changed": _l("Friction status changed"),
    "friction.owner_changed": _l("Friction owner changed"),
    "lesson.curated": _l("Lesson curated"),
    "lesson.uncurated": _l("Curated mark removed"),
    "lesson.changes_requested": _l("Changes asked for"),
    "post.promoted": _l("Comment promoted to a post"),
    "post.edited": _l("Someone else's post edited"),
    "post.deleted": _l("Post deleted"),
    "revision.redacted": _l("Text of an earlier version removed"),
    "content.hidden": _l("Hidden by moderation"),
    "content.restored": _l("Shown again after moderation"),
    "flags.dismissed": _l("Reports dismissed"),
    "member.created": _l("Account made from the command line"),
    "member.role_changed": _l("Role changed"),
    "member.activated": _l("Account reactivated"),
    "member.deactivated": _l("Account deactivated"),
    "member.deleted": _l("Account deleted"),
    "member.email_changed": _l("E-mail address changed"),
    "bundle.created": _l("Bundle created"),
    "bundle.updated": _l("Bundle changed"),
    "bundle.published": _l("Bundle published"),
    "bundle.unpublished": _l("Bundle unpublished"),
    "bundle.deleted": _l("Bundle deleted"),
    "bundle.item_added": _l("Post added to a bundle"),
    "bundle.item_removed": _l("Post taken out of a bundle"),
    "bundle.items_reordered": _l("Bundle order changed"),
    "team.created": _l("Team created"),
    "team.member_added": _l("Member added to a team"),
    "team.member_removed": _l("Member removed from a team"),
}

DETAIL_LABELS = {
    "from": _l("From"), "to": _l("To"), "reason": _l("Reason"), "note": _l("Note"),
    "flags": _l("Reports"), "reasons": _l("Reasons"), "kind": _l("Kind"),
    "source_post": _l("From post"), "source_comment": _l("From comment"),
    "post_id": _l("On post"), "team": _l("Team"), "member": _l("Member"),
    "title": _l("Title"), "revision": _l("Version"), "mode": _l("Mode"), "by": _l("By"),
    "author": _l("Author"), "comment": _l("Comment"),
    "order": _l("Order"),
}
# Detail keys whose value is a post id (shown as a link to the post when the viewer may see it).
POST_REF_KEYS = ("post_id", "source_post")

TARGET_TYPES = {"posts": _l("Post"), "comments": _l("Comment"), "users": _l("Member"),
                "teams": _l("Team"), "site": _l("Site")}


@dataclass(frozen=True)
class TargetType:
    """How the log shows targets of one table that a feature owns: `model` is loaded by id,
    `view(row)` gives (label, url or None)."""
    label: object
    model: type
    view: Callable[[object], tuple[str, str | None]]


_TARGETS: dict[str, TargetType] = {}
# (action, detail key) -> {stored value: label}, for values only the owning feature can name.
_DETAIL_VALUE_LABELS: dict[tuple[str, str], dict[str, object]] = {}


def register_target(table: str, label, model: type,
                    view: Callable[[object], tuple[str, str | None]]) -> None:
    _TARGETS[table] = TargetType(label, model, view)
    TARGET_TYPES[table] = label


def register_detail_labels(actions: tuple[str, ...], key: str, labels: dict) -> None:
    """Labels for the comma-separated values of a detail (e.g. moderation's reasons)."""
    for action in actions:
        _DETAIL_VALUE_LABELS[(action, key)] = labels


def action_label(action: str) -> str:
    """The label of an action; an unknown "thing.did_this" reads as "Thing: did this"."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    subject, _dot, verb = action.partition(".")
    subject = subject.replace("_", " ").strip().capitalize()
    verb = verb.replace("_", " ").replace(".", " ").strip()
    return f"{subject}: {verb}" if verb else subject


def log_query(*, action: str | None = None, actor_id: int | None = None) -> Select:
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def action_choices() -> list[tuple[str, str]]:
    """Every action that occurs in the log, with its label, sorted by label."""
    present = set(db.session.scalars(select(AuditEvent.action).distinct()))
    return sorted(((a, action_label(a)) for a in present),
                  key=lambda pair: pair[1].lower())


def actor_choices() -> list[User]:
    """The members who appear in the log as actors."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(select(AuditEvent.actor_id).distinct()))
        .order_by(func.lower(User.name))))


@dataclass
class TargetView:
    label: str
    url: str | None = None
    kind: str = ""


@dataclass
class EventView:
    event: AuditEvent
    label: str
    target: TargetView
    detail: list[tuple[str, object]] = field(default_factory=list)


def _load(model, ids: set[int], *options) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(
        select(model).where(model.id.in_(ids)).options(*options))}


def optional_url(endpoint: str, **values) -> str | None:
    """A URL, or None when the endpoint is not there (for `register_target` views)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def present(events: list[AuditEvent], viewer) -> list[EventView]:
    """What the log page shows for each event, with every target loaded in a few queries
    (one per target type). A target links only when it still exists and the viewer may see
    it; a post the viewer may not see is shown without its title."""
    ids: dict[str, set[int]] = {}
    for event in events:
        if event.target_id is not None:
            ids.setdefault(event.target_type, set()).add(event.target_id)
        for key in POST_REF_KEYS:
            value = (event.detail or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                ids.setdefault("posts", set()).add(value)
    comments = _load(Comment, ids.get("comments", set()))
    post_ids = ids.get("posts", set()) | {c.post_id for c in comments.values()}
    loaded = {
        "posts": _load(Post, post_ids),
        "comments": comments,
        "users": _load(User, ids.get("users", set())),
        "teams": _load(Team, ids.get("teams", set())),
    }
    for table, target_type in _TARGETS.items():
        loaded[table] = _load(target_type.model, ids.get(table, set()))

    def post_view(post_id) -> TargetView:
        post = loaded["posts"].get(post_id)
        fallback = f"{TARGET_TYPES['posts']} #{post_id}"
        if post is None:
            return TargetView(fallback, kind="posts")
        if not can_view_post(viewer, post):
            return TargetView(fallback, kind="posts")
        return TargetView(post.title, url_for("posts.show", post_id=post.id), kind="posts")

    def target_view(event: AuditEvent) -> TargetView:
        kind, target_id = event.target_type, event.target_id
        if target_id is None:
            return TargetView(str(TARGET_TYPES.get(kind, kind)), kind=kind)
        row = loaded.get(kind, {}).get(target_id)
        fallback = f"{TARGET_TYPES.get(kind, kind.capitalize())} #{target_id}"
        if kind == "posts":
            return post_view(target_id)
        if row is None:
            return TargetView(fallback, kind=kind)
        if kind == "comments":
            post = loaded["posts"].get(row.post_id)
            if post is None or not can_view_post(viewer, post) or row.is_deleted:
                return TargetView(fallback, kind=kind)
            return TargetView(str(_l("Comment on %(title)s", title=post.title)),
                              url_for("posts.show", post_id=post.id, _anchor=f"reactie-{row.id}"),
                              kind=kind)
        if kind == "users":
            if row.is_deleted:
                return TargetView(f"{_l('former member')} #{row.id}", kind=kind)
            return TargetView(row.name, url_for("accounts.member", user_id=row.id), kind=kind)
        if kind == "teams":
            return TargetView(row.name, url_for("accounts.team", slug=row.slug), kind=kind)
        if kind in _TARGETS:
            label, url = _TARGETS[kind].view(row)
            return TargetView(label, url, kind=kind)
        return TargetView(fallback, kind=kind)

    def detail_rows(event: AuditEvent) -> list[tuple[str, object]]:
        rows = []
        for key, value in (event.detail or {}).items():
            if value is None or value == "":
                continue
            label = str(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()))
            if key in POST_REF_KEYS and isinstance(value, int):
                if key == "post_id" and event.target_type == "comments":
                    continue  # the target already links to the comment on its post
                rows.append((label, post_view(value)))
                continue
            rows.append((label, _detail_value(event.action, key, value)))
        return rows

    return [EventView(event, action_label(event.action), target_view(event), detail_rows(event))
            for event in events]


ERASURE_DETAILS = {
    "anonymise": _l("made anonymous"), "remove": _l("everything removed"),
    "self": _l("the member themself"), "admin": _l("an admin, on request"),
}


def _detail_value(action: str, key: str, value) -> str:
    if action == "member.deleted" and key in ("mode", "by"):
        return str(ERASURE_DETAILS.get(value, value))
    if key in ("from", "to"):
        if action.startswith("friction."):
            return str(vocab.CHANGE_STATUSES.get(value, value))
        if action.startswith("member."):
            return str(vocab.ROLES.get(value, value))
    if key == "kind":
        return kinds.label(value)
    labels = _DETAIL_VALUE_LABELS.get((action, key))
    if labels is not None:
        parts = [part.strip() for part in str(value).split(",")]
        if all(part in labels for part in parts):
            return ", ".join(str(labels[part]) for part in parts)
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
