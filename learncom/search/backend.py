"""The search interface every engine implements, and the values it returns.

The app talks to `learncom.search.services` (search, similar, similar_text, rebuild, check);
services talk to a `SearchBackend`, chosen by `LEARNCOM_SEARCH_BACKEND`:

- `whoosh` (default, `whoosh/`): an index on this machine's disk, kept true by a queue table
  written in the transaction and drained after commit;
- `postgres` (`postgres/`): a weighted tsvector per post in the database itself, written in the
  same transaction as the change, for deployments with several web machines.

Engines see plain `PostDocument`s (built from the database in `documents.py`), a parsed query
(`query.py`) and a `Visibility` (what the viewer may see); they return post ids, scores, facet
counts, a spelling suggestion and a `Highlighter` for the page's hits. Which posts to re-index
is decided by one session listener (`tracking.py`), which calls `index`/`delete`. The same test
suite runs against both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from markupsafe import Markup
from sqlalchemy.orm import Session

from learncom.search.query import ParsedQuery

FACETS = ("kind", "tag", "neighbourhood", "status")
SORTS = ("relevance", "newest", "applied")
ENGINES = ("whoosh", "postgres")
#: Words outside these lengths (in letters, accents folded) get no spelling suggestion on any
#: engine: no real word is longer, and the longer the word the costlier the fuzzy lookup.
SUGGEST_MIN, SUGGEST_MAX = 4, 30


@dataclass(frozen=True)
class Visibility:
    """What a viewer may see, as the engine enforces it inside every query: public posts for
    everyone, members-only posts for logged-in members, team posts for the team's members and
    the author. Mirrors `Post.visible_to` / `permissions.can_view_post`."""

    members: bool = False
    user_id: int | None = None
    team_ids: frozenset[int] = frozenset()
    #: Every indexed post, whoever may see it: only for rankings that are filtered per viewer
    #: afterwards (the similar posts a post page shares between its viewers).
    everything: bool = False

    @classmethod
    def for_viewer(cls, viewer, *, as_author: bool = True) -> Visibility:
        """`as_author=False` when the viewer wrote no team post outside their own teams: then
        "or written by me" adds nothing to what the teams show, and members of the same teams
        have the same visibility (and share the engines' cached answers)."""
        if viewer is None or not getattr(viewer, "is_authenticated", False):
            return cls()
        return cls(members=True, user_id=viewer.id if as_author else None,
                   team_ids=frozenset(viewer.team_ids))


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
    body: str  # the body and the experiment log, plain text
    fields: str  # the kind-specific text fields (hypothesis, affected, statement, ...)
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
class HitText:
    """A hit's texts as the results page shows them (plain text, loaded from the database)."""

    title: str
    body: str  # body, kind fields and log
    comments: Iterator[str]  # the visible comments, lazily (stop at the first that matches)


@dataclass
class Excerpt:
    """Safe HTML for one hit: the user's text escaped, only the engine's `<mark>` added."""

    title: Markup
    body: Markup | None = None  # where the body matches
    comment: Markup | None = None  # the first matching comment


class Highlighter(Protocol):
    def excerpts(self, texts: list[HitText]) -> list[Excerpt]:
        """One excerpt per text, in order."""
        ...


@dataclass
class EngineResults:
    hits: list[EngineHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    highlighter: Highlighter | None = None
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

    @property
    def differing(self) -> list[int]:
        """The posts whose index entry is not what the database says."""
        return sorted({*self.missing, *self.stale, *self.orphans})


class SearchBackend(Protocol):
    """The engine interface. Implementations must enforce `Visibility` inside the query, so a
    post the viewer cannot see is never a hit, a facet count or a suggestion source."""

    name: str  # one of ENGINES

    def index(self, session: Session, post_ids: Collection[int]) -> None:
        """Bring these posts' index entries in line with the database, as part of `session`'s
        transaction (so both happen or neither). Posts that no longer exist are removed. Called
        by the session listener before commit; what it means is the engine's affair."""
        ...

    def delete(self, session: Session, post_ids: Collection[int]) -> None:
        """Remove these posts from the index, as part of `session`'s transaction."""
        ...

    def search(self, query: ParsedQuery, filters: Filters, visibility: Visibility, *,
               page: int, per_page: int, sort: str) -> EngineResults: ...

    def suggest(self, query: ParsedQuery, visibility: Visibility) -> dict[str, str]:
        """{misspelled word: correction} for words that match nothing the viewer can see, with
        corrections taken only from posts the viewer can see."""
        ...

    def similar(self, text: str, visibility: Visibility, *, exclude: int | None,
                limit: int) -> list[EngineHit]: ...

    def rebuild(self, progress: Callable[[int], None] | None = None, *, procs: int = 1) -> int:
        """Index every post afresh and make that the index, atomically for searchers. Returns
        the number of posts."""
        ...

    def check(self, *, rest: float = 0.0) -> CheckReport:
        """Posts missing from the index, stale in it, or in it but gone from the database
        (`rest`: after each batch of posts, rest that many times as long as it took, for a
        check in the background)."""
        ...

    def ping(self) -> None:
        """Raise if the engine cannot answer a search now (cheap: for /healthz)."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block until every committed change is searchable (engines that index inside the
        transaction have nothing to wait for). False if that took longer than `timeout`."""
        ...

    def purge(self, texts: Collection[str] | None = None) -> bool:
        """After personal data was erased (learncom/privacy): leave nothing of deleted
        documents in the engine's storage (index files, a vocabulary), `texts` being the
        erased texts (whose words an engine may keep apart from its documents; None: not
        known, look at everything). True when nothing deleted is left."""
        ...
