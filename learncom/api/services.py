"""What the read-only API asks of the database: the same visibility-aware queries the pages
use (learncom/posts/services.py), plus the counts a post's detail shows. Every list is a fixed
number of queries, whatever its length."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from learncom.discussion import services as discussion_services
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts import filters
from learncom.posts import services as post_services
from learncom.posts.kinds import KINDS
from learncom.posts.models import Post, PostLink, no_posts
from learncom.reactions.models import REACTION_KINDS, Reaction

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = filters.MAX_PER_PAGE
MAX_PAGE = filters.MAX_PAGE

#: Each status belongs to one kind (the vocabularies do not overlap), so a status implies it.
STATUS_KINDS = {status: kind.name for kind in KINDS.values() for status in kind.statuses}


@dataclass
class PostFilters:
    kind: str | None = None
    tag: str | None = None
    neighbourhood: str | None = None
    status: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def parse_post_filters(args) -> PostFilters:
    """Filters from the query string (learncom/posts/filters.py). Unknown parameters are
    ignored; a value the API cannot use raises filters.BadFilter. `per_page` above 100 is
    capped to 100."""
    parsed = filters.parse_strict(args, filters.KIND, filters.STATUS, filters.TAG,
                                  filters.NEIGHBOURHOOD, filters.PAGE, filters.PER_PAGE)
    return PostFilters(**{"per_page": DEFAULT_PER_PAGE, **parsed.values})


def list_posts(viewer, filters: PostFilters):
    """A page (Flask-SQLAlchemy Pagination) of the posts the viewer may see, newest first."""
    kind = filters.kind
    query = None
    if filters.status is not None:
        status_kind = STATUS_KINDS[filters.status]
        if kind is not None and kind != status_kind:
            query = post_services.filtered_posts(viewer).where(no_posts())
        kind = status_kind
    hood_id = None
    if filters.neighbourhood is not None:
        hood = post_services.get_neighbourhood_by_slug(filters.neighbourhood)
        if hood is None:
            query = post_services.filtered_posts(viewer).where(no_posts())
        else:
            hood_id = hood.id
    if query is None:
        query = post_services.filtered_posts(viewer, kind=kind, tag=filters.tag,
                                             neighbourhood_id=hood_id, status=filters.status)
    return db.paginate(query, page=filters.page, per_page=filters.per_page,
                       error_out=False, max_per_page=MAX_PER_PAGE)


def get_post(post_id: int, viewer) -> Post | None:
    """The post with what its detail shows loaded, if the viewer may see it."""
    return db.session.scalar(select(Post).where(Post.id == post_id, Post.visible_to(viewer))
                             .options(*post_services.card_options()))


def links(post: Post, viewer) -> list[tuple[str, str, Post]]:
    """(relation, "outgoing" | "incoming", other post) for linked posts the viewer can see."""
    visible = Post.visible_to(viewer)
    outgoing = db.session.execute(
        select(PostLink.relation, Post).join(Post, Post.id == PostLink.target_id)
        .where(PostLink.source_id == post.id, visible).order_by(PostLink.id)).all()
    incoming = db.session.execute(
        select(PostLink.relation, Post).join(Post, Post.id == PostLink.source_id)
        .where(PostLink.target_id == post.id, visible).order_by(PostLink.id)).all()
    return ([(relation, "outgoing", other) for relation, other in outgoing]
            + [(relation, "incoming", other) for relation, other in incoming])


def reaction_counts(post: Post) -> dict[str, int]:
    counts = dict.fromkeys(REACTION_KINDS, 0)
    counts.update(db.session.execute(
        select(Reaction.kind, func.count()).where(Reaction.post_id == post.id)
        .group_by(Reaction.kind)).all())
    return counts


def _readable_comments(viewer):
    """Comments whose text this viewer may read: not deleted, and not hidden by moderation
    (except to their author and moderators)."""
    return Comment.deleted_at.is_(None) & Comment.text_shown_to(viewer)


def comment_count(post: Post, viewer) -> int:
    return db.session.scalar(select(func.count(Comment.id)).where(
        Comment.post_id == post.id, _readable_comments(viewer))) or 0


def thread(post: Post) -> list[discussion_services.ThreadNode]:
    return discussion_services.thread_for(post)


def tags(viewer) -> list[tuple[str, int]]:
    return post_services.tag_counts(viewer)


def neighbourhoods(viewer):
    """Neighbourhoods with posts the viewer can see (an empty one tells nothing it may know)."""
    return [(hood, count) for hood, count in post_services.neighbourhood_counts(viewer) if count]
