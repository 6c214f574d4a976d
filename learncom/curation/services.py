"""Lesson curation and promotion.

Curation: coordinators go through a queue of lessons nobody has curated yet, mark them curated
(with an optional note), undo that, or ask the author for changes (a comment in the thread).
Curated lessons are featured on the home page.

Promotion: a coordinator turns a comment, or a whole thread, into a new lesson or friction. The
form starts prefilled (see `comment_draft` / `thread_draft`); `promote()` saves it as a draft
that coordinators finish and publish, and records where it came from (a Promotion row and a
"learned from" link). Functions flush; the view commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from learncom import events
from learncom.curation.models import Promotion
from learncom.dbtypes import utcnow
from learncom.discussion import services as discussion_services
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.markdown import plain_text, shorten
from learncom.permissions import can_curate, can_view_post
from learncom.posts import services as post_services
from learncom.posts.models import Post
from learncom.reactions.models import Reaction
from learncom.rendered import excerpt

#: The kinds a comment or thread can be promoted into.
PROMOTE_KINDS = ("lesson", "friction")
#: Featured lessons on the home page.
FEATURED_LIMIT = 6
#: Comments quoted in a draft made from a whole thread.
THREAD_COMMENTS = 5
TITLE_LENGTH = 200
STATEMENT_LENGTH = 300


# -- the queue and the home page ---------------------------------------------------------------

def _awaiting(viewer):
    return (Post.kind == "lesson", Post.curated.is_not(True), Post.hidden_at.is_(None),
            Post.visible_to(viewer))


def queue_query(viewer):
    """Lessons awaiting curation that the viewer can see, oldest first."""
    return (select(Post).where(*_awaiting(viewer)).options(*post_services.card_options())
            .order_by(Post.created_at, Post.id))


def queue_size_query(viewer):
    """How many lessons await curation, as a query (a header count; None for anyone but
    coordinators)."""
    if not can_curate(viewer):
        return None
    return select(func.count()).select_from(Post).where(*_awaiting(viewer))


def featured_lessons(viewer, limit: int = FEATURED_LIMIT) -> list[Post]:
    """Curated lessons the viewer can see, newest curated first (one query plus card loads).
    Lessons curated before curation dates were kept (imports) come after, newest first."""
    query = (post_services.visible_posts(viewer)
             .where(Post.kind == "lesson", Post.curated.is_(True), Post.hidden_at.is_(None))
             .order_by(Post.curated_at.is_(None), Post.curated_at.desc(),
                       Post.created_at.desc(), Post.id.desc())
             .limit(limit))
    return list(db.session.scalars(query))


# -- curating ----------------------------------------------------------------------------------

class CurationError(ValueError):
    """An action that does not apply to this post; the message is shown to the user."""


def _check_lesson(post: Post) -> None:
    if post.kind != "lesson":
        raise CurationError(_("Only lessons can be curated."))


def curate(post: Post, actor, note: str | None = None) -> bool:
    """Mark the lesson curated. Returns True when it was not curated before (the event fires
    then only); curating again updates the note."""
    _check_lesson(post)
    newly = not post.curated
    post.curated = True
    post.curation_note = (note or "").strip() or None
    post.curated_by_id = actor.id
    if newly or post.curated_at is None:
        post.curated_at = utcnow()
    db.session.flush()
    if newly:
        events.emit("lesson.curated", post=post, actor=actor, note=post.curation_note)
    return newly


def uncurate(post: Post, actor) -> bool:
    """Take the curated mark away; the lesson returns to the queue."""
    _check_lesson(post)
    if not post.curated:
        return False
    events.emit("lesson.uncurated", post=post, actor=actor, note=post.curation_note)
    post.curated = False
    post.curated_at = None
    post.curated_by_id = None
    post.curation_note = None
    db.session.flush()
    return True


def request_changes(post: Post, actor, message: str) -> Comment:
    """Ask for changes: a comment in the lesson's thread. The lesson stays in the queue."""
    _check_lesson(post)
    comment = discussion_services.add_comment(post, actor, message.strip())
    events.emit("lesson.changes_requested", post=post, comment=comment, actor=actor)
    return comment


# -- promotion ---------------------------------------------------------------------------------

@dataclass
class Draft:
    """The prefilled form of a promoted post (nothing is stored until it is saved)."""

    kind: str
    source_post: Post
    source_comment: Comment | None
    data: dict


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")


def first_sentence(rendered_html: str, length: int) -> str:
    """The first sentence of a text as plain text, at most `length` characters, from the HTML
    stored when it was written."""
    plain = plain_text(rendered_html)[:5000]
    sentence = _SENTENCE_END.split(plain, maxsplit=1)[0].strip() if plain else ""
    return shorten(sentence, length)


def quote(text: str) -> str:
    """Markdown block quote of a text, line by line."""
    return "\n".join(f"> {line}".rstrip() for line in (text or "").strip().splitlines())


def comment_url(comment: Comment) -> str:
    return url_for("posts.show", post_id=comment.post_id, _anchor=f"reactie-{comment.id}")


def _author_name(comment: Comment) -> str:
    return comment.author.name if comment.author else _("former member")


def _attribution(comment: Comment, post: Post) -> str:
    return _("— %(name)s, in [a comment on “%(title)s”](%(url)s)",
             name=_author_name(comment), title=post.title, url=comment_url(comment))


def usable_comment(comment: Comment | None, viewer) -> bool:
    """A comment that can be promoted by this viewer: it exists, has text, is not hidden by
    moderation and sits on a post the viewer can see."""
    return (comment is not None and not comment.is_deleted and not comment.is_hidden
            and can_view_post(viewer, comment.post))


def _base_data(kind: str, source: Post) -> dict:
    data = {
        "tags": ", ".join(tag.name for tag in source.tags),
        "neighbourhood": str(source.neighbourhood_id) if source.neighbourhood_id else "",
        "team": str(source.team_id) if source.team_id else "",
        # A draft from a team-only thread stays team-only until the coordinator decides.
        "visibility": source.visibility,
    }
    return data


def draft_title(kind: str, source: Post) -> str:
    """A working title that says where the draft came from ("Lesson from: <post title>"); the
    coordinator rewrites it before publishing. A comment's first sentence is often a greeting,
    so it never becomes the title."""
    label = (_("Lesson from: %(title)s", title=source.title) if kind == "lesson"
             else _("Friction from: %(title)s", title=source.title))
    return shorten(label, TITLE_LENGTH)


def comment_draft(comment: Comment, kind: str) -> Draft:
    """A lesson or friction drafted from one comment: a working title naming the post it came
    from, the comment's first sentence as the lesson's statement (to rewrite), the comment
    quoted with attribution as the text."""
    source = comment.post
    data = _base_data(kind, source)
    data["title"] = draft_title(kind, source)
    data["body"] = f"{quote(comment.body)}\n\n{_attribution(comment, source)}\n"
    if kind == "lesson":
        data["statement"] = first_sentence(comment.body_html, STATEMENT_LENGTH)
    return Draft(kind, source, comment, data)


def best_comments(post: Post, limit: int = THREAD_COMMENTS) -> list[Comment]:
    """The comments a thread draft quotes: the ones with the most reactions (then the longest
    ones), shown in thread order. Deleted and hidden comments are never quoted."""
    in_thread = select(Comment.id).where(Comment.post_id == post.id)
    reactions = (select(Reaction.comment_id, func.count().label("n"))
                 .where(Reaction.comment_id.in_(in_thread)).group_by(Reaction.comment_id)
                 .subquery())
    score = func.coalesce(reactions.c.n, 0)
    chosen = db.session.scalars(
        select(Comment).outerjoin(reactions, reactions.c.comment_id == Comment.id)
        .where(Comment.post_id == post.id, Comment.deleted_at.is_(None),
               Comment.hidden_at.is_(None))
        .options(selectinload(Comment.author))
        .order_by(score.desc(), func.length(Comment.body).desc(), Comment.id)
        .limit(limit)).all()
    return sorted(chosen, key=lambda c: (c.created_at, c.id))


def thread_draft(post: Post, kind: str) -> Draft:
    """A lesson or friction drafted from a whole thread: the post's summary, then the best
    comments, each quoted with attribution."""
    data = _base_data(kind, post)
    data["title"] = draft_title(kind, post)
    parts = []
    summary = excerpt(post, 400) or (post.statement or "")
    post_url = url_for("posts.show", post_id=post.id)
    parts.append(_("From [“%(title)s”](%(url)s):", title=post.title, url=post_url))
    if summary:
        parts.append(quote(summary))
    comments = best_comments(post)
    if comments:
        parts.append(_("From the discussion:"))
        for comment in comments:
            parts.append(f"{quote(comment.body)}\n\n{_attribution(comment, post)}")
    data["body"] = "\n\n".join(parts) + "\n"
    if kind == "lesson":
        data["statement"] = (post.statement if post.kind == "lesson" and post.statement
                             else first_sentence(post.body_html, STATEMENT_LENGTH))
    return Draft(kind, post, None, data)


def promote(actor, data: post_services.PostInput, source_post: Post,
            source_comment: Comment | None = None) -> Post:
    """Create the promoted post as a draft that every coordinator may finish and publish
    (nobody else sees it or hears of it before), and record its provenance: a Promotion, a
    "learned from" link to the source post and a `post.promoted` event. Raises
    posts.services.PostError on bad input."""
    if data.kind not in PROMOTE_KINDS:
        raise CurationError(_("Only lessons and frictions can be drafted from a discussion."))
    post = post_services.create_post(actor, data, draft=True, shared_with_coordinators=True)
    promotion = Promotion(post_id=post.id, source_post_id=source_post.id,
                          source_comment_id=source_comment.id if source_comment else None,
                          promoted_by_id=actor.id)
    db.session.add(promotion)
    post_services.add_link(post, source_post, "learned_from", actor)
    events.emit("post.promoted", post=post, actor=actor, source_post=source_post,
                source_comment=source_comment)
    db.session.flush()
    return post


def provenance_of(post: Post) -> Promotion | None:
    """Where this post was drafted from, if it was promoted (one query)."""
    return db.session.scalar(
        select(Promotion).where(Promotion.post_id == post.id)
        .options(selectinload(Promotion.source_post),
                 selectinload(Promotion.source_comment).selectinload(Comment.author)))


def promotions_from(post: Post, viewer) -> list[tuple[Promotion, Post]]:
    """The posts drafted from this post's thread or its comments that the viewer can see,
    oldest first (one query for the whole thread)."""
    return promotions_around(post, viewer)[0]


def promotions_around(post: Post, viewer) -> tuple[list[tuple[Promotion, Post]],
                                                    Promotion | None]:
    """For the post page, in one statement: the posts drafted from this post's thread or its
    comments that the viewer can see (oldest first), and where this post itself was drafted
    from (`provenance_of`)."""
    rows = db.session.execute(
        select(Promotion, Post).join(Post, Post.id == Promotion.post_id)
        .where(or_(Promotion.source_post_id == post.id, Promotion.post_id == post.id),
               Post.visible_to(viewer))
        .options(joinedload(Promotion.source_post),
                 joinedload(Promotion.source_comment).joinedload(Comment.author))
        .order_by(Promotion.created_at, Promotion.id)).unique().all()
    drafted = [(promotion, promoted) for promotion, promoted in rows
               if promotion.source_post_id == post.id and promotion.post_id != post.id]
    provenance = next((promotion for promotion, _ in rows if promotion.post_id == post.id), None)
    return drafted, provenance
