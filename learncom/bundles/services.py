"""Bundles: a coordinator collects curated lessons (and the experiments and frictions behind
them) into an ordered, introduced collection, publishes it, and prints or exports it.

Every page and export shows only the items the viewer may see, and never posts hidden by
moderation. Functions flush; the view commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from learncom import events
from learncom.bundles.models import Bundle, BundleItem
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.permissions import can_manage_bundles, can_view_bundle
from learncom.posts import services as post_services
from learncom.posts.kinds import KIND_FIELDS
from learncom.posts.models import Post, PostLink
from learncom.text import slugify
from learncom.web import format_when

#: Slugs that are pages of their own under /bundels/.
RESERVED_SLUGS = frozenset({"nieuw"})
#: Kinds that can sit behind a lesson in a bundle.
BEHIND_KINDS = ("experiment", "friction")
#: What slugify() makes; anything else in a URL cannot be a bundle (and never reaches SQL).
_SLUG = re.compile(r"[a-z0-9-]{1,200}")
#: Curated lessons offered on the edit page.
CANDIDATE_LIMIT = 50


class BundleError(ValueError):
    """A change that breaks a rule; the message is shown to the user."""


# -- reading -----------------------------------------------------------------------------------

def bundles_for(viewer) -> list[Bundle]:
    """Published bundles, newest first; coordinators also see drafts (first)."""
    query = select(Bundle).options(selectinload(Bundle.created_by))
    if not can_manage_bundles(viewer):
        query = query.where(Bundle.published_at.is_not(None))
    query = query.order_by(Bundle.published_at.is_not(None), Bundle.published_at.desc(),
                           Bundle.updated_at.desc(), Bundle.id.desc())
    return list(db.session.scalars(query))


def item_counts(bundles: list[Bundle], viewer) -> dict[int, int]:
    """Per bundle, the number of items this viewer would see (one grouped query)."""
    ids = [b.id for b in bundles]
    if not ids:
        return {}
    rows = db.session.execute(
        select(BundleItem.bundle_id, func.count())
        .join(Post, Post.id == BundleItem.post_id)
        .where(BundleItem.bundle_id.in_(ids), Post.visible_to(viewer), Post.hidden_at.is_(None))
        .group_by(BundleItem.bundle_id))
    return dict(rows.all())


def get_bundle(slug: str, viewer) -> Bundle | None:
    """The bundle if it exists and the viewer may see it (drafts: coordinators only)."""
    if not _SLUG.fullmatch(slug or ""):
        return None
    bundle = db.session.scalar(select(Bundle).where(Bundle.slug == slug))
    return bundle if bundle is not None and can_view_bundle(viewer, bundle) else None


def visible_items(bundle: Bundle, viewer) -> list[BundleItem]:
    """The items shown on the bundle page, print page and export: posts the viewer can see and
    that are not hidden by moderation, in order (one query plus card loads)."""
    return list(db.session.scalars(
        select(BundleItem).join(Post, Post.id == BundleItem.post_id)
        .where(BundleItem.bundle_id == bundle.id, Post.visible_to(viewer),
               Post.hidden_at.is_(None))
        .options(selectinload(BundleItem.post).options(*post_services.card_options()))
        .order_by(BundleItem.position, BundleItem.id)))


def all_items(bundle: Bundle) -> list[BundleItem]:
    """Every item, for the edit page (the coordinator also sees hidden posts, to remove them)."""
    return list(db.session.scalars(
        select(BundleItem).where(BundleItem.bundle_id == bundle.id)
        .options(selectinload(BundleItem.post).options(*post_services.card_options()))
        .order_by(BundleItem.position, BundleItem.id)))


def candidates(bundle: Bundle, viewer, limit: int = CANDIDATE_LIMIT) -> list[Post]:
    """Curated lessons not yet in the bundle, newest first."""
    in_bundle = select(BundleItem.post_id).where(BundleItem.bundle_id == bundle.id)
    return list(db.session.scalars(
        post_services.visible_posts(viewer)
        .where(Post.kind == "lesson", Post.curated.is_(True), Post.hidden_at.is_(None),
               Post.id.not_in(in_bundle))
        .order_by(Post.curated_at.is_(None), Post.curated_at.desc(), Post.created_at.desc(),
                  Post.id.desc())
        .limit(limit)))


def posts_behind(lesson_ids: list[int], viewer) -> dict[int, list[Post]]:
    """Per lesson, the experiments and frictions linked to it (either direction) that the
    viewer can see (one query for all lessons)."""
    if not lesson_ids:
        return {}
    rows = db.session.execute(
        select(PostLink.source_id, PostLink.target_id, Post)
        .join(Post, or_(Post.id == PostLink.source_id, Post.id == PostLink.target_id))
        .where(or_(PostLink.source_id.in_(lesson_ids), PostLink.target_id.in_(lesson_ids)),
               Post.id.not_in(lesson_ids), Post.kind.in_(BEHIND_KINDS),
               Post.visible_to(viewer), Post.hidden_at.is_(None))
        .order_by(Post.created_at, Post.id)).all()
    behind: dict[int, list[Post]] = {}
    for source_id, target_id, post in rows:
        lesson_id = source_id if source_id in lesson_ids else target_id
        found = behind.setdefault(lesson_id, [])
        if post not in found:
            found.append(post)
    return behind


# -- changing ----------------------------------------------------------------------------------

def unique_slug(title: str) -> str:
    base = slugify(title)
    slug, n = base, 2
    while slug in RESERVED_SLUGS or db.session.scalar(
            select(Bundle.id).where(Bundle.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_bundle(actor, title: str, intro: str) -> Bundle:
    bundle = Bundle(title=title.strip(), slug=unique_slug(title), created_by_id=actor.id)
    _set_intro(bundle, intro)
    db.session.add(bundle)
    db.session.flush()
    events.emit("bundle.created", bundle=bundle, actor=actor)
    return bundle


def update_bundle(bundle: Bundle, title: str, intro: str, actor=None) -> bool:
    """The slug stays as it was, so printed and shared links keep working. Returns False when
    nothing changed."""
    title = title.strip()
    if title == bundle.title and (intro or "") == bundle.intro:
        return False
    bundle.title = title
    _set_intro(bundle, intro)
    bundle.updated_at = utcnow()
    db.session.flush()
    events.emit("bundle.updated", bundle=bundle, actor=actor)
    return True


def _set_intro(bundle: Bundle, intro: str) -> None:
    bundle.intro = intro or ""


def delete_bundle(bundle: Bundle, actor) -> None:
    events.emit("bundle.deleted", bundle=bundle, actor=actor)
    db.session.delete(bundle)
    db.session.flush()


def publish(bundle: Bundle, actor) -> bool:
    if bundle.is_published:
        return False
    bundle.published_at = utcnow()
    db.session.flush()
    events.emit("bundle.published", bundle=bundle, actor=actor)
    return True


def unpublish(bundle: Bundle, actor) -> bool:
    if not bundle.is_published:
        return False
    bundle.published_at = None
    db.session.flush()
    events.emit("bundle.unpublished", bundle=bundle, actor=actor)
    return True


def check_addable(bundle: Bundle, post: Post) -> None:
    """Curated lessons, and experiments and frictions (the posts behind lessons)."""
    if post.hidden_at is not None:
        raise BundleError(_("This post is hidden by moderation."))
    if post.kind == "lesson" and not post.curated:
        raise BundleError(_("Only curated lessons can go into a bundle. Curate it first."))
    if db.session.scalar(select(BundleItem.id).where(
            BundleItem.bundle_id == bundle.id, BundleItem.post_id == post.id)) is not None:
        raise BundleError(_("This post is already in the bundle."))


def _renumber(items: list[BundleItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


def add_item(bundle: Bundle, post: Post, *, after: BundleItem | None = None,
             actor=None) -> BundleItem:
    """Add a post at the end, or right after `after`."""
    check_addable(bundle, post)
    items = all_items(bundle)
    item = BundleItem(bundle=bundle, post_id=post.id)
    index = items.index(after) + 1 if after is not None and after in items else len(items)
    items.insert(index, item)
    _renumber(items)
    db.session.add(item)
    bundle.updated_at = utcnow()
    db.session.flush()
    events.emit("bundle.item_added", bundle=bundle, post_id=post.id, actor=actor)
    return item


def add_posts_behind(bundle: Bundle, item: BundleItem, viewer) -> list[BundleItem]:
    """Add the experiments and frictions linked to this lesson, right after it, skipping the
    ones already in the bundle (`viewer`: the coordinator adding them, named in the audit
    log)."""
    in_bundle = set(db.session.scalars(
        select(BundleItem.post_id).where(BundleItem.bundle_id == bundle.id)))
    added: list[BundleItem] = []
    after = item
    for post in posts_behind([item.post_id], viewer).get(item.post_id, []):
        if post.id in in_bundle:
            continue
        after = add_item(bundle, post, after=after, actor=viewer)
        added.append(after)
    return added


def move_item(bundle: Bundle, item: BundleItem, step: int, actor=None) -> bool:
    """Move an item one place up (-1) or down (+1); False at either end."""
    items = all_items(bundle)
    index = items.index(item)
    target = index + step
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    _renumber(items)
    bundle.updated_at = utcnow()
    db.session.flush()
    _record_order(bundle, items, actor)
    return True


def _record_order(bundle: Bundle, items: list[BundleItem], actor) -> None:
    events.emit("bundle.items_reordered", bundle=bundle,
                order=[item.post_id for item in items], actor=actor)


def reorder(bundle: Bundle, item_ids: list[int], actor=None) -> None:
    """Put the items in the given order (ids not in the bundle are ignored; items left out keep
    their relative order after the ones given)."""
    items = all_items(bundle)
    by_id = {item.id: item for item in items}
    ordered = [by_id[i] for i in dict.fromkeys(item_ids) if i in by_id]
    ordered += [item for item in items if item not in ordered]
    if ordered == items:
        return
    _renumber(ordered)
    bundle.updated_at = utcnow()
    db.session.flush()
    _record_order(bundle, ordered, actor)


def remove_item(bundle: Bundle, item: BundleItem, actor=None) -> None:
    events.emit("bundle.item_removed", bundle=bundle, post_id=item.post_id, actor=actor)
    items = [i for i in all_items(bundle) if i.id != item.id]
    db.session.delete(item)
    _renumber(items)
    bundle.updated_at = utcnow()
    db.session.flush()


def get_item(bundle: Bundle, item_id: int) -> BundleItem | None:
    item = db.session.get(BundleItem, item_id)
    return item if item is not None and item.bundle_id == bundle.id else None


# -- export ------------------------------------------------------------------------------------

@dataclass
class ExportField:
    label: str
    value: str


def export_fields(post: Post) -> list[ExportField]:
    """The kind fields of a post as Markdown-ready text (the lesson's statement comes first in
    the export, so it is left out here, like the coordinator's curated flag)."""
    rows = []
    for spec in KIND_FIELDS[post.kind]:
        if spec.name in ("statement", "curated"):
            continue
        value = getattr(post, spec.name)
        if value is None or value == "":
            continue
        if spec.type == "choice":
            value = spec.choices.get(value, value)
        elif isinstance(value, date):
            value = format_when(value)
        rows.append(ExportField(str(spec.label), str(value).strip()))
    return rows


def _heading_safe(text: str) -> str:
    return markdown_without_html(" ".join((text or "").split()))


def markdown_without_html(text: str) -> str:
    """Members' Markdown for a .md file that any Markdown viewer may open, including viewers that
    pass raw HTML through: every "<" becomes "&lt;", which Markdown shows as "<". Everywhere,
    code blocks included (there it shows as "&lt;"): viewers disagree on where a code block
    starts and ends, so trusting one reading would let text be code in one viewer and HTML in
    another. Entities cannot make a tag: a viewer shows them as text."""
    return (text or "").replace("<", "&lt;")


def export_markdown(bundle: Bundle, viewer) -> str:
    """The whole bundle as one Markdown document: title, introduction, then each item with its
    title, statement, text, fields, author and address."""
    lines = [f"# {_heading_safe(bundle.title)}", ""]
    if bundle.is_published:
        lines += [_("Published %(date)s", date=format_when(bundle.published_at)), ""]
    if bundle.intro.strip():
        lines += [markdown_without_html(bundle.intro.strip()), ""]
    items = visible_items(bundle, viewer)
    for number, item in enumerate(items, start=1):
        post = item.post
        lines += ["---", "", f"## {number}. {_heading_safe(post.title)}", ""]
        author = _heading_safe(post.author.name) if post.author else _("former member")
        byline = f"*{post.kind_label} · {author} · {format_when(post.created_at)}*"
        if post.kind == "lesson" and post.curated:
            byline += f" · *{_('Curated')}*"
        lines += [byline, ""]
        if post.kind == "lesson" and post.statement:
            statement = markdown_without_html(post.statement.strip())
            lines += [f"**{_('What we learned')}:** {statement}", ""]
        if post.body.strip():
            lines += [markdown_without_html(post.body.strip()), ""]
        for field in export_fields(post):
            value = markdown_without_html(field.value)
            if "\n" in field.value:
                lines += [f"**{field.label}:**", "", value, ""]
            else:
                lines += [f"**{field.label}:** {value}", ""]
        if item.note:
            lines += [f"*{_('Note')}:* {markdown_without_html(item.note.strip())}", ""]
        url = url_for("posts.show", post_id=post.id, _external=True)
        lines += [f"{_('Link')}: <{url}>", ""]
    return "\n".join(lines).rstrip() + "\n"
