"""Extension points in shared pages, so a feature adds its part of a page without the page's
owner importing it.

- Template slots: a feature registers a partial template under a slot name; the page includes
  every template of the slot (``{% for t in slot_templates("post.actions") %}{% include t %}``).
  Slots and the variables their templates can use:

  ``head``             (in ``<head>``: feed links, stylesheets)          request, current_user
  ``nav.main``         (main navigation ``<li>`` items)                  current_user
  ``nav.user``         (header, next to the member's name)               current_user
  ``nav.toggle``       (in the folded header menu's "Menu" button)       current_user
  ``post.header``      (badges under the post title)                     post, current_user
  ``post.actions``     (buttons beside Edit/History)                     post, current_user
  ``post.after_body``  (panels between the details and the log/links)    post, current_user
  ``post.sidebar``     (after the linked posts, before the discussion)   post, current_user
  ``comment.meta``     (after a comment's time)       macro comment_meta(c, node, post, user)
  ``comment.actions``  (after Reply/Edit/Delete)      macro comment_actions(c, node, post, user)
  ``home.top``         (top of the home page)                            current_user
  ``welcome.suggestions`` (the welcome page, after the kinds of post)    current_user
  ``list.actions``     (beside "New …" on a kind's list page)            kind, filters
  ``tag.actions``      (under a tag page's heading)                      tag (the name)
  ``neighbourhood.actions`` (under a neighbourhood page's heading)       neighbourhood
  ``card.meta``        (badges on a post card)            post, extra (this post's card context)

- The two comment slots hold templates that define one macro each (named after the slot);
  the thread imports each template once, with the post page's variables, and calls its macro
  for every comment (`comment_slots`): including a template per comment cost a long thread
  more than the comments themselves.

- Card context: a feature registers ``(posts, viewer) -> {post_id: {key: value}}`` (one grouped
  query for the whole list); card templates read ``extra.<key>``.

- Post-page context: a feature registers a function ``(post, viewer, comments) -> dict`` whose
  keys become template variables of the post page (one or two queries for the whole thread,
  never one per comment). A draft gets only the contexts registered with ``drafts=True``.

- Header counts: a feature registers ``(viewer) -> SQL count select, or None`` under a name
  (drafts, unread notifications, lessons awaiting curation, open reports); the header reads
  ``nav_count(name)``, and every count of the request comes from one statement.

- The thread: the discussion registers ``(post, viewer) -> (dict, comments)`` with
  `set_thread`: the thread's template variables, and its comments in thread order, which every
  post-page context receives.

- Page context: a feature registers ``(**arguments) -> dict`` for a page of another feature
  (``home``: viewer; ``member``: member, viewer; ``team``: team, viewer); the page's view calls
  `page_context(name, …)` and its template includes the slot of the same name. Posts a slot
  shows as cards go under ``cards``: the page loads their card context with its own.

More template slots, each with the page context or post context its templates read:

  ``post.related``     (beside the discussion, also on a draft)          post, current_user
  ``post.discussion``  (the end of a published post's page)              post, current_user
  ``post_form.checks`` (the new-post form, under title and text)        form, kind
  ``home.activity``    (the home page, after the newest posts)           current_user
  ``member.sections``  (a member's page, under the profile)             member, current_user
  ``team.sections``    (a team's page, under its members)               team, current_user
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from flask import g
from jinja2 import pass_context
from sqlalchemy import select

_templates: dict[str, list[str]] = defaultdict(list)
_post_context: list[Callable[..., dict]] = []
_card_context: list[Callable[..., dict]] = []
_counts: dict[str, Callable[..., object]] = {}
_draft_context: list[Callable[..., dict]] = []
_thread: list[Callable[..., tuple[dict, list]]] = []
_page_context: dict[str, list[Callable[..., dict]]] = defaultdict(list)


def add_template(slot: str, template: str) -> None:
    if template not in _templates[slot]:
        _templates[slot].append(template)


def slot_templates(slot: str) -> list[str]:
    return list(_templates.get(slot, ()))


@pass_context
def comment_slots(context) -> dict[str, list]:
    """{"meta": [...], "actions": [...]}: the macros of the comment slots' templates, each
    template imported once with the page's variables (as `{% import t with context %}`)."""
    found: dict[str, list] = {}
    variables = context.get_all()
    for slot in ("comment.meta", "comment.actions"):
        name = slot.replace(".", "_")
        found[slot.split(".")[1]] = [
            getattr(context.environment.get_template(template).make_module(variables, True),
                    name)
            for template in _templates.get(slot, ())]
    return found


def add_post_context(fn: Callable[..., dict], *, drafts: bool = False) -> Callable[..., dict]:
    if fn not in _post_context:
        _post_context.append(fn)
    if drafts and fn not in _draft_context:
        _draft_context.append(fn)
    return fn


def set_thread(fn: Callable[..., tuple[dict, list]]) -> None:
    _thread[:] = [fn]


def post_context(post, viewer) -> dict:
    """The post page's variables from every feature: the thread first, then each post
    context with the thread's comments. A draft has no discussion yet."""
    if post.is_draft:
        extra, comments, contexts = {}, [], _draft_context
    else:
        extra, comments = _thread[0](post, viewer) if _thread else ({}, [])
        contexts = _post_context
    for fn in contexts:
        extra.update(fn(post, viewer, comments))
    return extra


def add_page_context(page: str, fn: Callable[..., dict]) -> Callable[..., dict]:
    if fn not in _page_context[page]:
        _page_context[page].append(fn)
    return fn


def page_context(page: str, **arguments) -> dict:
    """Every feature's variables for `page`. A context's ``cards`` (posts its slot shows as
    cards) are gathered from all of them, so the page loads their card context with its own
    cards in one go."""
    extra: dict = {"cards": []}
    for fn in _page_context.get(page, ()):
        values = dict(fn(**arguments))
        extra["cards"] += values.pop("cards", [])
        extra.update(values)
    return extra


def add_card_context(fn: Callable[..., dict]) -> Callable[..., dict]:
    if fn not in _card_context:
        _card_context.append(fn)
    return fn


def card_context(posts, viewer=None) -> dict[int, dict]:
    """Per post id, what the card slots show; empty dicts when no feature adds anything."""
    if viewer is None:
        from flask_login import current_user as viewer
    posts = list(posts)
    extras: dict[int, dict] = {post.id: {} for post in posts}
    if posts:
        for fn in _card_context:
            for post_id, values in fn(posts, viewer).items():
                extras.setdefault(post_id, {}).update(values)
    return extras


def add_count(name: str, fn: Callable[..., object]) -> None:
    """`fn(viewer)`: a `select(func.count())…` for this viewer, or None when it does not apply
    (e.g. a coordinator's count for a member)."""
    _counts[name] = fn


def nav_count(name: str) -> int:
    """A header count for the logged-in member (0 for visitors): the first call of a request
    computes every registered count in one statement."""
    if "slot_counts" not in g:
        g.slot_counts = _all_counts()
    return g.slot_counts.get(name, 0)


def _all_counts() -> dict[str, int]:
    from flask_login import current_user

    from learncom.extensions import db

    if not current_user.is_authenticated:
        return {}
    columns = []
    for name, fn in _counts.items():
        query = fn(current_user)
        if query is not None:
            columns.append(query.scalar_subquery().label(name))
    if not columns:
        return {}
    return {name: value or 0 for name, value in
            db.session.execute(select(*columns)).one()._mapping.items()}


def register(app) -> None:
    app.jinja_env.globals["slot_templates"] = slot_templates
    app.jinja_env.globals["comment_slots"] = comment_slots
    app.jinja_env.globals["card_extras"] = card_context
    app.jinja_env.globals["nav_count"] = nav_count
