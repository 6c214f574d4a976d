"""Post logic: create, edit (with revisions), delete, tags, neighbourhoods, links, log entries
and the visibility-aware queries every list uses. Functions flush; the caller commits."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from markupsafe import Markup, escape
from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from learncom import events, vocab
from learncom.accounts.models import Team, User
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.markdown import render_markdown
from learncom.permissions import (
    can_manage_neighbourhoods,
    can_post_for_team,
    can_view_post,
    hidden_post_notice,
)
from learncom.posts import filters
from learncom.posts.filters import MAX_TAG_LENGTH, normalise_tag
from learncom.posts.kinds import KIND_FIELDS, KINDS, WORKFLOW_FIELDS
from learncom.posts.models import (
    LogEntry,
    Neighbourhood,
    Post,
    PostLink,
    PostRevision,
    Tag,
    post_tags,
)
from learncom.text import slugify

MAX_TAGS = 10
#: The longest Markdown text a post, a kind field or a log entry may hold (forms and import).
MAX_TEXT = 50_000


class PostError(ValueError):
    """A change that breaks a rule; the message is shown to the user."""


# -- tags and neighbourhoods -------------------------------------------------------------------

def parse_tags(raw: str | list[str]) -> list[str]:
    """Tags from a comma-separated string (or a list), normalised, unique, in the given order."""
    parts = raw if isinstance(raw, list) else re.split(r"[,;\n]", raw or "")
    seen: list[str] = []
    for part in parts:
        tag = normalise_tag(part)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def get_or_create_tags(names: list[str]) -> list[Tag]:
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in dict.fromkeys(names):
        if name in existing:
            continue
        # Another request may create the same new tag at the same moment (PostgreSQL lets both
        # try; SQLite's BEGIN IMMEDIATE serialises them): insert in a savepoint, and on a clash
        # use the row the other one committed.
        try:
            with db.session.begin_nested():
                tag = Tag(name=name)
                db.session.add(tag)
        except IntegrityError:
            tag = db.session.scalars(select(Tag).where(Tag.name == name)).one()
        existing[name] = tag
    return [existing[name] for name in names]


def get_or_create_neighbourhood(name: str, city: str | None = None) -> Neighbourhood:
    name = name.strip()
    found = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == name))
    if found is None:
        base = slugify(name)
        slug, n = base, 2
        while db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.slug == slug)):
            slug, n = f"{base}-{n}", n + 1
        found = Neighbourhood(name=name, slug=slug, city=city)
        db.session.add(found)
        db.session.flush()
    return found


# -- create / edit / delete --------------------------------------------------------------------


@dataclass
class PostInput:
    """What a form or an import line says about a post."""

    kind: str
    title: str
    body: str = ""
    tags: list[str] | None = None
    neighbourhood_id: int | None = None
    team_id: int | None = None
    visibility: str = "public"
    fields: dict | None = None


def _apply(post: Post, data: PostInput, editor: User | None) -> None:
    tags = parse_tags(data.tags or [])
    if not 1 <= len(tags) <= MAX_TAGS:
        raise PostError(f"A post needs 1 to {MAX_TAGS} tags.")
    if data.visibility not in vocab.VISIBILITIES:
        raise PostError("Unknown visibility.")
    if data.visibility == "team" and data.team_id is None:
        raise PostError("A team-only post needs a team.")
    if (data.team_id != post.team_id and editor is not None
            and not can_post_for_team(editor, data.team_id)):
        raise PostError("You can only post for a team you belong to.")
    post.title = data.title.strip()
    post.body = data.body or ""
    post.tags = get_or_create_tags(tags)
    post.neighbourhood_id = data.neighbourhood_id
    post.team_id = data.team_id
    post.visibility = data.visibility
    for spec in KIND_FIELDS[post.kind]:
        fields = data.fields or {}
        if spec.name in fields:
            setattr(post, spec.name, coerce_field(spec, fields[spec.name]))
        elif getattr(post, spec.name) is None and spec.default is not None:
            setattr(post, spec.name, spec.default)


def coerce_field(spec, value):
    """A kind field's value from a form or JSON, checked against its type and choices."""
    if value in ("", None):
        return spec.default if spec.type in ("choice", "bool") else None
    if spec.type == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as error:
            raise PostError(f"{spec.name}: not a date (YYYY-MM-DD): {value!r}") from error
    if spec.type == "choice":
        if value not in spec.choices:
            raise PostError(f"{spec.name}: unknown value {value!r}")
        return value
    if spec.type == "bool":
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true", "on")
    return str(value)


def create_post(author: User | None, data: PostInput, *,
                created_at: datetime | None = None, imported: bool = False,
                draft: bool = False, shared_with_coordinators: bool = False) -> Post:
    """`imported` posts (history brought in by the importer) raise no events: nobody is
    notified of a post written months ago elsewhere. A `draft` raises none either until it is
    published (see `publish_post`); `shared_with_coordinators` lets every coordinator open and
    finish it (a draft promoted from a discussion)."""
    if data.kind not in KIND_FIELDS:
        raise PostError(f"Unknown kind {data.kind!r}")
    post = Post(kind=data.kind, author=author,
                shared_with_coordinators=draft and shared_with_coordinators)
    _apply(post, data, author)
    post.created_at = post.updated_at = post.published_at = created_at or utcnow()
    db.session.add(post)
    db.session.flush()
    if draft:
        # After the insert: the column's default would turn None into "published now".
        post.published_at = None
    _add_revision(post, author)
    if not imported and not draft:
        events.emit("post.created", post=post, actor=author)
    return post


def update_post(post: Post, editor: User, data: PostInput) -> bool:
    """Apply an edit; returns False (and keeps no revision) when nothing changed. Edits to a
    draft raise no event: nobody hears of a draft."""
    before = snapshot(post)
    data.kind = post.kind
    _apply(post, data, editor)
    if snapshot(post) == before:
        return False
    post.updated_at = utcnow()
    db.session.flush()
    _add_revision(post, editor)
    if not post.is_draft:
        events.emit("post.updated", post=post, actor=editor)
    return True


def publish_post(post: Post, actor: User) -> bool:
    """Publish a draft: from now on it is in lists, search, feeds and the API, and its
    followers hear of it ("post.created": for everyone else the post is new now). Its date
    becomes the day it was published. Returns False when it was already published."""
    if not post.is_draft:
        return False
    now = utcnow()
    post.published_at = post.created_at = post.updated_at = now
    post.shared_with_coordinators = False
    db.session.flush()
    events.emit("post.created", post=post, actor=actor)
    return True


def delete_post(post: Post, actor: User | None = None) -> None:
    """Delete the post with its thread, log and links ("post.deleted" first, while it is
    still there: the audit log records a coordinator's deletion)."""
    events.emit("post.deleted", post=post, actor=actor)
    db.session.delete(post)
    db.session.flush()


def snapshot(post: Post) -> dict:
    """Everything a revision keeps, as plain JSON values."""
    data = {
        "title": post.title,
        "body": post.body,
        "tags": sorted(t.name for t in post.tags),
        "neighbourhood": post.neighbourhood.name if post.neighbourhood else None,
        "team": post.team.name if post.team else None,
        "visibility": post.visibility,
    }
    for spec in KIND_FIELDS[post.kind]:
        if spec.name in WORKFLOW_FIELDS:
            continue  # the change status has its own timeline (learncom/frictions)
        value = getattr(post, spec.name)
        data[spec.name] = value.isoformat() if isinstance(value, date) else value
    return data


def add_revision_if_changed(post: Post, editor: User | None) -> PostRevision | None:
    """A revision when the post's content differs from its last one (a change made outside
    the edit form, e.g. a resolution note written with a status change)."""
    last = db.session.scalar(select(PostRevision.snapshot).where(PostRevision.post_id == post.id)
                             .order_by(PostRevision.number.desc()).limit(1))
    db.session.flush()
    db.session.refresh(post, ["neighbourhood", "team"])
    if last is not None and {k: v for k, v in last.items() if k not in WORKFLOW_FIELDS} \
            == snapshot(post):
        return None
    return _add_revision(post, editor)


def _add_revision(post: Post, editor: User | None) -> PostRevision:
    # Reload relationships the snapshot reads, in case ids were set directly.
    db.session.flush()
    db.session.refresh(post, ["neighbourhood", "team"])
    number = (db.session.scalar(select(func.max(PostRevision.number))
                                .where(PostRevision.post_id == post.id)) or 0) + 1
    revision = PostRevision(post_id=post.id, number=number, editor=editor,
                            snapshot=snapshot(post), created_at=post.updated_at)
    db.session.add(revision)
    if post.published_at is not None and revision.created_at > post.published_at:
        post.edited_at = revision.created_at  # saves of a draft are no edits
    db.session.flush()
    return revision


# -- log entries and links ---------------------------------------------------------------------

def add_log_entry(post: Post, author: User | None, body: str, when: date | None = None,
                  *, created_at: datetime | None = None) -> LogEntry:
    if post.kind != "experiment":
        raise PostError("Only experiments have a log.")
    entry = LogEntry(post=post, author=author, date=when or date.today(), body=body)
    if created_at is not None:
        entry.created_at = created_at
    db.session.add(entry)
    post.updated_at = utcnow() if created_at is None else max(post.updated_at, created_at)
    db.session.flush()
    return entry


def get_log_entry(post: Post, entry_id: int) -> LogEntry | None:
    entry = db.session.get(LogEntry, entry_id)
    return entry if entry is not None and entry.post_id == post.id else None


def update_log_entry(entry: LogEntry, body: str, when: date) -> bool:
    """Change an entry's text or date; False when nothing changed."""
    if entry.body == body and entry.date == when:
        return False
    entry.body, entry.date = body, when  # its HTML is rendered again on flush
    db.session.flush()
    return True


def delete_log_entry(entry: LogEntry) -> None:
    db.session.delete(entry)
    db.session.flush()


def add_link(source: Post, target: Post, relation: str, by: User | None) -> PostLink:
    if relation not in vocab.RELATIONS:
        raise PostError("Unknown relation.")
    if source.id == target.id:
        raise PostError("A post cannot link to itself.")
    exists = db.session.scalar(select(PostLink).where(
        PostLink.source_id == source.id, PostLink.target_id == target.id,
        PostLink.relation == relation))
    if exists is not None:
        return exists
    link = PostLink(source=source, target=target, relation=relation,
                    created_by_id=by.id if by else None)
    db.session.add(link)
    db.session.flush()
    return link


def remove_link(link: PostLink) -> None:
    db.session.delete(link)
    db.session.flush()


def links_for(post: Post, viewer) -> list[tuple[str, Post, PostLink]]:
    """Both directions, each as (label, other post, link), hiding posts the viewer cannot see."""
    other_end = case((PostLink.source_id == post.id, PostLink.target_id),
                     else_=PostLink.source_id)
    rows = db.session.execute(
        select(PostLink, Post).join(Post, Post.id == other_end)
        .where(or_(PostLink.source_id == post.id, PostLink.target_id == post.id),
               Post.visible_to(viewer))
        .order_by(PostLink.id)).all()  # one statement for both directions
    outgoing = [(link.relation_label, other, link) for link, other in rows
                if link.source_id == post.id]
    incoming = [(link.inverse_label, other, link) for link, other in rows
                if link.source_id != post.id]
    return outgoing + incoming


# -- queries -----------------------------------------------------------------------------------

def card_options():
    """Eager loads for everything a post card shows: author, neighbourhood and team in the
    posts' own statement (one row each, so a join), the tags in one more."""
    return (joinedload(Post.author), joinedload(Post.neighbourhood), joinedload(Post.team),
            selectinload(Post.tags))


def visible_posts(viewer) -> Select:
    return select(Post).where(Post.visible_to(viewer)).options(*card_options())


class PostPagination(SelectPagination):
    """A page of a post list in two steps: the page's ids in the list's order, then those posts
    with what their cards show. Ordering whole rows made SQLite carry every post's texts
    through the sort (lessons by "applied" at 100,000 posts: 320 ms; ids alone: 18 ms, from the
    list indexes of migration 0017)."""

    def _query_items(self) -> list[Post]:
        select_, session = self._query_args["select"], self._query_args["session"]
        ids = session.scalars(select_.with_only_columns(Post.id).limit(self.per_page)
                              .offset(self._query_offset)).all()
        if not ids:
            return []
        posts = {post.id: post for post in session.scalars(
            select(Post).where(Post.id.in_(ids)).options(*card_options()))}
        return [posts[post_id] for post_id in ids]


def paginate_posts(query: Select, page: int, per_page: int) -> PostPagination:
    """A page of `filtered_posts` (a page past the last is empty, not a 404)."""
    return PostPagination(select=query, session=db.session(), page=page, per_page=per_page,
                          error_out=False, count=True)


def filtered_posts(viewer, *, kind: str | None = None, tag: str | None = None,
                   neighbourhood_id: int | None = None, status: str | None = None,
                   author_id: int | None = None, author_kind: str | None = None,
                   sort: str = "newest") -> Select:
    """`sort`: "newest" (default) or one of the kind's `list_sorts` (e.g. lessons "applied",
    most often applied first, from learncom/applications). Unknown values mean newest."""
    query = visible_posts(viewer)
    if kind:
        query = query.where(Post.kind == kind)
    if tag:
        query = query.where(Post.id.in_(
            select(post_tags.c.post_id).join(Tag, Tag.id == post_tags.c.tag_id)
            .where(Tag.name == tag)))
    if neighbourhood_id:
        query = query.where(Post.neighbourhood_id == neighbourhood_id)
    if status and kind in KINDS and KINDS[kind].status_field:
        query = query.where(getattr(Post, KINDS[kind].status_field) == status)
    if author_id:
        query = query.where(Post.author_id == author_id)
    if author_kind:
        query = query.where(Post.author_id.in_(select(User.id).where(User.kind == author_kind)))
    order = _LIST_SORTS.get(kind or "", {}).get(sort)
    if order is not None:
        return order[1](query)
    return query.order_by(Post.created_at.desc(), Post.id.desc())


#: The orders a kind's list offers beside "newest" (the default): per kind, name -> (label,
#: `order(query) -> query`). Add-ons add theirs with `add_list_sort` (applications: lessons
#: "most often applied"), so posts never import them.
_LIST_SORTS: dict[str, dict[str, tuple[object, Callable[[Select], Select]]]] = {}


def add_list_sort(kind: str, name: str, label, order: Callable[[Select], Select]) -> None:
    _LIST_SORTS.setdefault(kind, {})[name] = (label, order)


def list_sorts(kind: str | None) -> dict[str, object]:
    """The orders a kind's list offers, name -> label, "newest" first; empty when there is no
    choice to make."""
    extra = _LIST_SORTS.get(kind or "", {})
    if not extra:
        return {}
    return {"newest": _l("Newest first"), **{name: label for name, (label, _o) in extra.items()}}


def has_visible_posts(viewer, *, tag: str | None = None,
                      neighbourhood_id: int | None = None) -> bool:
    """Is there anything behind this tag or neighbourhood for the viewer? A page, feed or follow
    of one that holds only posts they cannot see answers 404, as for one that does not exist."""
    query = filtered_posts(viewer, tag=tag, neighbourhood_id=neighbourhood_id)
    return db.session.scalar(query.with_only_columns(Post.id).limit(1)) is not None


def visible_tag(name: str, viewer) -> Tag | None:
    """The tag, if the viewer can see a post under it."""
    tag = get_tag(name)
    return tag if tag is not None and has_visible_posts(viewer, tag=tag.name) else None


def visible_neighbourhood(slug: str, viewer) -> Neighbourhood | None:
    """The neighbourhood, if the viewer can see a post in it. Those who keep the list of
    neighbourhoods see every one."""
    hood = get_neighbourhood_by_slug(slug)
    if hood is None:
        return None
    if can_manage_neighbourhoods(viewer):
        return hood
    return hood if has_visible_posts(viewer, neighbourhood_id=hood.id) else None


def visible_hood_filter(parsed: filters.Parsed, viewer) -> None:
    """Turn a parsed `neighbourhood` filter (a slug) into the neighbourhood, if the viewer may
    filter on it; otherwise the filter is left out and named (the same for an unknown one)."""
    slug = parsed.values.pop("neighbourhood", None)
    if slug is None:
        return
    hood = visible_neighbourhood(slug, viewer)
    if hood is None:
        parsed.errors["neighbourhood"] = (filters.NEIGHBOURHOOD.label,
                                          _("This neighbourhood is unknown here."))
    else:
        parsed.values["neighbourhood"] = hood


def tag_counts(viewer) -> list[tuple[str, int]]:
    """Every tag with the number of posts the viewer can see under it."""
    rows = db.session.execute(
        select(Tag.name, func.count(Post.id))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.visible_to(viewer))
        .group_by(Tag.name).order_by(func.count(Post.id).desc(), Tag.name))
    return [(name, count) for name, count in rows.all()]


def neighbourhood_counts(viewer) -> list[tuple[Neighbourhood, int]]:
    counts = dict(db.session.execute(
        select(Post.neighbourhood_id, func.count(Post.id))
        .where(Post.visible_to(viewer), Post.neighbourhood_id.is_not(None))
        .group_by(Post.neighbourhood_id)).all())
    hoods = db.session.scalars(
        select(Neighbourhood).order_by(Neighbourhood.city, Neighbourhood.name))
    return [(hood, counts.get(hood.id, 0)) for hood in hoods]


def all_neighbourhoods() -> list[Neighbourhood]:
    return list(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def get_visible_post(post_id: int, viewer, *, drafts: bool = False) -> Post | None:
    """The post if it exists and the viewer may see it (else None: callers answer 404).
    A draft only with `drafts=True` (its own pages: show, edit, publish, delete, history);
    everything else (reactions, comments, follows, flags, links to it) is for published posts."""
    post = db.session.get(Post, post_id)
    if post is None or (post.is_draft and not drafts):
        return None
    return post if can_view_post(viewer, post) else None


def drafts_for(viewer) -> list[Post]:
    """The drafts the viewer may open (their own; for coordinators also promoted drafts),
    last changed first."""
    return list(db.session.scalars(
        select(Post).where(Post.drafts_of(viewer)).options(*card_options())
        .order_by(Post.updated_at.desc(), Post.id.desc())))


def draft_count_query(viewer):
    """The count of the viewer's drafts, as a query (one of the header counts)."""
    return select(func.count()).select_from(Post).where(Post.drafts_of(viewer))


# -- pages -------------------------------------------------------------------------------------

_POST_REF = re.compile(r"^\s*(?:\S*/posts/)?(\d{1,12})/?\s*$")


def parse_post_ref(raw: str | None) -> int | None:
    """A post id from "123" or a URL ending in "/posts/123"; None when it is neither."""
    match = _POST_REF.match(raw or "")
    return int(match.group(1)) if match else None


def get_post_page(post_id: int, viewer) -> Post | None:
    """Like get_visible_post, with everything the post page shows loaded up front."""
    post = db.session.scalar(
        select(Post).where(Post.id == post_id).options(
            *card_options(), joinedload(Post.owner),
            selectinload(Post.log_entries).joinedload(LogEntry.author)))
    return post if post is not None and can_view_post(viewer, post) else None


def hidden_by_moderation_for(post_id: int, viewer) -> bool:
    """Whether the viewer is to be told that this post is hidden by moderation (they could
    read it otherwise; anyone else gets a bare "not found")."""
    post = db.session.get(Post, post_id)
    return post is not None and hidden_post_notice(viewer, post)


def home_lists(viewer, limit: int = 6) -> dict[str, list[Post]]:
    """The home page's lists, newest first: experiments, frictions, and lessons not yet
    curated (curated lessons are featured above them; showing them here would show them
    twice). Three statements for all: the ids of every list at once, their posts, their tags."""
    newest = (Post.created_at.desc(), Post.id.desc())
    lists = {name: Post.kind == name for name in KINDS}
    lists["lesson"] = and_(lists["lesson"], Post.curated.is_not(True))
    parts = [select(literal(name).label("list"), Post.id.label("id"), Post.created_at)
             .where(Post.visible_to(viewer), condition).order_by(*newest).limit(limit)
             .subquery() for name, condition in lists.items()]
    rows = db.session.execute(union_all(*(select(part) for part in parts))).all()
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_([row.id for row in rows])).options(*card_options()))}
    found: dict[str, list[Post]] = {name: [] for name in lists}
    for row in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True):
        found[row.list].append(posts[row.id])
    return found


def was_edited(post: Post) -> bool:
    """Whether the post changed after it was published (what the "edited" mark says): saves of
    a draft and a coordinator moving a friction's status are not edits."""
    return not post.is_draft and post.edited_at is not None


@dataclass
class FieldRow:
    """A kind field as the post page shows it."""

    name: str
    type: str
    label: str
    value: object  # a date, a bool, a choice label, a line of text, or safe HTML (Markup)


def field_rows(post: Post) -> list[FieldRow]:
    """The post's kind fields that have a value, in the order kinds.py declares them; Markdown
    fields as the HTML stored when they were written."""
    rows = []
    stored = post.fields_html
    for spec in KIND_FIELDS[post.kind]:
        value = getattr(post, spec.name)
        if value is None or value == "":
            continue
        if spec.type == "text" and stored is None:  # stored before 0005; see learncom/rendered.py
            value = render_markdown(value)
        elif spec.type == "text":
            value = Markup(stored.get(spec.name, ""))  # noqa: S704 - sanitised when stored
        elif spec.type == "choice":
            value = str(spec.choices.get(value, value))
        rows.append(FieldRow(spec.name, spec.type, str(spec.label), value))
    return rows


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_arg(value: str | None, max_length: int = 200) -> str:
    """A query-string or URL value without control characters (PostgreSQL refuses NUL)."""
    return _CONTROL.sub("", value or "")[:max_length]


def get_tag(name: str) -> Tag | None:
    if not name or len(name) > MAX_TAG_LENGTH or _CONTROL.search(name):
        return None
    return db.session.scalar(select(Tag).where(Tag.name == name))


def get_neighbourhood_by_slug(slug: str) -> Neighbourhood | None:
    if not slug or len(slug) > 80 or _CONTROL.search(slug):
        return None
    return db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == slug))


def neighbourhood_exists(name: str) -> bool:
    return db.session.scalar(select(Neighbourhood.id).where(
        func.lower(Neighbourhood.name) == name.strip().lower())) is not None


def add_neighbourhood(name: str, city: str | None) -> Neighbourhood:
    """A coordinator adds a wijk to the managed list."""
    if neighbourhood_exists(name):
        raise PostError("This neighbourhood already exists.")
    return get_or_create_neighbourhood(name, (city or "").strip() or None)


def neighbourhoods_by_city(viewer) -> list[tuple[str, list[tuple[Neighbourhood, int]]]]:
    """The neighbourhoods with posts the viewer can see (coordinators: all of them) and those
    counts, grouped by city (no city last)."""
    groups: dict[str, list[tuple[Neighbourhood, int]]] = {}
    everything = can_manage_neighbourhoods(viewer)
    for hood, count in neighbourhood_counts(viewer):
        if not count and not everything:
            continue
        groups.setdefault(hood.city or "", []).append((hood, count))
    return sorted(groups.items(), key=lambda item: (item[0] == "", item[0].lower()))


def get_link_of(post: Post, link_id: int) -> PostLink | None:
    """A link that starts or ends at this post."""
    link = db.session.get(PostLink, link_id)
    if link is None or post.id not in (link.source_id, link.target_id):
        return None
    return link


# -- history -----------------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|[^\s]+")
# Snapshot keys whose values are long text: shown as a word-level diff.
LONG_TEXT_FIELDS = frozenset({"body"}) | frozenset(
    spec.name for specs in KIND_FIELDS.values() for spec in specs if spec.type == "text")


#: difflib compares every token of one side with every token of the other, and far worse on
#: repetitive text (16,000 tokens of prose took 30 s, 1,000 tokens of a hostile pattern 7 s,
#: 500 lines "x" against 500 lines "x", "y" 8.5 s). A diff compares at most this many token
#: (or line) pairs in all: beyond it only the changed stretch between the shared start and end
#: is compared, then line by line, and what is still too big is shown removed and added whole.
DIFF_BUDGET = 20_000


def word_diff(old: str | None, new: str | None) -> Markup:
    """A word-level diff of two texts as HTML: every token is escaped before any markup is added,
    so user text can never turn into tags. Bounded by DIFF_BUDGET."""
    parts: list[str] = []
    _diff(_TOKENS.findall(old or ""), _TOKENS.findall(new or ""), parts, [DIFF_BUDGET],
          by_lines=True)
    return Markup("".join(parts))  # noqa: S704 - built from escaped tokens only


def _diff(old: list[str], new: list[str], parts: list[str], budget: list[int], *,
          by_lines: bool) -> None:
    if len(old) * len(new) <= budget[0]:
        budget[0] -= len(old) * len(new)
        _opcodes(old, new, parts)
        return
    # Too big to compare word by word: keep what both share at the start and the end...
    start, shortest = 0, min(len(old), len(new))
    while start < shortest and old[start] == new[start]:
        start += 1
    end = 0
    while end < shortest - start and old[-1 - end] == new[-1 - end]:
        end += 1
    parts.append(str(escape("".join(old[:start]))))
    middle_old, middle_new = old[start:len(old) - end], new[start:len(new) - end]
    if len(middle_old) * len(middle_new) <= budget[0]:
        _diff(middle_old, middle_new, parts, budget, by_lines=False)
    elif by_lines:  # ...then compare the changed stretch line by line
        old_lines = _LINES.findall("".join(middle_old))
        new_lines = _LINES.findall("".join(middle_new))
        if len(old_lines) * len(new_lines) <= budget[0]:
            budget[0] -= len(old_lines) * len(new_lines)
            matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
            for op, a1, a2, b1, b2 in matcher.get_opcodes():
                if op == "equal":
                    parts.append(str(escape("".join(old_lines[a1:a2]))))
                else:
                    _diff(_TOKENS.findall("".join(old_lines[a1:a2])),
                          _TOKENS.findall("".join(new_lines[b1:b2])), parts, budget,
                          by_lines=False)
        else:
            _whole(middle_old, middle_new, parts)
    else:
        _whole(middle_old, middle_new, parts)
    parts.append(str(escape("".join(old[len(old) - end:]))))


def _opcodes(old: list[str], new: list[str], parts: list[str]) -> None:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(str(escape("".join(old[a1:a2]))))
        else:
            _whole(old[a1:a2], new[b1:b2], parts)


def _whole(old: list[str], new: list[str], parts: list[str]) -> None:
    if old:
        parts.append(f"<del>{escape(''.join(old))}</del>")
    if new:
        parts.append(f"<ins>{escape(''.join(new))}</ins>")


_LINES = re.compile(r"[^\n]*\n|[^\n]+")


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str
    diff: Markup | None = None  # long text: a word-level diff
    added: list[str] | None = None  # tags
    removed: list[str] | None = None


def _field_labels(kind: str) -> dict[str, object]:
    labels: dict[str, object] = {
        "title": _l("Title"), "body": _l("Text"), "tags": _l("Tags"),
        "neighbourhood": _l("Neighbourhood"), "team": _l("Team"), "visibility": _l("Visibility"),
    }
    labels.update({spec.name: spec.label for spec in KIND_FIELDS[kind]})
    return labels


def _display(kind: str, key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if key == "visibility":
        return str(vocab.VISIBILITY_SHORT.get(value, value))
    specs = {spec.name: spec for spec in KIND_FIELDS[kind]}
    spec = specs.get(key)
    if spec is not None and spec.type == "choice":
        return str(spec.choices.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def changes_between(kind: str, before: dict, after: dict) -> list[Change]:
    """The fields that differ between two snapshots, as the history page shows them."""
    labels = _field_labels(kind)
    keys = list(labels) + [k for k in after if k not in labels]
    changes = []
    for key in keys:
        if key in WORKFLOW_FIELDS:
            continue  # older revisions kept the change status; its timeline shows it now
        old, new = before.get(key), after.get(key)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        label = str(labels.get(key, key))
        if key == "tags":
            old_set, new_set = set(old or []), set(new or [])
            changes.append(Change(key, label, ", ".join(old or []), ", ".join(new or []),
                                  added=sorted(new_set - old_set),
                                  removed=sorted(old_set - new_set)))
        elif key in LONG_TEXT_FIELDS or key == "title":
            changes.append(Change(key, label, old or "", new or "",
                                  diff=word_diff(old or "", new or "")))
        else:
            changes.append(Change(key, label, _display(kind, key, old), _display(kind, key, new)))
    return changes
