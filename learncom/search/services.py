"""What the rest of the app calls: search, similar posts, and the maintenance behind the CLI.

The engine (`get_backend`: Whoosh or PostgreSQL, by `SEARCH_BACKEND`) returns ids, scores,
facet counts and a highlighter; this module loads the page's posts from the database in one
query (with what highlighting needs), checks `can_view_post(viewer, post)` once more (so a
post whose visibility changed a moment ago and is still queued for the index is not shown),
and has the engine's highlighter build safe snippets from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import timedelta
from math import ceil
from pathlib import Path

from flask import Flask, current_app, has_request_context, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, load_only, selectinload

from learncom import aftercommit, vocab
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.permissions import can_view_post
from learncom.posts import filters as post_filters
from learncom.posts import kinds
from learncom.posts.models import Neighbourhood, Post
from learncom.posts.services import card_options
from learncom.search import documents, tracking
from learncom.search.analysis import plain_text
from learncom.search.backend import (
    ENGINES,
    FACETS,
    SORTS,
    CheckReport,
    EngineResults,
    Filters,
    HitText,
    SearchBackend,
    Visibility,
)
from learncom.search.caches import SharedCache
from learncom.search.models import SimilarRanking
from learncom.search.query import clean, parse
from learncom.web import format_when

PER_PAGE = 10
MAX_PAGE = 1_000


class EngineMisconfigured(RuntimeError):
    """SEARCH_BACKEND names an engine this deployment cannot run."""


def engine_name(app: Flask) -> str:
    name = (app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if name not in ENGINES:
        raise EngineMisconfigured(f"LEARNCOM_SEARCH_BACKEND={name!r}: choose one of "
                                  f"{', '.join(ENGINES)}")
    return name


def check_engine(app: Flask) -> str:
    """The configured engine's name; refuses one this database cannot run."""
    from sqlalchemy.engine import make_url

    name = engine_name(app)
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name == "postgres" and database != "postgresql":
        raise EngineMisconfigured("LEARNCOM_SEARCH_BACKEND=postgres needs a PostgreSQL database "
                                  "(LEARNCOM_DATABASE_URL=postgresql+psycopg://...)")
    return name


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The app's engine, created once per app."""
    app = app or current_app._get_current_object()  # noqa: SLF001
    state = app.extensions.setdefault("learncom_search_backend", {})
    backend = state.get("backend")
    if backend is None:
        if engine_name(app) == "postgres":
            from learncom.search.postgres.backend import PostgresBackend

            backend = PostgresBackend(app)
        else:
            from learncom.search.whoosh.backend import WhooshBackend

            backend = WhooshBackend(app.config["SEARCH_INDEX_DIR"],
                                    time_limit=float(app.config.get("SEARCH_TIME_LIMIT", 2.0)))
        state["backend"] = backend
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


#: The filters of a search (learncom/posts/filters.py), named as in the query string.
FILTER_FIELDS = (post_filters.KIND, post_filters.TAG, post_filters.NEIGHBOURHOOD,
                 post_filters.STATUS, post_filters.AUTHOR_KIND, post_filters.AFTER,
                 post_filters.BEFORE)


#: Results pages go this deep, no further.
PAGE = replace(post_filters.PAGE, parse=post_filters.integer(1, MAX_PAGE))


def parse_filters(args, *, strict: bool = False) -> tuple[Filters, dict]:
    """The search filters in a query string, and the ones it could not use (`strict`: the
    first of those raises post_filters.BadFilter)."""
    parse = post_filters.parse_strict if strict else post_filters.parse
    parsed = parse(args or {}, *FILTER_FIELDS)
    return Filters(**parsed.values), parsed.errors


def parse_page(args, *, strict: bool = False) -> tuple[int, dict]:
    """The results page asked for (1 when absent or bad), and its error if bad."""
    parse = post_filters.parse_strict if strict else post_filters.parse
    parsed = parse(args or {}, PAGE)
    return parsed.get("page", 1), parsed.errors


def coerce_filters(raw: Filters | dict | None) -> Filters:
    """UI filters from a dict of query arguments; bad values are dropped, never an error."""
    return raw if isinstance(raw, Filters) else parse_filters(raw)[0]


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
    visibility = viewer_visibility(viewer)
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


def viewer_visibility(viewer) -> Visibility:
    """The viewer's visibility for a search, with the author clause only for a member who wrote
    a team post outside their current teams (one indexed look-up): every other member shares
    cached answers with the members of the same teams (the Whoosh engine's result cache, the
    PostgreSQL engine's ranked pages) instead of each holding their own."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return Visibility()
    outside = select(Post.id).where(Post.author_id == viewer.id, Post.visibility == "team")
    teams = viewer.team_ids
    if teams:
        outside = outside.where(or_(Post.team_id.is_(None), Post.team_id.not_in(sorted(teams))))
    wrote_outside = db.session.scalar(outside.limit(1)) is not None
    return Visibility.for_viewer(viewer, as_author=wrote_outside)


def _hits(engine: EngineResults, viewer) -> list[Hit]:
    if not engine.hits:
        return []
    posts = _load(ids=[h.id for h in engine.hits])
    shown = [(hit, posts[hit.id]) for hit in engine.hits
             if hit.id in posts and can_view_post(viewer, posts[hit.id])]
    texts = [HitText(title=post.title, body=documents.body_text(post),
                     comments=documents.comment_texts(post)) for _hit, post in shown]
    excerpts = engine.highlighter.excerpts(texts) if engine.highlighter and texts else []
    hits = []
    for (engine_hit, post), excerpt in zip(shown, excerpts, strict=True):
        highlights = [excerpt.body] if excerpt.body is not None else []
        if excerpt.comment is not None:
            highlights.append(Markup('<span class="snippet-comment">') + excerpt.comment
                              + Markup("</span>"))
        hits.append(Hit(id=post.id, kind=post.kind, title=post.title, url=post_url(post.id),
                        score=engine_hit.score, highlights=highlights,
                        title_html=excerpt.title, post=post,
                        summary="" if highlights else _summary(post.body)))
    return hits


def _summary(body: str | None, length: int = 200) -> str:
    text = plain_text(body)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _load(ids: list[int]) -> dict[int, Post]:
    posts = db.session.scalars(select(Post).where(Post.id.in_(ids)).options(
        *card_options(), selectinload(Post.log_entries), selectinload(Post.comments)))
    return {post.id: post for post in posts}


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
        "kind": {k: kinds.label(k) for k in facets.get("kind", {})},
        "status": {},
        "tag": {t: t for t in facets.get("tag", {})},
        "neighbourhood": {},
    }
    all_statuses = kinds.status_labels()
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
    all_statuses = kinds.status_labels()
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
            label = kinds.label(value)
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

#: How many of the posts most like a post are ranked once for all its viewers; for how many
#: seconds a process keeps a ranking without asking the database; after how many seconds a
#: kept ranking is made again (in the background: newer posts may belong in it).
SIMILAR_SHARED = 30
SIMILAR_TTL = 600
SIMILAR_MAX_AGE = 24 * 3600
#: Rankings made per run of the background refresh (then it runs again).
SIMILAR_BATCH = 50
#: When a post is ranked for a new text, the first this many of its ranking are ranked again:
#: the new post likely belongs in theirs.
SIMILAR_NEIGHBOURS = 10


def similar(post: Post, viewer, limit: int = 5) -> list[Post]:
    """Posts like this one that the viewer may see (never the post itself).

    The ranking does not depend on the viewer (the engine's visibility filter scores nothing,
    it only leaves posts out), so the best SIMILAR_SHARED of every indexed post are ranked
    once per version of the post's text and kept in the database (`SimilarRanking`, for every
    process and machine; a process also keeps it SIMILAR_TTL seconds), and each viewer gets
    the first `limit` of them they may see: the same posts as a ranking of their own, without
    the 100-300 ms it costs at 100,000 posts. A post's ranking is made in the background when
    its text is written (`refresh_similar`), so only the first view of a post written before
    that ranks it. Only when fewer than `limit` are left for the viewer is it ranked for the
    viewer alone."""
    text = similar_source(post)
    digest = _digest(text)
    cache = _similar_cache()
    key = (post.id, digest)
    ranked = cache.get(key)
    if ranked is None:
        ranked = _stored_ranking(post.id, digest)
        if ranked is None:
            ranked = _rank(post.id, text)
            _keep_later({post.id: (digest, ranked)})
        cache.put(key, ranked)
    found = _shown(ranked, viewer)
    if len(found) < limit and len(ranked) == SIMILAR_SHARED:
        return _similar_seen_by(post.id, text, digest, viewer, limit)
    return found[:limit]


def _similar_seen_by(post_id: int, text: str, digest: str, viewer, limit: int) -> list[Post]:
    """A ranking of only what the viewer may see, kept per process for everyone who sees the
    same posts (`viewer_visibility`: every visitor who is not logged in, the members of the
    same teams): on a site with many members' and team posts, visitors would otherwise rank a
    post's similar posts again at every view."""
    visibility = viewer_visibility(viewer)
    cache = _similar_cache()
    key = (post_id, digest, visibility, limit)
    ranked = cache.get(key)
    if ranked is None:
        ranked = [hit.id for hit in get_backend().similar(text, visibility, exclude=post_id,
                                                          limit=limit)]
        cache.put(key, ranked)
    return _shown(ranked, viewer)


def _shown(ranked: list[int], viewer) -> list[Post]:
    """The ranked posts the viewer may see, in order (one statement). Hidden posts are
    indexed under a visibility nobody searches: none here either."""
    posts = _posts(ranked, cards=False)
    return [posts[i] for i in ranked if i in posts and posts[i].hidden_at is None
            and can_view_post(viewer, posts[i])]


def similar_source(post: Post) -> str:
    """The text a post's similar posts are ranked from (the title counts twice)."""
    return f"{post.title}\n{post.title}\n{plain_text(post.body)}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _rank(post_id: int, text: str) -> list[int]:
    return [hit.id for hit in get_backend().similar(
        text, Visibility(everything=True), exclude=post_id, limit=SIMILAR_SHARED)]


def _stored_ranking(post_id: int, digest: str) -> list[int] | None:
    """The kept ranking of this version of the post's text, or None. One that is older than
    SIMILAR_MAX_AGE is still used, and made again in the background."""
    row = db.session.execute(
        select(SimilarRanking.ranked, SimilarRanking.ranked_at)
        .where(SimilarRanking.post_id == post_id, SimilarRanking.digest == digest)).first()
    if row is None:
        return None
    if row.ranked_at < utcnow() - timedelta(seconds=SIMILAR_MAX_AGE):
        similar_later([post_id])
    return [int(i) for i in row.ranked.split(",") if i]


def _store_rankings(rows: dict[int, tuple[str, list[int]]]) -> None:
    """Keep rankings ({post id: (digest, ids)}) in a transaction of their own. Losing one (a
    post deleted meanwhile, a database busy for longer than its timeout) only means it is
    ranked again later."""
    if not rows:
        return
    values = [{"post_id": post_id, "digest": digest, "ranked": ",".join(map(str, ranked)),
               "ranked_at": utcnow()} for post_id, (digest, ranked) in rows.items()]
    engine = db.engine
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(SimilarRanking)
    statement = statement.on_conflict_do_update(
        index_elements=[SimilarRanking.post_id],
        set_={name: statement.excluded[name] for name in ("digest", "ranked", "ranked_at")})
    try:
        with engine.begin() as connection:
            existing = set(connection.scalars(select(Post.id).where(Post.id.in_(rows))))
            kept = [value for value in values if value["post_id"] in existing]
            if kept:
                connection.execute(statement, kept)
    except DBAPIError:
        current_app.logger.warning("search: could not keep %d similar rankings", len(rows),
                                   exc_info=True)


def refresh_similar(post_ids: Collection[int], *, force: Collection[int] = (),
                    every: bool = False) -> list[int]:
    """Rank again those of these posts whose kept ranking was made from another text or is
    older than SIMILAR_MAX_AGE, and those without one that are new (written within
    SIMILAR_MAX_AGE; `every`: all without one); and those in `force`. Keep the new rankings.

    A post written before rankings were kept (an import, an upgrade) gets one at its first
    view or from `flask search similar`, not because a comment touched it.

    Returns the posts that likely belong to have one of these in their own ranking: the first
    SIMILAR_NEIGHBOURS of every post ranked for a new or changed text (a new post is like the
    posts it is like), for the caller to rank again with `force`."""
    ids = sorted(set(post_ids) | set(force))
    if not ids:
        return []
    with _read_session() as session:
        stored = {row.post_id: row for row in session.execute(
            select(SimilarRanking.post_id, SimilarRanking.digest, SimilarRanking.ranked_at)
            .where(SimilarRanking.post_id.in_(ids)))}
        posts = {post.id: (similar_source(post), post.created_at)
                 for post in session.scalars(select(Post).where(Post.id.in_(ids)))}
    oldest = utcnow() - timedelta(seconds=SIMILAR_MAX_AGE)
    rows: dict[int, tuple[str, list[int]]] = {}
    neighbours: set[int] = set()
    for post_id, (source, created_at) in posts.items():
        digest = _digest(source)
        kept = stored.get(post_id)
        if kept is None:
            new_text = created_at >= oldest
            wanted = new_text or every
        else:
            new_text = kept.digest != digest
            wanted = new_text or kept.ranked_at < oldest
        if wanted or post_id in force:
            rows[post_id] = (digest, _rank(post_id, source))
            if new_text and post_id not in force:
                neighbours.update(rows[post_id][1][:SIMILAR_NEIGHBOURS])
    _store_rankings(rows)
    return sorted(neighbours - set(rows))


def posts_without_ranking(limit: int | None = None) -> list[int]:
    """Ids of the posts that have no kept similar ranking (`flask search similar`)."""
    query = (select(Post.id).outerjoin(SimilarRanking, SimilarRanking.post_id == Post.id)
             .where(SimilarRanking.post_id.is_(None)).order_by(Post.id))
    with _read_session() as session:  # the rankings are kept by another connection
        return list(session.scalars(query.limit(limit) if limit else query))


def _read_session() -> Session:
    """A deferred BEGIN on SQLite: reading never holds the write lock (extensions.py)."""
    return Session(db.engine.execution_options(learncom_read_only=True))


def similar_later(post_ids: Collection[int]) -> None:
    """Have these posts' rankings checked (and made where needed) in the background, once
    they are searchable (after the commit, or after the Whoosh drain indexed them) or when a
    page view found an old ranking. Off when SEARCH_SIMILAR_AFTER_COMMIT is false."""
    refresher = _refresher()
    if post_ids and refresher is not None:
        refresher.add(post_ids)
        refresher.wake()


def _keep_later(rows: dict[int, tuple[str, list[int]]]) -> None:
    """A page view hands what it ranked to the background thread to keep: the view's own
    transaction may hold SQLite's write lock (a refused form shown again), which a second
    connection of the same thread would wait for in vain."""
    refresher = _refresher()
    if refresher is not None:
        refresher.keep(rows)
        refresher.wake()


def _refresher() -> SimilarRefresher | None:
    if not current_app.config.get("SEARCH_SIMILAR_AFTER_COMMIT"):
        return None
    state = current_app.extensions.get("learncom_search")
    return state.similar if state is not None else None


class SimilarRefresher:
    """What a process has for `refresh_similar` (post ids, and the neighbours it named) and
    rankings page views made, and the thread that does it (a batch at a time, so a bulk change
    never holds it for long). Only a cache is lost if the process dies: the first view ranks
    the post then."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.pending: set[int] = set()
        self.forced: set[int] = set()
        self.ranked: dict[int, tuple[str, list[int]]] = {}
        self.busy = 0
        self.idle = threading.Condition(self.lock)
        self.worker = aftercommit.Worker(app, "similar-rankings", self.run)

    def add(self, post_ids: Collection[int]) -> None:
        with self.lock:
            self.pending.update(post_ids)

    def keep(self, rows: dict[int, tuple[str, list[int]]]) -> None:
        with self.lock:
            self.ranked.update(rows)

    def _waiting(self) -> bool:
        return bool(self.pending or self.forced or self.ranked)

    def run(self) -> float | None:
        with self.lock:
            batch = sorted(self.pending)[:SIMILAR_BATCH]
            self.pending.difference_update(batch)
            forced = sorted(self.forced)[:SIMILAR_BATCH - len(batch)]
            self.forced.difference_update(forced)
            ranked, self.ranked = self.ranked, {}
            self.busy += 1
        try:
            _store_rankings(ranked)
            neighbours = refresh_similar(batch, force=forced)
            with self.lock:
                self.forced.update(neighbours)
        except Exception:
            # A cache: the first view of these posts ranks them instead.
            self.app.logger.exception("search: ranking similar posts failed")
            db.session.rollback()
        finally:
            with self.lock:
                self.busy -= 1
                more = self._waiting()
                if not more:
                    self.idle.notify_all()
        return 0.01 if more else None

    def wake(self) -> None:
        self.worker.wake()

    def wait(self, timeout: float = 30.0) -> bool:
        """Until nothing is waiting or being ranked (for tests and the benchmark)."""
        with self.lock:
            return self.idle.wait_for(lambda: not (self._waiting() or self.busy), timeout)


def _similar_cache() -> SharedCache:
    """The app's shared similar rankings (per app: two apps in one process, as in the tests,
    never see each other's posts)."""
    state = current_app.extensions.setdefault("learncom_search_backend", {})
    cache = state.get("similar")
    if cache is None:
        cache = state.setdefault("similar", SharedCache(
            4096, ttl=float(current_app.config.get("SEARCH_SIMILAR_TTL", SIMILAR_TTL))))
    return cache


def post_context(post: Post, viewer, comments) -> dict:
    """The post page's similar posts (learncom/slots.py)."""
    return {"similar_posts": similar(post, viewer)}


def similar_text(title: str, body: str, viewer, limit: int = 5) -> list[Post]:
    """For the new-post form: "does this exist already?" from what was typed so far."""
    title = (title or "")[:300] if isinstance(title, str) else ""
    body = (body or "")[:5_000] if isinstance(body, str) else ""
    return _similar(f"{title}\n{title}\n{plain_text(body)}", viewer, exclude=None, limit=limit)


def _similar(text: str, viewer, *, exclude: int | None, limit: int,
             cards: bool = True) -> list[Post]:
    """`cards`: load what a post card shows; without, only the posts (a list of titles)."""
    found = get_backend().similar(text, Visibility.for_viewer(viewer), exclude=exclude,
                                  limit=limit)
    posts = _posts([h.id for h in found], cards=cards)
    return [posts[h.id] for h in found
            if h.id in posts and h.id != exclude and can_view_post(viewer, posts[h.id])]


# What a link to a post (kind and title) and the permission check read: loading the 30 ranked
# similar posts whole, texts and kind fields included, took 3.5 ms of a post page on SQLite.
_LINK_COLUMNS = (Post.id, Post.kind, Post.title, Post.author_id, Post.team_id, Post.visibility,
                 Post.published_at, Post.shared_with_coordinators, Post.hidden_at)


def _posts(ids: list[int], *, cards: bool) -> dict[int, Post]:
    """`cards`: with what a post card shows; without, what a link to the post shows."""
    if not ids:
        return {}
    options = card_options() if cards else (load_only(*_LINK_COLUMNS),)
    return {p.id: p for p in db.session.scalars(
        select(Post).where(Post.id.in_(ids)).options(*options))}


# -- maintenance -----------------------------------------------------------------------------

def rebuild(progress: Callable[[int], None] | None = None, *, procs: int = 1) -> int:
    """Index every post afresh and swap that in (`flask search rebuild`). `procs`: indexing
    processes, for engines that can use them."""
    return get_backend().rebuild(progress, procs=procs)


def purge_deleted(texts: Collection[str] | None = None) -> bool:
    """After personal data was erased (learncom/privacy/erasure.py, `texts`: what was erased,
    None when not known): nothing of it may stay in the engine's storage. True when nothing
    deleted is left."""
    return get_backend().purge(texts)


def check() -> CheckReport:
    """Posts missing from the index, stale in it (indexed content differs from the database),
    and index entries whose post is gone."""
    return get_backend().check()


def heal(*, rest: float = 0.0) -> CheckReport:
    """Re-index every post whose index entry differs from the database (missing, stale or
    orphaned), in one transaction; returns what was found. A crash at any point between a
    change and its indexing is repaired by this (`flask search sync`, and at start)."""
    report = get_backend().check(rest=rest)
    if report.differing:
        tracking.reindex(report.differing)
        db.session.commit()
    return report


HEAL_REST = 3.0  # after each batch of 500 posts, rest three times as long as it took: the check
# at start takes at most a quarter of one core, on any machine (at 100,000 posts and a million
# comments, ~2.5 minutes of work spread over ~10); a fixed pause of 1 s took 0.4 of a core there


def heal_on_start(app: Flask) -> None:
    """Heal in a background thread, once per process (from its first request): the request
    never waits; of the processes starting together only one checks (`_only_one`), and workers
    a server restarts later (same parent process) do not check again (`_started_here`)."""
    state = app.extensions["learncom_search"]
    if state.healing_pid == os.getpid():
        return
    state.healing_pid = os.getpid()
    threading.Thread(target=_heal_quietly, args=(app,), name="search-heal",
                     daemon=True).start()


def _heal_quietly(app: Flask) -> None:
    with app.app_context():
        try:
            with _only_one(app) as mine:
                marker = Path(app.config["SEARCH_INDEX_DIR"]) / ".healed"
                started_here = f"{socket.gethostname()} {os.getppid()}"
                if mine and _read(marker) != started_here:
                    report = heal(rest=HEAL_REST)
                    if report.differing:
                        app.logger.warning("search: re-indexed %d posts whose index entry "
                                           "differed from the database",
                                           len(report.differing))
                    marker.parent.mkdir(parents=True, exist_ok=True)
                    marker.write_text(started_here)
        except Exception:
            app.logger.exception("search: checking the index at start failed")
        finally:
            db.session.remove()


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


@contextlib.contextmanager
def _only_one(app: Flask):
    """One heal at a time: a PostgreSQL advisory lock (several machines), else a file lock
    beside the index (the processes of one machine)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            mine = conn.execute(text("SELECT pg_try_advisory_lock(4209, 0)")).scalar()
            try:
                yield mine
            finally:
                if mine:
                    conn.execute(text("SELECT pg_advisory_unlock(4209, 0)"))
        return
    root = Path(app.config["SEARCH_INDEX_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".heal.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sync(wait: float = 120.0) -> tuple[CheckReport, bool]:
    """Heal, then wait until every change is searchable (`flask search sync`, e.g. from
    cron). Returns what the check found and whether it was all done within `wait` seconds."""
    report = heal()
    return report, get_backend().wait(wait)
