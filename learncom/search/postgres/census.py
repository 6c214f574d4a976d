"""Exact totals and facet counts from bitmaps, kept in step with the documents.

A results page needs every match: "N results" and the facet counts are exact. For a word in
most posts PostgreSQL finds the matches in its GIN index quickly, but visiting 90,000 rows
for the viewer's visibility and four facet hash tables took 100-250 ms at 100,000 posts. So
each process keeps (like Lucene's filter cache, and the Whoosh engine's facet masks):

- a bitmap (a Python int, bit = post id) per facet value (kind, status, neighbourhood, tag) and
  per visibility (public, members; team posts as small sets per team and per author), built
  from one read of `search_documents`;
- the match sets of recent searches (the conditions without visibility: the words and the
  filters), as bitmaps, least recently used dropped first within `budget` bytes.

A page's total is then `(matches & allowed).bit_count()` and each facet count one AND more.

Exact, not approximate: every statement that writes `search_documents` records the post ids it
touched and its transaction id in `search_changes` (a trigger, see schema.py). Before each
search the census reads the rows it has not seen yet (one indexed statement) and brings itself
up to date: the facet bitmaps from the changed rows, and each cached match set, when it is
next used, by asking its conditions again for the changed posts only. Which rows are "not
seen" is decided by transaction ids and snapshots, not clocks: after a read, every transaction
older than the snapshot's xmin has ended, and the newer ones the snapshot could see are
remembered by id, so a transaction committing late (with an older id than one already seen)
is never missed. Applying a change twice is harmless (a changed post is simply read again),
so a read at a later snapshot than the change log's only repeats work.

One answer, one state: under READ COMMITTED each statement of a search sees what committed
before it, so the census's reads (changes, changed rows, the matches of changed posts, the page)
may straddle a commit. The caller therefore asks `settled` after its last statement: when no
change committed since the census's first read, every read saw the same documents and the
answer is exact for that state; otherwise the search is answered again (see backend.py).

The change log drops a row only when its transaction is known to have ended more than a day
ago (each row records its snapshot's horizon; see schema.py), and a process that has not
searched for an hour starts afresh, so no process misses a row it has not read. A transaction
that wrote documents and searches before committing would see its own uncommitted rows; such a
search bypasses the census (the caller counts in SQL), and the census is not loaded in it;
so does a search in a REPEATABLE READ or SERIALIZABLE transaction (its snapshot may be older
than the census).
"""

from __future__ import annotations

import sys
import threading
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat

from sqlalchemy import LargeBinary, and_, func, literal, select, text

from learncom.search.backend import Visibility
from learncom.search.postgres.query import DOCS

FACETS = ("kind", "status", "neighbourhood")  # one value per post; tags: several
IDLE = timedelta(hours=1)  # without a search (by the database's clock), the census starts
# afresh (the log keeps what ended less than a day ago)
MAX_PENDING = 5_000  # changed posts a cached match set may lag behind before it is dropped

# The snapshot's horizon (every older transaction has ended), this transaction's own id (if it
# wrote anything) and the changes from the horizon on, all in one snapshot.
_SYNC = text("""
SELECT true AS horizon, pg_snapshot_xmin(pg_current_snapshot())::text AS xid,
       NULL::integer[] AS post_ids, pg_current_xact_id_if_assigned()::text AS own,
       clock_timestamp() AS at, current_setting('transaction_isolation') AS isolation
UNION ALL
SELECT false, xid::text, post_ids, NULL, NULL, NULL FROM search_changes
WHERE xid >= CAST(:horizon AS xid8)
""")


def bitmap(ids: Iterable[int]) -> int:
    """An int with bit i set for every i in `ids` (C loops only: a few ms per 100,000)."""
    ids = list(ids)
    if not ids:
        return 0
    digits = bytearray(b"0") * (max(ids) + 1)
    # setitem over the ids in C, then one base-2 parse (linear for a power-of-two base).
    deque(map(digits.__setitem__, ids, repeat(49)), maxlen=0)  # 49: "1"
    digits.reverse()
    return int(digits, 2)


def members(bits: int) -> list[int]:
    """The post ids of a bitmap, ascending."""
    found = []
    digits = bin(bits)[:1:-1]  # bit 0 first
    index = digits.find("1")
    while index >= 0:
        found.append(index)
        index = digits.find("1", index + 1)
    return found


@dataclass
class Counted:
    total: int
    facets: dict[str, dict[str, int]]
    bits: int  # the matches the viewer may see
    generation: int  # the census's state it was counted in (see `settled`)


@dataclass
class _Set:
    bits: int
    pending: set[int] = field(default_factory=set)  # posts changed since it was read

    @property
    def size(self) -> int:
        return (self.bits.bit_length() + 7) // 8 + 64


class _Facets:
    """The facet and visibility bitmaps of every document."""

    def __init__(self):
        self.values: dict[str, dict[str, int]] = {name: {} for name in (*FACETS, "tag")}
        self.public = 0
        self.members = 0
        self.teams: dict[int, set[int]] = {}  # team posts per team
        self.authors: dict[int, set[int]] = {}  # team posts per author

    def remove(self, ids: set[int]) -> None:
        mask = ~bitmap(ids)
        for values in self.values.values():
            for value in list(values):
                values[value] &= mask
                if not values[value]:
                    del values[value]
        self.public &= mask
        self.members &= mask
        for groups in (self.teams, self.authors):
            for key in list(groups):
                groups[key] -= ids
                if not groups[key]:
                    del groups[key]

    def add(self, rows) -> None:
        ids: dict[tuple[str, str], list[int]] = {}
        listed: dict[str, list[int]] = {"public": [], "members": []}
        for post_id, kind, status, neighbourhood, tags, visibility, team_id, author_id in rows:
            for name, value in (("kind", kind), ("status", status),
                                ("neighbourhood", neighbourhood)):
                if value:
                    ids.setdefault((name, value), []).append(post_id)
            for tag in tags or ():
                ids.setdefault(("tag", tag), []).append(post_id)
            if visibility in listed:
                listed[visibility].append(post_id)
            elif visibility == "team":
                if team_id is not None:
                    self.teams.setdefault(team_id, set()).add(post_id)
                if author_id is not None:
                    self.authors.setdefault(author_id, set()).add(post_id)
        for (name, value), found in ids.items():
            self.values[name][value] = self.values[name].get(value, 0) | bitmap(found)
        self.public |= bitmap(listed["public"])
        self.members |= bitmap(listed["members"])

    def allowed(self, visibility: Visibility) -> int:
        """Mirrors `query.visibility_condition`."""
        if not visibility.members:
            return self.public
        team_posts: set[int] = set()
        for team_id in visibility.team_ids:
            team_posts |= self.teams.get(team_id, set())
        if visibility.user_id is not None:
            team_posts |= self.authors.get(visibility.user_id, set())
        return self.public | self.members | bitmap(team_posts)

    def count(self, bits: int) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for name, values in self.values.items():
            counts = {}
            for value, mask in values.items():
                n = (bits & mask).bit_count()
                if n:
                    counts[value] = n
            found[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        return found


_ROWS = select(DOCS.c.post_id, DOCS.c.kind, DOCS.c.status, DOCS.c.neighbourhood, DOCS.c.tags,
               DOCS.c.visibility, DOCS.c.team_id, DOCS.c.author_id)


class Census:
    """One per engine object (process). Thread-safe: one search at a time updates it."""

    def __init__(self, budget: int = 64 << 20):
        self.budget = budget
        self._lock = threading.RLock()
        self._facets: _Facets | None = None
        self._horizon = 0
        self._seen: set[int] = set()  # transaction ids >= horizon already applied
        self._synced: datetime | None = None  # the database's clock at the last sync
        self._sets: OrderedDict[object, _Set] = OrderedDict()
        self._held = 0
        self._generation = 0  # one more for every change applied

    def clear(self) -> None:
        """Forget the cached match sets (the benchmark: nothing is cached before it is
        asked); the facet bitmaps stay."""
        with self._lock:
            self._sets.clear()
            self._held = 0

    def load(self, conn) -> None:
        """Read every document's facets, unless done (the first search of a process: about
        0.2 s per 100,000 posts, outside the search's time limit)."""
        with self._lock:
            if self._facets is not None:
                return
            self._reset()
            # The horizon first: what changes after it is read again. Not in a transaction
            # that wrote documents: the rows it reads would include uncommitted ones.
            if not self._sync(conn):
                self._reset()
                return
            facets = _Facets()
            facets.add(conn.execute(_ROWS))
            self._facets = facets

    def count(self, conn, key, conditions: list, visibility: Visibility,
              facets: Iterable[tuple[str, str | None]] = ()) -> Counted | None:
        """Total and facet counts of the matches of `conditions` (AND-ed; not visibility) that
        have these facet values (`(facet, value)`; a value None matches nothing) and that
        `visibility` may see. The facets come from the bitmaps, so the matches are kept (and
        read) once for a search and every facet clicked after it. None when the census cannot
        answer exactly (not loaded, or this transaction wrote documents itself)."""
        with self._lock:
            if self._facets is None or not self._sync(conn):
                return None
            found = self._match(conn, key, conditions)
            for name, value in facets:
                found &= self._facets.values[name].get(value, 0) if value else 0
            visible = found & self._facets.allowed(visibility)
            return Counted(total=visible.bit_count(), facets=self._facets.count(visible),
                           bits=visible, generation=self._generation)

    def settled(self, conn, counted: Counted) -> bool:
        """No document changed since `counted` began: no transaction committed a change the
        census had not seen (one indexed statement), so every statement between saw the same
        documents. Otherwise the change is applied now and the caller answers again."""
        with self._lock:
            return (self._facets is not None and self._sync(conn)
                    and self._generation == counted.generation)

    # -- keeping up ----------------------------------------------------------------------------
    def _reset(self) -> None:
        self._generation += 1
        self._facets = None
        self._sets.clear()
        self._held = 0
        self._horizon = 0
        self._seen = set()
        self._synced = None

    def _sync(self, conn) -> bool:
        """Apply the changes not seen yet. False when this transaction wrote documents, or
        reads from one snapshot for all its statements (REPEATABLE READ and stricter): the
        census, newer than that snapshot, cannot answer for it nor learn from it."""
        rows = conn.execute(_SYNC, {"horizon": str(self._horizon)}).all()
        (first,) = [row for row in rows if row.horizon]
        if first.isolation != "read committed":
            return False
        changes = [row for row in rows if not row.horizon]
        horizon, own = int(first.xid), first.own
        changed: set[int] = set()
        # Idle too long: the log may have dropped rows not read yet.
        everything = self._synced is not None and first.at - self._synced > IDLE
        for row in changes:
            if own is not None and row.xid == own:
                return False
            if int(row.xid) in self._seen:
                continue
            if row.post_ids is None:
                everything = True
            else:
                changed.update(row.post_ids)
        self._seen = {int(row.xid) for row in changes if int(row.xid) >= horizon}
        self._horizon = horizon
        self._synced = first.at
        if everything or changed:
            self._generation += 1
        if everything and self._facets is not None:  # (`load` reads them itself)
            self._facets = _Facets()
            self._facets.add(conn.execute(_ROWS))
            self._sets.clear()
            self._held = 0
        elif changed and self._facets is not None:
            self._facets.remove(changed)
            self._facets.add(conn.execute(_ROWS.where(
                DOCS.c.post_id == func.any(sorted(changed)))))
            for key, found in list(self._sets.items()):
                found.pending |= changed
                if len(found.pending) > MAX_PENDING:
                    self._drop(key)
        return True

    def _match(self, conn, key, conditions: list) -> int:
        found = self._sets.get(key)
        if found is not None:
            self._sets.move_to_end(key)
            if found.pending:
                pending = sorted(found.pending)
                now = self._ids(conn, [*conditions, DOCS.c.post_id == func.any(pending)])
                found.bits = (found.bits & ~bitmap(pending)) | bitmap(now)
                found.pending.clear()
            return found.bits
        bits = bitmap(self._ids(conn, conditions))
        entry = _Set(bits)
        if entry.size <= self.budget // 8:
            self._sets[key] = entry
            self._held += entry.size
            while self._held > self.budget:
                self._drop(next(iter(self._sets)))
        return bits

    def _drop(self, key) -> None:
        self._held -= self._sets.pop(key).size

    @staticmethod
    def _ids(conn, conditions: list) -> array:
        """The matching post ids, sent as one bytea of 4-byte integers (`int4send`, network
        order): for a word in 90,000 posts, an `array_agg` in text took 12 ms more to send
        and parse."""
        statement = select(func.string_agg(func.int4send(DOCS.c.post_id),
                                           literal(b"", LargeBinary)))
        if conditions:
            statement = statement.where(and_(*conditions))
        ids = array("i")
        ids.frombytes(conn.execute(statement).scalar() or b"")
        if sys.byteorder == "little":
            ids.byteswap()
        return ids
