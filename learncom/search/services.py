"""What the rest of the app calls: search, similar posts, and the maintenance behind the CLI.

The engine returns ids, scores, facet counts and the terms it matched; this module loads the
page's posts from the database in one query (with what highlighting needs), checks
`post.can_view(viewer)` once more (so a post whose visibility changed a moment ago and is still
queued for the index is not shown), and builds safe highlighted snippets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil

from flask import current_app, has_request_context, url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learncom import vocab
from learncom.extensions import db
from learncom.posts.models import Neighbourhood, Post
from learncom.search import documents
from learncom.search.analysis import Matcher, highlight, highlight_all, plain_text
from learncom.search.backend import (
    FACETS,
    SORTS,
    CheckReport,
    EngineResults,
    Filters,
    Visibility,
)
from learncom.search.query import clean, normalise_value, parse, parse_date
from learncom.search.whoosh_backend import WhooshBackend

PER_PAGE = 10
MAX_PAGE = 1_000


def get_backend() -> WhooshBackend:
    """The app's engine, created once per app."""
    state = current_app.extensions.setdefault("learncom_search_backend", {})
    backend = state.get("backend")
    if backend is None:
        backend = state["backend"] = WhooshBackend(
            current_app.config["SEARCH_INDEX_DIR"],
            time_limit=float(current_app.config.get("SEARCH_TIME_LIMIT", 2.0)))
    return backend


# -- results -----------------------------------------------------------------------------------

@dataclass
class Hit:
    id: int
    kind: str
    title: str
    url: str
    score: float
    highlights: list[Markup]  # safe HTML: the user's text escaped, <mark> is ours
    title_html: Markup
    post: Post
    summary: str = ""  # plain text lead, for hits matched only on title, tags or names


@dataclass
class Results:
    query: str
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    sort: str = "relevance"
    filters: Filters = field(default_factory=Filters)
    fallback: bool = False
    timed_out: bool = False
    facet_labels: dict[str, dict[str, object]] = field(default_factory=dict)

    # The pagination macro reads these (the same names as Flask-SQLAlchemy's Pagination).
    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def items(self) -> list[Hit]:
        return self.hits

    def to_json(self) -> dict:
        return {
            "total": self.total, "page": self.page,
            "items": [{"id": h.id, "kind": h.kind, "title": h.title, "url": h.url,
                       "score": round(h.score, 4), "highlights": [str(x) for x in h.highlights]}
                      for h in self.hits],
            "facets": {name: dict(self.facets.get(name, {})) for name in FACETS},
            "suggestion": self.suggestion,
        }


def coerce_filters(raw: Filters | dict | None) -> Filters:
    """UI filters from a dict of query arguments; bad values are dropped, never an error."""
    if isinstance(raw, Filters):
        return raw
    raw = raw or {}

    def text(name: str) -> str | None:
        value = raw.get(name)
        return value.strip()[:80] or None if isinstance(value, str) else None

    kind = text("kind")
    return Filters(
        kind=normalise_value("kind", kind) if kind else None,
        tag=text("tag"),
        neighbourhood=text("neighbourhood") or text("wijk"),
        status=normalise_value("status", text("status")) if text("status") else None,
        author_kind=(normalise_value("author_kind", text("author_kind"))
                     if text("author_kind") else None),
        after=parse_date(text("after")), before=parse_date(text("before")),
    )


def search(query: str, filters: Filters | dict | None = None, page: int = 1, viewer=None, *,
           sort: str = "relevance", per_page: int = PER_PAGE) -> Results:
    """Search what `viewer` may see. Never raises on user input."""
    text = clean(query)
    parsed = parse(text)
    filters = coerce_filters(filters)
    sort = sort if sort in SORTS else "relevance"
    try:
        page = max(1, min(int(page or 1), MAX_PAGE))
    except (TypeError, ValueError):
        page = 1
    visibility = Visibility.for_viewer(viewer)
    backend = get_backend()
    engine: EngineResults = backend.search(parsed, filters, visibility, page=page,
                                           per_page=per_page, sort=sort)
    hits = _hits(engine, viewer)
    suggestion = None
    if parsed.words() and (engine.total == 0 or engine.fallback):
        suggestion = _suggestion(text, backend.suggest(parsed, visibility))
    return Results(query=text, hits=hits, total=engine.total, page=page, per_page=per_page,
                   facets=engine.facets, suggestion=suggestion, sort=sort, filters=filters,
                   fallback=engine.fallback, timed_out=engine.timed_out,
                   facet_labels=_facet_labels(engine.facets))


def _hits(engine: EngineResults, viewer) -> list[Hit]:
    if not engine.hits:
        return []
    posts = _load(ids=[h.id for h in engine.hits])
    matcher = Matcher(engine.terms, engine.prefixes)
    hits = []
    for engine_hit in engine.hits:
        post = posts.get(engine_hit.id)
        if post is None or not post.can_view(viewer):
            continue
        highlights = snippets(post, matcher)
        hits.append(Hit(id=post.id, kind=post.kind, title=post.title, url=post_url(post.id),
                        score=engine_hit.score, highlights=highlights,
                        title_html=highlight_all(post.title, matcher), post=post,
                        summary="" if highlights else _summary(post.body)))
    return hits


def _summary(body: str | None, length: int = 200) -> str:
    text = plain_text(body)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _load(ids: list[int]) -> dict[int, Post]:
    from learncom.posts.services import card_options

    posts = db.session.scalars(select(Post).where(Post.id.in_(ids)).options(
        *card_options(), selectinload(Post.log_entries), selectinload(Post.comments)))
    return {post.id: post for post in posts}


def snippets(post: Post, matcher: Matcher) -> list[Markup]:
    """Up to two snippets: where the body (or its fields and log) matches, and the first
    matching comment. A post found only through a comment shows that comment."""
    found: list[Markup] = []
    body = highlight(documents.body_text(post), matcher)
    if body is not None:
        found.append(body)
    for text in documents.comment_texts(post):
        snippet = highlight(text, matcher)
        if snippet is not None:
            found.append(Markup('<span class="snippet-comment">') + snippet + Markup("</span>"))
            break
    return found


def _suggestion(text: str, corrections: dict[str, str]) -> str | None:
    if not corrections:
        return None
    suggested = text
    for word, better in corrections.items():
        suggested = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", lambda _m, b=better: b,
                           suggested, count=1)
    return suggested if suggested != text else None


def _facet_labels(facets: dict[str, dict[str, int]]) -> dict[str, dict[str, object]]:
    """Display labels per facet value (lazy strings: translated when the page renders)."""
    labels: dict[str, dict[str, object]] = {
        "kind": {k: vocab.POST_KINDS.get(k, k) for k in facets.get("kind", {})},
        "status": {},
        "tag": {t: t for t in facets.get("tag", {})},
        "neighbourhood": {},
    }
    all_statuses = {**vocab.EXPERIMENT_STATUSES, **vocab.CHANGE_STATUSES}
    labels["status"] = {s: all_statuses.get(s, s) for s in facets.get("status", {})}
    slugs = list(facets.get("neighbourhood", {}))
    if slugs:
        rows = db.session.execute(select(Neighbourhood.slug, Neighbourhood.name)
                                  .where(Neighbourhood.slug.in_(slugs))).all()
        names = dict(rows)
        labels["neighbourhood"] = {slug: names.get(slug, slug) for slug in slugs}
    return labels


def filter_chips(filters: Filters, facet_labels: dict[str, dict[str, object]]
                 ) -> list[tuple[str, str]]:
    """The active filters as (query argument, what the person reads): names and labels, never
    stored values ("Ervaringsdeskundige", "Vanaf 1 jan 2026", not "expert_by_experience")."""
    from flask_babel import gettext as _

    from learncom.web import format_when

    all_statuses = {**vocab.EXPERIMENT_STATUSES, **vocab.CHANGE_STATUSES}
    chips = []
    for name, value in vars(filters).items():
        if not value:
            continue
        if name in ("after", "before"):
            label = (_("From %(date)s", date=format_when(value)) if name == "after"
                     else _("Until %(date)s", date=format_when(value)))
        elif name == "author_kind":
            label = _("Written by: %(kind)s", kind=vocab.MEMBER_KINDS.get(value, value))
        elif name == "kind":
            label = str(vocab.POST_KINDS.get(value, value))
        elif name == "status":
            label = str(all_statuses.get(value, value))
        elif name == "neighbourhood":
            label = str(facet_labels.get(name, {}).get(value) or db.session.scalar(
                select(Neighbourhood.name).where(Neighbourhood.slug == value)) or value)
        else:
            label = str(value)
        chips.append((name, label))
    return chips


def post_url(post_id: int) -> str:
    if has_request_context():
        return url_for("posts.show", post_id=post_id)
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("posts.show", {"post_id": post_id})


# -- similar posts ---------------------------------------------------------------------------

def similar(post: Post, viewer, limit: int = 5) -> list[Post]:
    """Posts like this one that the viewer may see (never the post itself)."""
    text = f"{post.title}\n{post.title}\n{plain_text(post.body)}"
    return _similar(text, viewer, exclude=post.id, limit=limit)


def similar_text(title: str, body: str, viewer, limit: int = 5) -> list[Post]:
    """For the new-post form: "does this exist already?" from what was typed so far."""
    title = (title or "")[:300] if isinstance(title, str) else ""
    body = (body or "")[:5_000] if isinstance(body, str) else ""
    return _similar(f"{title}\n{title}\n{plain_text(body)}", viewer, exclude=None, limit=limit)


def _similar(text: str, viewer, *, exclude: int | None, limit: int) -> list[Post]:
    found = get_backend().similar(text, Visibility.for_viewer(viewer), exclude=exclude,
                                  limit=limit)
    if not found:
        return []
    from learncom.posts.services import card_options

    posts = {p.id: p for p in db.session.scalars(
        select(Post).where(Post.id.in_([h.id for h in found])).options(*card_options()))}
    return [posts[h.id] for h in found
            if h.id in posts and h.id != exclude and posts[h.id].can_view(viewer)]


# -- maintenance -----------------------------------------------------------------------------

def rebuild(progress: Callable[[int], None] | None = None, *, procs: int = 1) -> int:
    """Index every post into a fresh index, swap it in, then drain what queued meanwhile.
    With `procs` > 1 the posts are split into that many id ranges, each indexed by a process
    of its own (not for an in-memory database, which other processes cannot open)."""
    from learncom.search import queue

    backend = get_backend()
    url = db.engine.url
    shared = not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))
    with queue.read_session() as session:
        covered = queue.visible_ids(session)  # first: the snapshot the posts are read in
        total = documents.count_posts(session)
        parts = (documents.parts(session, url.render_as_string(hide_password=False), procs)
                 if procs > 1 and shared else [])
        backend.rebuild(documents.iter_documents(session), total, progress, parts=parts)
    queue.forget(covered)  # the new index has them; a bulk import is not indexed twice
    queue.sync(backend)
    return total


def purge_deleted() -> bool:
    """After personal data was erased (learncom/privacy/erasure.py): index the queued changes,
    then rewrite whatever in the index files still holds deleted documents (their terms,
    stored fields and spelling words stay on disk until their segment is merged). True when
    nothing deleted is left on disk."""
    from functools import partial

    from learncom.search import queue

    backend = get_backend()
    queue.sync(backend)
    return backend.purge(partial(queue._load, db.engine))


def check() -> CheckReport:
    """Posts missing from the index, stale in it (indexed content differs from the database),
    and index entries whose post is gone."""
    from learncom.search import queue

    indexed = get_backend().fingerprints()
    report = CheckReport(queued=queue.pending())
    seen: set[int] = set()
    with queue.read_session() as session:
        for doc in documents.iter_documents(session):
            seen.add(doc.id)
            if doc.id not in indexed:
                report.missing.append(doc.id)
            elif indexed[doc.id] != doc.fingerprint:
                report.stale.append(doc.id)
    report.orphans = sorted(set(indexed) - seen)
    return report
