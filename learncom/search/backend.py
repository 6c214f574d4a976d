"""The search interface every engine implements, and the values it returns.

The app talks to `learncom.search.services` (search, similar, similar_text); services talk to a
`SearchBackend`. The Whoosh backend (`whoosh_backend.py`) is the embedded default; a PostgreSQL
backend (tsvector + GIN, `dutch` configuration) will implement the same methods for deployments
with several web machines, and the same test suite runs against both.

Engines only see plain `PostDocument`s (built from the database in `documents.py`), a parsed
query (`query.py`) and a `Visibility` (what the viewer may see); they return post ids, scores,
facet counts and a spelling suggestion. Loading posts and highlighting happen once, in services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from learncom.search.query import ParsedQuery

FACETS = ("kind", "tag", "neighbourhood", "status")
SORTS = ("relevance", "newest", "applied")


@dataclass(frozen=True)
class Visibility:
    """What a viewer may see, as the engine enforces it inside every query: public posts for
    everyone, members-only posts for logged-in members, team posts for the team's members and
    the author. Mirrors `Post.visible_to` / `Post.can_view`."""

    members: bool = False
    user_id: int | None = None
    team_ids: frozenset[int] = frozenset()

    @classmethod
    def for_viewer(cls, viewer) -> Visibility:
        if viewer is None or not getattr(viewer, "is_authenticated", False):
            return cls()
        return cls(members=True, user_id=viewer.id, team_ids=frozenset(viewer.team_ids))


@dataclass
class PostDocument:
    """What the index knows about one post (engine independent)."""

    id: int
    kind: str
    visibility: str
    team_id: int | None
    author_id: int | None
    author_kind: str | None
    neighbourhood: str | None  # slug
    status: str | None
    tags: list[str]
    created_at: datetime
    title: str
    body: str  # body + kind-specific text fields + log entries, plain text
    comments: str
    author_name: str
    place: str  # neighbourhood name and city
    applied: int = 0  # how often the lesson was applied (LessonApplication rows)
    fingerprint: str = ""


@dataclass
class Filters:
    """UI filters (the same as the `tag:`-style syntax)."""

    kind: str | None = None
    tag: str | None = None
    neighbourhood: str | None = None  # slug
    status: str | None = None
    author_kind: str | None = None
    after: date | None = None
    before: date | None = None

    def active(self) -> dict[str, str]:
        return {name: str(value) for name, value in vars(self).items() if value}


@dataclass
class EngineHit:
    id: int
    score: float


@dataclass
class EngineResults:
    hits: list[EngineHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # Query terms the highlighter marks: exact index terms and prefixes (prefix queries and
    # compound expansions).
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fallback: bool = False  # AND found nothing; these are OR results
    timed_out: bool = False


@dataclass
class CheckReport:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed, but not as the database has it
    orphans: list[int] = field(default_factory=list)  # in the index, not in the database
    queued: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.orphans)


class IndexWriter(Protocol):
    def upsert(self, doc: PostDocument) -> None: ...

    def delete(self, post_id: int) -> None: ...


class SearchBackend(Protocol):
    """The engine interface. Implementations must enforce `Visibility` inside the query, so a
    post the viewer cannot see is never a hit, a facet count or a suggestion source."""

    def writing(self) -> AbstractContextManager[IndexWriter]:
        """The index writer, taken WITHOUT waiting: raise `Busy` when another process holds
        it. Everything written in the block is committed when it ends (nothing if it raises)."""
        ...

    def search(self, query: ParsedQuery, filters: Filters, visibility: Visibility, *,
               page: int, per_page: int, sort: str) -> EngineResults: ...

    def suggest(self, query: ParsedQuery, visibility: Visibility) -> dict[str, str]:
        """{misspelled word: correction} for words that match nothing the viewer can see, with
        corrections taken only from posts the viewer can see."""
        ...

    def similar(self, text: str, visibility: Visibility, *, exclude: int | None,
                limit: int) -> list[EngineHit]: ...

    def rebuild(self, documents: Iterable[PostDocument], total: int,
                progress: Callable[[int], None] | None = None, *,
                parts: Sequence = ()) -> None:
        """Index every document into a fresh index and swap it in atomically. With several
        `parts` (`documents.Part`), an engine may index them in parallel, each part read by
        its own process, instead of `documents`."""
        ...

    def tidy(self, load: Callable[[list[int]], dict[int, PostDocument]]) -> int:
        """Housekeeping after a drain (merging small segments), reading the posts it needs
        with `load(post_ids)`; never holds the writer for long. Returns the work done."""
        ...

    def fingerprints(self) -> dict[int, str]:
        """Every indexed post id with the fingerprint it was indexed with."""
        ...


class Busy(Exception):  # noqa: N818 - reads as "the index is busy"
    """Another process holds the index writer; it drains the queue, so this one need not."""
