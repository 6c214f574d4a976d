"""Deleting an account, by the member or by an admin on a written request.

Two modes:

- ``anonymise``: posts, comments, log entries and lessons applied stay; they show "voormalig
  lid" instead of the name, because every reference to the member is set to NULL.
- ``remove``: the same, and the member's posts (with their threads), comments, log entries,
  lessons applied, flag explanations and privacy-guard reasons go too. A comment that has
  replies by others keeps its place as "[verwijderd]", so the replies stay readable.

In both modes the name, e-mail address (and a new one waiting for its link), organisation,
function, password, follows, notifications and team memberships go, "@name" mentions in other
people's comments become "@voormalig lid", mail to or naming the member is removed from the
outbox, and the row in ``users`` stays as an empty tombstone (so ids are never reused): no name,
no e-mail, no password, a new session token (every session ends), ``deleted_at`` set. Reactions
keep pointing at the tombstone: the counts stay, nobody can tell whose they were.

What the core does not own, the features do themselves through the event ``member.erasing``
(user, mode, actor), emitted while the name and e-mail are still on the row. Every other
reference to ``users.id`` declared ``ON DELETE SET NULL`` is set to NULL generically, so a new
feature's columns are covered without code here.

`erase_member` changes rows and flushes; the view commits, then `scrub_in_background` rewrites
the search index and cleans the database files (learncom/privacy/storage.py); `flask learncom
scrub` does the same by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from learncom import events, search
from learncom.accounts.models import EmailChange, User, team_members
from learncom.accounts.services import active_admin_count
from learncom.accounts.sessions import end_all_sessions
from learncom.dbtypes import utcnow
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.guard.models import PrivacyOverride
from learncom.mail import OutboxMessage
from learncom.posts import services as post_services
from learncom.posts.models import MARKDOWN_FIELDS, LogEntry, Post, Tag, post_tags
from learncom.privacy import storage
from learncom.search.services import purge_deleted

MODES = ("anonymise", "remove")
#: What stands where the name was, in other people's text (stored: in the site's language).
FORMER_MEMBER = "voormalig lid"
TOMBSTONE_DOMAIN = "deleted.invalid"


class ErasureError(ValueError):
    """An account that cannot be deleted (now); the message is shown to the user."""


@dataclass
class ErasureReport:
    user_id: int
    mode: str
    posts: int = 0
    comments: int = 0
    #: Tables whose rows held the member's text: cleaned on disk after the commit.
    tables: set[str] = field(default_factory=set)
    #: The removed texts, until the search engine has forgotten their words (scrub).
    texts: list[str] = field(default_factory=list, repr=False)


def check_erasable(user: User) -> None:
    if user.is_deleted:
        raise ErasureError(_("This account was already deleted."))
    if user.role == "admin" and user.active and active_admin_count() <= 1:
        raise ErasureError(_("%(name)s is the last admin. Make someone else admin first.",
                             name=user.name))


def erase_member(user: User, mode: str, *, by: User) -> ErasureReport:
    """Delete the account as described above. `by` is the member themself or an admin."""
    if mode not in MODES:
        raise ErasureError(_("Choose what happens to what you wrote."))
    check_erasable(user)
    report = ErasureReport(user.id, mode, tables={"users", "outbox", "audit_events"})
    name, email = user.name, user.email
    if mode == "remove":
        _remove_content(user, report)
    else:
        for post_id in db.session.scalars(select(Post.id).where(Post.author_id == user.id)):
            search.reindex([post_id])  # the author's name is in the index
    _scrub_mentions(name, report)
    events.emit("member.erasing", user=user, mode=mode, actor=by, report=report)
    db.session.execute(delete(team_members).where(team_members.c.user_id == user.id))
    new_emails = list(db.session.scalars(select(EmailChange.new_email)
                                         .where(EmailChange.user_id == user.id)))
    db.session.execute(delete(EmailChange).where(EmailChange.user_id == user.id))
    _null_references(user.id)
    _scrub_outbox(name, email, new_emails)
    _tombstone(user)
    db.session.flush()
    db.session.expire_all()
    events.emit("member.erased", user=user, mode=mode, actor=by)
    return report


# -- the member's content ------------------------------------------------------------------------

def _remove_content(user: User, report: ErasureReport) -> None:
    report.tables |= {"posts", "post_revisions", "comments", "log_entries", "tags",
                      "privacy_overrides"}
    posts = list(db.session.scalars(select(Post).where(Post.author_id == user.id)))
    for post in posts:
        report.texts += [post.title, post.body, *(getattr(post, name) or ""
                                                   for name in MARKDOWN_FIELDS)]
        post_services.delete_post(post)
    report.posts = len(posts)

    # Comments: emptied, then those without replies removed (a leaf at a time, so a chain of
    # the member's own replies goes entirely, and one with a reply by someone else stays as
    # "[verwijderd]").
    mine = set(db.session.scalars(select(Comment.id).where(Comment.author_id == user.id)))
    report.comments = len(mine)
    report.texts += db.session.scalars(select(Comment.body).where(Comment.id.in_(mine)))
    report.texts += db.session.scalars(select(LogEntry.body).where(LogEntry.author_id == user.id))
    for post_id in set(db.session.scalars(select(Comment.post_id).where(Comment.id.in_(mine)))):
        search.reindex([post_id])
    db.session.execute(update(Comment).where(Comment.id.in_(mine)).values(
        body="", body_html="", excerpt="", deleted_at=utcnow(), author_id=None)
        .execution_options(synchronize_session=False))
    while mine:
        parents = set(db.session.scalars(select(Comment.parent_id).where(
            Comment.parent_id.in_(mine))))
        leaves = mine - parents
        if not leaves:
            break
        db.session.execute(delete(Comment).where(Comment.id.in_(leaves))
                           .execution_options(synchronize_session=False))
        mine -= leaves

    for post_id in set(db.session.scalars(select(LogEntry.post_id).where(
            LogEntry.author_id == user.id))):
        search.reindex([post_id])
    db.session.execute(delete(LogEntry).where(LogEntry.author_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(PrivacyOverride).where(PrivacyOverride.user_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    # Tags only the member's posts used would otherwise keep their words.
    db.session.execute(delete(Tag).where(Tag.id.not_in(select(post_tags.c.tag_id)))
                       .execution_options(synchronize_session=False))


def _mention(name: str) -> re.Pattern:
    """"@Name" as learncom/follow/mentions.py reads it (not part of an e-mail address)."""
    return re.compile(rf"(?:^|(?<=[^\w.+@-]))@{re.escape(name)}(?!\w)", re.IGNORECASE)


def _scrub_mentions(name: str, report: ErasureReport) -> None:
    pattern = _mention(name)
    comments = db.session.scalars(select(Comment).where(
        Comment.body.icontains(f"@{name}", autoescape=True)))
    for comment in comments:
        body = pattern.sub(f"@{FORMER_MEMBER}", comment.body)
        if body != comment.body:
            comment.body = body  # its HTML and excerpt are rendered again on flush
            report.tables.add("comments")
            search.reindex([comment.post_id])
    db.session.flush()


# -- references, mail and the row itself ----------------------------------------------------------

def _null_references(user_id: int) -> None:
    """Every column declared `REFERENCES users ON DELETE SET NULL` stops pointing here."""
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and (fk.ondelete or "").upper() == "SET NULL":
                column = fk.parent
                db.session.execute(update(table).where(column == user_id).values(
                    {column.name: None}).execution_options(synchronize_session=False))


def word_pattern(text: str) -> re.Pattern:
    """`text` as a whole word (or words), in any case."""
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def _scrub_outbox(name: str, email: str, new_emails: list[str]) -> None:
    """Mail to the member goes (also to a new address they asked for, unless another member
    has it); mail to others that names them no longer does."""
    own = [email, *(address for address in new_emails if db.session.scalar(
        select(User.id).where(User.email == address)) is None)]
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to.in_(own))
                       .execution_options(synchronize_session=False))
    addresses = [email, *new_emails]
    naming = db.session.scalars(select(OutboxMessage).where(or_(
        OutboxMessage.subject.icontains(name, autoescape=True),
        OutboxMessage.body.icontains(name, autoescape=True),
        *(OutboxMessage.body.icontains(address, autoescape=True) for address in addresses))))
    for message in naming:
        for pattern in (*map(word_pattern, addresses), word_pattern(name)):
            message.subject = pattern.sub(FORMER_MEMBER, message.subject)
            message.body = pattern.sub(FORMER_MEMBER, message.body)


def _tombstone(user: User) -> None:
    user.name = FORMER_MEMBER
    user.email = f"deleted-{user.id}@{TOMBSTONE_DOMAIN}"
    user.password_hash = None
    user.organisation = None
    user.function = None
    user.locale = None
    user.role = "member"
    user.active = False
    user.public_profile = False
    user.email_digest = "off"
    user.last_digest_at = None
    user.deleted_at = utcnow()
    end_all_sessions(user)  # every session of the member ends


# -- after the commit ---------------------------------------------------------------------------

def scrub_in_background(app, report: ErasureReport) -> None:
    """Run `scrub_after_commit` so the request does not wait for it: rewriting a large index
    segment takes about as long as indexing its posts. In a thread of its own, except when
    `PRIVACY_SCRUB_SYNC` (default: app.testing) asks for it to run at once."""
    import threading

    if app.config.get("PRIVACY_SCRUB_SYNC", app.testing):
        scrub_after_commit(report)
        return

    def run() -> None:
        with app.app_context():
            scrub_after_commit(report)

    threading.Thread(target=run, name="privacy-scrub", daemon=True).start()


def scrub_after_commit(report: ErasureReport) -> dict:
    """Make the erased data unreadable on disk: the search index drops the deleted documents
    from its files, and the database files are cleaned (see storage.py). Returns what was done,
    for the log."""
    done = {"index": False, "database": False}
    try:
        done["index"] = purge_deleted(report.texts)
        report.texts.clear()
    except Exception:  # the data is committed; a failure here is logged, not shown
        current_app.logger.exception("privacy: rewriting the search index failed")
    try:
        done["database"] = storage.scrub(report.tables)
    except Exception:
        current_app.logger.exception("privacy: cleaning the database files failed")
    if not all(done.values()):
        current_app.logger.warning("privacy: erasure of member %s not yet clean on disk: %s "
                                   "(run `flask learncom scrub`)", report.user_id, done)
    return done
