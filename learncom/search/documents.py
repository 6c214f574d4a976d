"""What a post's search document is made of, and from database rows to `PostDocument`s in a
bounded number of queries per batch.

To index a new field, add it here: to `document_for` (what the document holds) and to `SOURCES`
(the attribute it is read from). Nothing else: the session listener (`tracking.py`) re-indexes
a post whenever a declared attribute of one of its sources changes, every engine indexes the
document, and `tests/test_search_tracking.py` fails if the document reads an attribute that
`SOURCES` does not declare.

Add-ons fill their part of a document through `contribute` (search imports no add-on): rows of
theirs that re-index a post when they change, and per batch of posts the document fields they
fill, e.g. applications' `applied` count (the numeric field the "most often applied" sort
reads). A contribution is registered when its module is imported, so the processes of a
parallel rebuild import it too (`Part.contributors`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, selectinload

from learncom.accounts.models import User
from learncom.discussion.models import Comment
from learncom.posts.kinds import ALL_FIELDS, KINDS
from learncom.posts.models import LogEntry, Neighbourhood, Post, Tag, post_tags
from learncom.search.analysis import plain_text
from learncom.search.backend import CheckReport, PostDocument

# Kind-specific fields whose text is searched along with the body (posts/kinds.py).
TEXT_FIELDS = tuple(spec.name for spec in ALL_FIELDS if spec.type in ("text", "line"))
MAX_COMMENTS_CHARS = 60_000
HIDDEN = "hidden"


# -- what a document is made of ----------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Rows a post's document is built from: the attributes it reads, and the posts whose
    documents hold a given set of these rows (`posts(session, rows)`, run inside the flush, so
    foreign keys are set and deleted rows are still there)."""

    model: type
    attributes: tuple[str, ...]
    posts: Callable[[Session, list], Iterable[int]]


def _themselves(_session: Session, posts: list) -> list[int]:
    return [post.id for post in posts]


def their_post(_session: Session, rows: list) -> list[int]:
    """For rows with a `post_id`: the posts they belong to."""
    return [row.post_id for row in rows if row.post_id is not None]


def _authored(session: Session, users: list) -> Iterable[int]:
    return session.scalars(select(Post.id).where(Post.author_id.in_([u.id for u in users])))


def _placed(session: Session, hoods: list) -> Iterable[int]:
    return session.scalars(select(Post.id).where(
        Post.neighbourhood_id.in_([h.id for h in hoods])))


def _tagged(session: Session, tags: list) -> Iterable[int]:
    return session.scalars(select(post_tags.c.post_id).where(
        post_tags.c.tag_id.in_([t.id for t in tags])))


STATUS_FIELDS = tuple(sorted({kind.status_field for kind in KINDS.values() if kind.status_field}))

CORE_SOURCES = (
    Source(Post, ("kind", "title", "body", "visibility", "team_id", "hidden_at", "created_at",
                  "author", "author_id", "neighbourhood", "neighbourhood_id", "tags",
                  *STATUS_FIELDS, *TEXT_FIELDS), _themselves),
    Source(Comment, ("body", "deleted_at", "hidden_at", "post", "post_id"), their_post),
    Source(LogEntry, ("body", "date", "post", "post_id"), their_post),
    Source(User, ("name", "kind"), _authored),
    Source(Neighbourhood, ("name", "slug", "city"), _placed),
    Source(Tag, ("name",), _tagged),
)


@dataclass(frozen=True)
class Contribution:
    """An add-on's part of every document: `source` (its rows whose change re-indexes a post)
    and `values(session, post_ids) -> {post_id: {field: value}}`, the document fields it fills
    (one grouped query per batch; posts it has nothing for are left out)."""

    source: Source
    values: Callable[[Session, list[int]], dict[int, dict]]


_CONTRIBUTIONS: dict[str, Contribution] = {}  # by the module that registered it


def contribute(source: Source, values: Callable[[Session, list[int]], dict[int, dict]]) -> None:
    """Call at the top level of the add-on's module (see the module docstring)."""
    _CONTRIBUTIONS[values.__module__] = Contribution(source, values)


def sources() -> tuple[Source, ...]:
    """Every source the listener watches: the core's and the contributions'."""
    return CORE_SOURCES + tuple(c.source for c in _CONTRIBUTIONS.values())


def load_options():
    """Everything a document needs: six queries per batch, whatever its size (and one per
    contribution)."""
    return (selectinload(Post.author), selectinload(Post.tags), selectinload(Post.neighbourhood),
            selectinload(Post.log_entries),
            selectinload(Post.comments).load_only(Comment.id, Comment.body, Comment.deleted_at,
                                                   Comment.hidden_at, Comment.post_id))


def load_posts(session: Session, post_ids: list[int]) -> dict[int, Post]:
    if not post_ids:
        return {}
    posts = session.scalars(select(Post).where(Post.id.in_(post_ids)).options(*load_options()))
    return {post.id: post for post in posts}


def documents_for(session: Session, post_ids: list[int]) -> dict[int, PostDocument]:
    """The documents of these posts (those that exist), in six queries and one per
    contribution."""
    posts = load_posts(session, post_ids)
    extra: dict[int, dict] = {post_id: {} for post_id in posts}
    for contribution in _CONTRIBUTIONS.values():
        for post_id, values in (contribution.values(session, list(posts)) if posts else {}).items():
            extra[post_id].update(values)
    return {post_id: document_for(post, extra[post_id]) for post_id, post in posts.items()}


def iter_documents(session: Session, batch: int = 500, *, after: int = 0,
                   upto: int | None = None, rest: float = 0.0) -> Iterator[PostDocument]:
    """Every post (with `after < id <= upto`) as a document, in id order, `batch` posts at a
    time (for rebuild and check). `rest`: after each batch, rest that many times as long as the
    batch took (a check in the background keeps to a share of a core, on any machine and
    whatever the size of the posts)."""
    last = after
    while True:
        started = time.monotonic()
        query = select(Post.id).where(Post.id > last)
        if upto is not None:
            query = query.where(Post.id <= upto)
        ids = list(session.scalars(query.order_by(Post.id).limit(batch)))
        if not ids:
            return
        docs = documents_for(session, ids)
        for post_id in ids:
            if post_id in docs:
                yield docs[post_id]
        last = ids[-1]
        session.expunge_all()
        if rest:
            time.sleep(rest * (time.monotonic() - started))


@dataclass(frozen=True)
class Part:
    """A range of posts (`after < id <= upto`) and where to read them: what an indexing process
    of a parallel rebuild needs (it is pickled, so it holds no connection)."""
    database_url: str
    after: int
    upto: int
    #: The modules whose contributions the documents hold (imported in the indexing process).
    contributors: tuple[str, ...] = ()

    @contextlib.contextmanager
    def read(self) -> Iterator[Iterator[PostDocument]]:
        for module in self.contributors:
            importlib.import_module(module)
        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                yield iter_documents(session, after=self.after, upto=self.upto)
        finally:
            engine.dispose()


def parts(session: Session, database_url: str, count: int) -> list[Part]:
    """The posts split into `count` contiguous id ranges of about equal size."""
    ids = list(session.scalars(select(Post.id).order_by(Post.id)))
    if not ids:
        return []
    size = -(-len(ids) // max(1, min(count, len(ids))))
    result, after = [], 0
    for start in range(0, len(ids), size):
        upto = ids[min(start + size, len(ids)) - 1]
        result.append(Part(database_url, after, upto, tuple(_CONTRIBUTIONS)))
        after = upto
    return result


def count_posts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Post)) or 0


def comment_texts(post: Post) -> Iterator[str]:
    """The visible comments as plain text, one at a time (highlighting stops at the first
    that matches)."""
    return (plain_text(c.body) for c in post.comments
            if c.deleted_at is None and c.hidden_at is None and c.body)


def fields_text(post: Post) -> str:
    """The kind-specific text fields, as plain text."""
    return "\n".join(plain_text(getattr(post, name)) for name in TEXT_FIELDS
                     if getattr(post, name, None))


def log_text(post: Post) -> str:
    return "\n".join(plain_text(entry.body) for entry in post.log_entries if entry.body)


def body_text(post: Post) -> str:
    """The body, the kind-specific text fields and the log, as plain text (what snippets are
    cut from)."""
    parts = (plain_text(post.body), fields_text(post), log_text(post))
    return "\n".join(part for part in parts if part)


def document_for(post: Post, extra: dict | None = None) -> PostDocument:
    """The post's document; `extra`: the fields the contributions fill."""
    status_field = KINDS[post.kind].status_field
    hood = post.neighbourhood
    comments = "\n".join(comment_texts(post))[:MAX_COMMENTS_CHARS]
    doc = PostDocument(
        # A post hidden by moderation (or a draft) stays in the index under a visibility
        # nobody searches.
        id=post.id, kind=post.kind,
        visibility=HIDDEN if post.hidden_at or post.is_draft else post.visibility,
        team_id=post.team_id,
        author_id=post.author_id, author_kind=post.author.kind if post.author else None,
        neighbourhood=hood.slug if hood else None,
        status=getattr(post, status_field) if status_field else None,
        tags=sorted(tag.name for tag in post.tags), created_at=post.created_at,
        title=post.title,
        body="\n".join(part for part in (plain_text(post.body), log_text(post)) if part),
        fields=fields_text(post), comments=comments,
        author_name=post.author.name if post.author else "",
        place=" ".join(p for p in (hood.name, hood.city) if p) if hood else "",
        **(extra or {}),
    )
    doc.fingerprint = fingerprint(doc)
    return doc


#: Bump when the index schema or analysis changes: every document then reads as stale, so
#: `flask search check` fails and `make run` rebuilds the index.
INDEX_FORMAT = 3


def fingerprint(doc: PostDocument) -> str:
    """A hash of everything indexed: `check` compares it to find stale documents."""
    values = {k: v for k, v in vars(doc).items() if k != "fingerprint"}
    values["_format"] = INDEX_FORMAT
    values["created_at"] = doc.created_at.isoformat() if doc.created_at else None
    raw = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def compare(indexed: dict[int, str], session: Session, *, rest: float = 0.0) -> CheckReport:
    """What `check` reports, for an engine whose entries carry these fingerprints."""
    report = CheckReport()
    seen: set[int] = set()
    for doc in iter_documents(session, rest=rest):
        seen.add(doc.id)
        if doc.id not in indexed:
            report.missing.append(doc.id)
        elif indexed[doc.id] != doc.fingerprint:
            report.stale.append(doc.id)
    report.orphans = sorted(set(indexed) - seen)
    return report
