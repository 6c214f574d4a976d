"""The coordinators' dashboard: the figures, as plain data.

Every figure counts only what the viewer may see (`Post.visible_to`) and takes the same filters:
a neighbourhood, a period and the author's kind. Each figure is one bounded query.

- The period (the last 3, 6, 12 or 24 calendar months, this one included; 12 by default) sets
  the months of "posts per kind per month" and which frictions "days to resolve" looks at (those
  resolved in the period).
  "Frictions per status", "most felt" and "awaiting curation" show the situation now; "most active
  neighbourhoods" always looks at the last 90 days.
- Months are calendar months in the site's time zone (`BABEL_DEFAULT_TIMEZONE`), bucketed in
  Python from the posts' UTC times: portable across SQLite and PostgreSQL, and right at midnight.
- Days to resolve: for each friction that is resolved now, the first recorded change to
  "resolved" (a `StatusChange` row) minus the friction's `created_at`. A friction that is resolved
  without any recorded change (imported, or set before the workflow existed) is left out — its
  `updated_at` says when it was last edited, not when it was resolved — and counted separately
  as `without_record`, so the page can say how many were left out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from learncom import vocab
from learncom.accounts.models import User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.posts import filters as post_filters
from learncom.posts import kinds
from learncom.posts import services as post_services
from learncom.posts.models import Neighbourhood, Post
from learncom.reactions.models import Reaction

PERIODS = {
    3: _l("Last 3 months"),
    6: _l("Last 6 months"),
    12: _l("Last 12 months"),
    24: _l("Last 24 months"),
}
DEFAULT_PERIOD = 12
ACTIVE_DAYS = 90
TOP = 10
OPEN_STATUSES = ("raised", "on_agenda", "being_addressed")
KINDS = tuple(kinds.KINDS)


@dataclass
class Filters:
    neighbourhood: Neighbourhood | None = None
    period: int = DEFAULT_PERIOD
    author_kind: str | None = None
    #: The arguments that could not be used (learncom/posts/filters.py), for the page to name.
    errors: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return (self.neighbourhood is not None or self.author_kind is not None
                or self.period != DEFAULT_PERIOD)


PERIOD = post_filters.one_of("period", _l("Period"), PERIODS)


def parse_filters(args) -> Filters:
    """Filters from the query string; unknown or malformed values are left out and named."""
    parsed = post_filters.parse(args, post_filters.NEIGHBOURHOOD, PERIOD,
                                post_filters.AUTHOR_KIND)
    filters = Filters(period=parsed.get("period", DEFAULT_PERIOD),
                      author_kind=parsed.get("author_kind"), errors=parsed.errors)
    slug = parsed.get("neighbourhood")
    if slug is not None:
        filters.neighbourhood = post_services.get_neighbourhood_by_slug(slug)
        if filters.neighbourhood is None:
            filters.errors["neighbourhood"] = (post_filters.NEIGHBOURHOOD.label,
                                               _l("This neighbourhood is unknown here."))
    return filters


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _post_conditions(viewer, filters: Filters) -> list:
    """What every post figure filters on: visibility, neighbourhood, author kind."""
    conditions = [Post.visible_to(viewer)]
    if filters.neighbourhood is not None:
        conditions.append(Post.neighbourhood_id == filters.neighbourhood.id)
    if filters.author_kind is not None:
        conditions.append(Post.author_id.in_(
            select(User.id).where(User.kind == filters.author_kind)))
    return conditions


# -- posts per kind per month ------------------------------------------------------------------

def month_starts(months: int, now: datetime | None = None) -> list[date]:
    """The first day of each of the last `months` calendar months (local time), oldest first."""
    today = _now(now).astimezone(_zone()).date()
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def period_start(months: int, now: datetime | None = None) -> datetime:
    """The moment the period begins: midnight (local time) on the first day of its first month."""
    first = month_starts(months, now)[0]
    return datetime(first.year, first.month, 1, tzinfo=_zone()).astimezone(UTC)


@dataclass
class MonthCount:
    month: date  # the first day of the month
    counts: dict[str, int]  # per post kind

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def posts_per_month(viewer, filters: Filters, now: datetime | None = None) -> list[MonthCount]:
    """Posts per kind for each month of the period, oldest month first (zeros included)."""
    starts = month_starts(filters.period, now)
    zone = _zone()
    since = period_start(filters.period, now)
    rows = db.session.execute(
        select(Post.kind, Post.created_at)
        .where(*_post_conditions(viewer, filters), Post.created_at >= since)).all()
    buckets = {start: dict.fromkeys(KINDS, 0) for start in starts}
    for kind, created_at in rows:
        local = created_at.astimezone(zone)
        bucket = buckets.get(date(local.year, local.month, 1))
        if bucket is not None and kind in bucket:
            bucket[kind] += 1
    return [MonthCount(start, buckets[start]) for start in starts]


# -- frictions ---------------------------------------------------------------------------------

def frictions_per_status(viewer, filters: Filters) -> list[tuple[str, int]]:
    """Every change status in workflow order, with how many frictions have it now."""
    counts = dict(db.session.execute(
        select(Post.change_status, func.count(Post.id))
        .where(*_post_conditions(viewer, filters), Post.kind == "friction")
        .group_by(Post.change_status)).all())
    return [(status, counts.get(status, 0)) for status in vocab.CHANGE_STATUSES]


@dataclass
class ResolveTimes:
    days: list[float] = field(default_factory=list)  # one per friction, in days
    without_record: int = 0  # resolved, but no recorded change to "resolved": left out

    @property
    def count(self) -> int:
        return len(self.days)

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None


def resolve_times(viewer, filters: Filters, now: datetime | None = None) -> ResolveTimes:
    """Days from raised to resolved for the frictions resolved in the period (see the module
    docstring for frictions without a recorded change)."""
    first_resolved = (
        select(StatusChange.post_id, func.min(StatusChange.created_at).label("resolved_at"))
        .where(StatusChange.to_status == "resolved")
        .group_by(StatusChange.post_id).subquery())
    rows = db.session.execute(
        select(Post.created_at, first_resolved.c.resolved_at)
        .outerjoin(first_resolved, first_resolved.c.post_id == Post.id)
        .where(*_post_conditions(viewer, filters), Post.kind == "friction",
               Post.change_status == "resolved")).all()
    since = period_start(filters.period, now)
    result = ResolveTimes()
    for created_at, resolved_at in rows:
        if resolved_at is None:
            result.without_record += 1
            continue
        resolved_at = _as_utc(resolved_at)
        if resolved_at < since:
            continue
        seconds = (resolved_at - created_at).total_seconds()
        result.days.append(max(seconds, 0) / 86400)
    result.days.sort()
    return result


def _as_utc(value: datetime) -> datetime:
    """An aggregate (MIN) comes back without the column type: naive on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class FeltFriction:
    post: Post
    recognised: int
    days_open: int


def most_felt_open(viewer, filters: Filters, now: datetime | None = None,
                   limit: int = TOP) -> list[FeltFriction]:
    """Open frictions with the most "herkenbaar" reactions (at least one), most felt first;
    on a tie the one open longest first."""
    counts = (select(Reaction.post_id, func.count(Reaction.id).label("n"))
              .where(Reaction.kind == "recognise", Reaction.post_id.is_not(None))
              .group_by(Reaction.post_id).subquery())
    rows = db.session.execute(
        select(Post, counts.c.n).join(counts, counts.c.post_id == Post.id)
        .where(*_post_conditions(viewer, filters), Post.kind == "friction",
               Post.change_status.in_(OPEN_STATUSES))
        .order_by(counts.c.n.desc(), Post.created_at, Post.id).limit(limit)).all()
    current = _now(now)
    return [FeltFriction(post, n, max((current - post.created_at).days, 0)) for post, n in rows]


# -- lessons and neighbourhoods ----------------------------------------------------------------

@dataclass
class AwaitingCuration:
    total: int
    lessons: list[Post]  # the ones waiting longest, at most `limit`


def awaiting_curation(viewer, filters: Filters, limit: int = TOP) -> AwaitingCuration:
    condition = and_(*_post_conditions(viewer, filters), Post.kind == "lesson",
                     Post.curated.is_(False))
    total = db.session.scalar(select(func.count(Post.id)).where(condition)) or 0
    lessons = list(db.session.scalars(
        select(Post).where(condition).order_by(Post.created_at, Post.id).limit(limit)))
    return AwaitingCuration(total, lessons)


@dataclass
class ActiveNeighbourhood:
    neighbourhood: Neighbourhood
    posts: int
    comments: int

    @property
    def total(self) -> int:
        return self.posts + self.comments


def active_neighbourhoods(viewer, filters: Filters, now: datetime | None = None,
                          limit: int = TOP) -> list[ActiveNeighbourhood]:
    """Neighbourhoods by new posts plus new comments (on posts in that neighbourhood) in the
    last 90 days, most active first. The author-kind filter applies to whoever wrote the post
    or the comment."""
    since = _now(now) - timedelta(days=ACTIVE_DAYS)
    visible = [Post.visible_to(viewer), Post.neighbourhood_id.is_not(None)]
    if filters.neighbourhood is not None:
        visible.append(Post.neighbourhood_id == filters.neighbourhood.id)
    post_query = (select(Post.neighbourhood_id, func.count(Post.id))
                  .where(*visible, Post.created_at >= since).group_by(Post.neighbourhood_id))
    comment_query = (select(Post.neighbourhood_id, func.count(Comment.id))
                     .join(Post, Post.id == Comment.post_id)
                     .where(*visible, Comment.created_at >= since, Comment.deleted_at.is_(None))
                     .group_by(Post.neighbourhood_id))
    if filters.author_kind is not None:
        authors = select(User.id).where(User.kind == filters.author_kind)
        post_query = post_query.where(Post.author_id.in_(authors))
        comment_query = comment_query.where(Comment.author_id.in_(authors))
    comment_query = comment_query.where(Comment.text_shown_to(viewer))
    posts = dict(db.session.execute(post_query).all())
    comments = dict(db.session.execute(comment_query).all())
    ids = set(posts) | set(comments)
    if not ids:
        return []
    hoods = {hood.id: hood for hood in db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.id.in_(ids)))}
    result = [ActiveNeighbourhood(hoods[i], posts.get(i, 0), comments.get(i, 0))
              for i in ids if i in hoods]
    result.sort(key=lambda row: (-row.total, -row.posts, row.neighbourhood.name.lower()))
    return result[:limit]


# -- everything at once ------------------------------------------------------------------------

@dataclass
class Dashboard:
    filters: Filters
    posts_per_month: list[MonthCount]
    frictions_per_status: list[tuple[str, int]]
    resolve_times: ResolveTimes
    most_felt: list[FeltFriction]
    awaiting_curation: AwaitingCuration
    active_neighbourhoods: list[ActiveNeighbourhood]


def dashboard(viewer, filters: Filters, now: datetime | None = None) -> Dashboard:
    return Dashboard(
        filters=filters,
        posts_per_month=posts_per_month(viewer, filters, now),
        frictions_per_status=frictions_per_status(viewer, filters),
        resolve_times=resolve_times(viewer, filters, now),
        most_felt=most_felt_open(viewer, filters, now),
        awaiting_curation=awaiting_curation(viewer, filters),
        active_neighbourhoods=active_neighbourhoods(viewer, filters, now),
    )



