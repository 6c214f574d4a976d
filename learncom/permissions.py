"""Who may do what: every rule of the site, by name, in one place.

A rule is a function ``can_<name>(viewer, [object]) -> bool``; the viewer may be anonymous
(Flask-Login's anonymous user) or None. Views ask through `require` (403, or 404 where the
object must not be revealed), templates through the Jinja global ``can("edit_post", post)``,
services and queries by calling the rule. Roles are read here only: a member's *kind* grants
nothing, their *role* does (member < coordinator < admin). The SQL forms of the visibility
rules (`Post.visible_to`, `Post.drafts_of`, `Comment.text_shown_to`) ask these rules for the
role part; tests/test_permissions.py checks every rule against a matrix of people and objects,
and fails on a rule the matrix does not cover.

The objects are read by their attributes only (``post.author_id``, ``comment.post``, …), so
this module imports no feature and every feature can use it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

#: Every rule by name (without "can_"): what templates name in ``can(...)``.
RULES: dict[str, Callable[..., bool]] = {}


def rule(fn: Callable[..., bool]) -> Callable[..., bool]:
    RULES[fn.__name__.removeprefix("can_")] = fn
    return fn


# -- who the viewer is ---------------------------------------------------------------------------

def _member(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _coordinator(viewer) -> bool:
    """Coordinators and admins: the one place the coordinator role is checked."""
    return _member(viewer) and viewer.has_role("coordinator")


def _admin(viewer) -> bool:
    return _member(viewer) and viewer.has_role("admin")


def _is(viewer, user_id: int | None) -> bool:
    return _member(viewer) and user_id is not None and viewer.id == user_id


def _in_team(viewer, team_id: int | None) -> bool:
    return _member(viewer) and team_id is not None and team_id in viewer.team_ids


# -- roles ---------------------------------------------------------------------------------------

@rule
def can_moderate(viewer) -> bool:
    """Hide, restore and dismiss flagged content; see what is hidden, and the open flags."""
    return _coordinator(viewer)


@rule
def can_curate(viewer) -> bool:
    """Curate lessons, turn comments and threads into drafts, finish such drafts."""
    return _coordinator(viewer)


@rule
def can_coordinate_posts(viewer) -> bool:
    """Fill a post's coordinator fields (resolution note, curated) and post for any team."""
    return _coordinator(viewer)


@rule
def can_manage_neighbourhoods(viewer) -> bool:
    """Add to the list of neighbourhoods (and see every one, also those without posts)."""
    return _coordinator(viewer)


@rule
def can_manage_teams(viewer) -> bool:
    """Create teams and choose their members."""
    return _coordinator(viewer)


@rule
def can_manage_bundles(viewer) -> bool:
    """Make, change and publish bundles (and see the unpublished ones)."""
    return _coordinator(viewer)


@rule
def can_view_dashboard(viewer) -> bool:
    return _coordinator(viewer)


@rule
def can_read_privacy_overrides(viewer) -> bool:
    """Where members posted despite the privacy guard, and why."""
    return _coordinator(viewer)


@rule
def can_manage_accounts(viewer) -> bool:
    """Change roles, (de)activate and delete accounts."""
    return _admin(viewer)


@rule
def can_read_audit_log(viewer) -> bool:
    return _admin(viewer)


@rule
def can_read_outbox(viewer) -> bool:
    """Every mail the site sent or will send."""
    return _admin(viewer)


# -- members -------------------------------------------------------------------------------------

@rule
def can_view_member(viewer, member) -> bool:
    """A member's page: to members while the account is active (admins also see a deactivated
    one), to visitors only with a public profile; never after the account was deleted."""
    if member is None or member.is_deleted:
        return False
    if _member(viewer):
        return viewer.id == member.id or member.active or _admin(viewer)
    return member.active and member.public_profile


@rule
def can_see_email(viewer, member) -> bool:
    """An e-mail address: its owner, coordinators and admins."""
    return _is(viewer, member.id) or _coordinator(viewer)


@rule
def can_confirm_email_change(viewer, change) -> bool:
    """A link to a new e-mail address: only the member who asked for it, logged in (not even
    an admin: the link proves the new mailbox is the member's own)."""
    return _is(viewer, change.user_id)


@rule
def can_own_friction(user) -> bool:
    """Who may be named owner of a friction's change."""
    return _coordinator(user)


# -- posts ---------------------------------------------------------------------------------------

@rule
def can_see_hidden(viewer, target) -> bool:
    """A post or comment hidden by moderation: its author and moderators still read it."""
    return _is(viewer, target.author_id) or can_moderate(viewer)


@rule
def can_view_post(viewer, post) -> bool:
    """The post itself (its page, edit form, history). A draft: its author, and curators for a
    draft made from a discussion. Lists use the SQL form, `Post.visible_to`."""
    if post.is_draft:
        return _is(viewer, post.author_id) or (post.shared_with_coordinators
                                               and can_curate(viewer))
    if post.hidden_at is not None and not can_see_hidden(viewer, post):
        return False
    return _sees_post_apart_from_moderation(viewer, post)


def hidden_post_notice(viewer, post) -> bool:
    """Whether the viewer is told that this post is hidden by moderation (instead of a bare
    "not found"): only someone who could read it were it not hidden, so it is no oracle."""
    return (not post.is_draft and post.hidden_at is not None
            and not can_see_hidden(viewer, post)
            and _sees_post_apart_from_moderation(viewer, post))


def _sees_post_apart_from_moderation(viewer, post) -> bool:
    if post.visibility == "public":
        return True
    if not _member(viewer):
        return False
    return (post.visibility == "members" or _is(viewer, post.author_id)
            or _in_team(viewer, post.team_id))


@rule
def can_edit_post(viewer, post) -> bool:
    """Edit, delete, publish a draft, link to other posts: the author and coordinators."""
    return can_view_post(viewer, post) and (_is(viewer, post.author_id)
                                            or _coordinator(viewer))


@rule
def can_post_for_team(viewer, team_id: int | None) -> bool:
    """Give a post a team: members of that team (and coordinators for any team)."""
    return team_id is None or _in_team(viewer, team_id) or can_coordinate_posts(viewer)


@rule
def can_log(viewer, post) -> bool:
    """Add to an experiment's log: its author, its team and coordinators."""
    return (post.kind == "experiment" and can_view_post(viewer, post)
            and (_is(viewer, post.author_id) or _in_team(viewer, post.team_id)
                 or _coordinator(viewer)))


@rule
def can_change_log_entry(viewer, entry) -> bool:
    """Edit or delete a log entry: who wrote it, and coordinators."""
    return can_view_post(viewer, entry.post) and (_is(viewer, entry.author_id)
                                                  or _coordinator(viewer))


@rule
def can_view_history(viewer, post) -> bool:
    """A post's versions: members who can see the post (each version only if they could see
    the post when it was current: posts/history.py)."""
    return _member(viewer) and can_view_post(viewer, post)


@rule
def can_redact_revision(viewer, post) -> bool:
    """Remove the text of an earlier version: the author and coordinators."""
    return can_view_history(viewer, post) and (_is(viewer, post.author_id)
                                               or _coordinator(viewer))


# -- discussion ----------------------------------------------------------------------------------

@rule
def can_comment(viewer, post) -> bool:
    """Members comment on the published posts they can see."""
    return _member(viewer) and not post.is_draft and can_view_post(viewer, post)


@rule
def can_read_comment(viewer, comment) -> bool:
    """A comment's text: not deleted, and not hidden by moderation from this viewer."""
    return (comment.deleted_at is None and can_view_post(viewer, comment.post)
            and (comment.hidden_at is None or can_see_hidden(viewer, comment)))


@rule
def can_edit_comment(viewer, comment) -> bool:
    """Edit or delete a comment: who wrote it, and coordinators."""
    return (comment.deleted_at is None and can_view_post(viewer, comment.post)
            and (_is(viewer, comment.author_id) or _coordinator(viewer)))


# -- add-ons -------------------------------------------------------------------------------------

def _post_of(target):
    """A comment's post, or the post itself."""
    return getattr(target, "post", None) or target


@rule
def can_react(viewer, target) -> bool:
    """Herkenbaar/nuttig on a post or comment others wrote (never one's own)."""
    if not _member(viewer) or _is(viewer, target.author_id):
        return False
    if target is _post_of(target):
        return can_view_post(viewer, target)
    return can_read_comment(viewer, target)


@rule
def can_flag(viewer, target) -> bool:
    """Report a post or comment others wrote (their own they can edit or delete)."""
    return can_react(viewer, target)


@rule
def can_moderate_content(viewer, target) -> bool:
    """Hide, restore or dismiss flags on this post or comment."""
    return can_moderate(viewer) and can_view_post(viewer, _post_of(target))


@rule
def can_change_friction_status(viewer, post) -> bool:
    """Move a friction through the change process: coordinators who can see it."""
    return post.kind == "friction" and _coordinator(viewer) and can_view_post(viewer, post)


@rule
def can_record_application(viewer, post) -> bool:
    """Say where a lesson was applied: every member who can see it."""
    return _member(viewer) and post.kind == "lesson" and can_view_post(viewer, post)


@rule
def can_delete_application(viewer, application) -> bool:
    """The member who recorded it, and coordinators."""
    return _is(viewer, application.user_id) or _coordinator(viewer)


@rule
def can_view_bundle(viewer, bundle) -> bool:
    return bundle.is_published or can_manage_bundles(viewer)


# -- using the rules -----------------------------------------------------------------------------

def require(allowed: Callable[..., bool], *objects, hide: bool = False) -> None:
    """Abort unless the logged-in viewer passes the rule for these objects: 403, or 404 with
    `hide=True` when even the object's existence must not be revealed."""
    if not allowed(current_user, *objects):
        abort(404 if hide else 403)


def can(name: str, *objects) -> bool:
    """For templates: ``can("edit_post", post)``, for the logged-in viewer (resolved once: the
    rules read it several times, and a long thread asks a few thousand times)."""
    return RULES[name](current_user._get_current_object(), *objects)


def register(app) -> None:
    app.jinja_env.globals["can"] = can
