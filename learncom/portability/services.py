"""JSONL import and export.

Import reads every line first and checks it completely (JSON, type, keys, vocabularies, dates,
references), so a bad line is reported before anything is written. It then creates everything
through the feature services (rendering, revisions and defaults live there) inside a savepoint:
a failure leaves the session as it was. The caller commits.

Export writes users, then each post followed by its comments (parents before replies), then
links, reading posts in batches with eager loads so the number of queries stays bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from learncom import vocab
from learncom.accounts import services as accounts
from learncom.accounts.models import User
from learncom.discussion import services as discussion
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.guard import services as privacy
from learncom.markdown import MAX_NESTING, MarkdownTooComplex, check_markdown
from learncom.permissions import can_post_for_team
from learncom.posts import services as posts
from learncom.posts.kinds import KIND_FIELDS, KINDS
from learncom.posts.models import LogEntry, Post, PostLink, PostRevision
from learncom.search.services import get_backend

EXPORT_BATCH = 200

_KEYS = {
    "user": {"type", "email", "name", "kind", "organisation", "function", "role", "teams"},
    "post": {"type", "ref", "kind", "title", "body", "tags", "neighbourhood", "city", "author",
             "created_at", "fields", "log", "visibility", "team", "owner", "draft"},
    "comment": {"type", "ref", "post", "parent", "author", "body", "created_at", "deleted"},
    "link": {"type", "from", "to", "relation"},
}
_REQUIRED = {
    "user": ("email",),
    "post": ("ref", "kind", "title", "tags", "author"),
    "comment": ("ref", "post", "author"),
    "link": ("from", "to", "relation"),
}
_LOG_KEYS = {"date", "author", "body"}
#: The format nests three levels (a post line, its "log" list, a log entry); a line nested
#: deeper than this is refused before anything looks inside it.
MAX_DEPTH = 5
MAX_REF_LENGTH = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


class ImportLineError(ValueError):
    """A line that cannot be imported; nothing of the import is kept."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"Line {line}: {reason}")
        self.line = line
        self.reason = reason


class _Bad(ValueError):
    """A reason, raised while checking one line; becomes an ImportLineError with its number."""


@dataclass
class ImportReport:
    users: int = 0  # accounts created
    reused_users: int = 0  # accounts that already existed (same e-mail)
    posts: int = 0
    comments: int = 0
    links: int = 0
    created_users: list[User] = field(default_factory=list)
    # Lines whose text looks like personal data (the privacy guard's rules): reported, not
    # blocked, e.g. "Line 3 (post exp-1): body: bsn; log entry 1: phone".
    privacy: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"Imported: {self.users} users, {self.posts} posts, {self.comments} comments, "
                f"{self.links} links.")
        if self.reused_users:
            text += f" Reused {self.reused_users} existing users (same e-mail)."
        if self.privacy:
            text += ("\nThese lines seem to hold personal data (check them, and edit or hide "
                     "what should not be there):\n" + "\n".join(self.privacy))
        return text


# -- parsed lines --------------------------------------------------------------------------------

@dataclass
class _UserLine:
    line: int
    email: str
    name: str | None
    kind: str
    role: str
    organisation: str | None
    function: str | None
    teams: list[str]


@dataclass
class _LogLine:
    date: date
    author: str | None
    body: str


@dataclass
class _PostLine:
    line: int
    ref: str
    kind: str
    title: str
    body: str
    tags: list[str]
    neighbourhood: str | None
    city: str | None
    author: str | None
    created_at: datetime | None
    fields: dict
    log: list[_LogLine]
    visibility: str
    team: str | None
    owner: str | None
    draft: bool = False


@dataclass
class _CommentLine:
    line: int
    ref: str
    post: str
    parent: str | None
    author: str | None
    body: str
    created_at: datetime | None
    deleted: bool


@dataclass
class _LinkLine:
    line: int
    source: str
    target: str
    relation: str


# -- checking values -----------------------------------------------------------------------------

def _clip(text: str, length: int = 60) -> str:
    """A value as a message shows it: never a whole 10 MB string."""
    return text if len(text) <= length else text[:length - 1] + "…"


def _shown(value: object) -> str:
    return _clip(repr(value))


def _check_values(obj: object) -> None:
    """Nesting at most MAX_DEPTH, and no string the database cannot store: a NUL (PostgreSQL
    text cannot hold it; the web forms drop it) or half of a UTF-16 surrogate pair (not
    UTF-8). One pass over the line, without recursion."""
    pending: list[tuple[object, str, int]] = [(obj, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _Bad(f"nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _bad_character(key):
                    raise _Bad(f"a key {_bad_character(key)}")
                name = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
                pending.append((item, name.lstrip("."), depth + 1))
        elif isinstance(value, str) and _bad_character(value):
            where = f'"{_clip(path)}"' if path else "the line"
            raise _Bad(f"{where} {_bad_character(value)}")


def _bad_character(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains an invalid character (half of a surrogate pair)"
    return None


def _renderable(text: str | None, key: str) -> None:
    """Markdown the forms would accept (learncom/markdown.py): not too deep, not too complex."""
    try:
        check_markdown(text)
    except MarkdownTooComplex as error:
        if error.reason == "nesting":
            raise _Bad(f'"{key}" nests square brackets or quotes deeper than {MAX_NESTING} '
                       "levels") from None
        raise _Bad(f'"{key}" is too complicated to render: put empty lines between paragraphs '
                   "and use fewer links, code and emphasis marks") from None


def _text(obj: dict, key: str, *, required: bool = False, max_length: int | None = None,
          allow_empty: bool = True) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _Bad(f'"{key}" is required')
        return None
    if not isinstance(value, str):
        raise _Bad(f'"{key}" must be a string')
    if required and not allow_empty and not value.strip():
        raise _Bad(f'"{key}" must not be empty')
    if max_length is not None and len(value.strip()) > max_length:
        raise _Bad(f'"{key}" is longer than {max_length} characters')
    return value


def _choice(obj: dict, key: str, choices: dict, default: str | None = None) -> str:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if value not in choices:
        raise _Bad(f'"{key}" must be one of {", ".join(choices)} (got {_shown(value)})')
    return value


def _email(value: object, key: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _Bad(f'"{key}" must be an e-mail address')
    email = accounts.normalise_email(value)
    local, _, domain = email.partition("@")
    if not local or not domain or "@" in domain or any(ch.isspace() for ch in email) \
            or len(email) > 254:
        raise _Bad(f'"{key}" is not an e-mail address: {_shown(value)}')
    return email


def _datetime(obj: dict, key: str, local_zone: tzinfo) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(f'"{key}" must be an ISO 8601 date-time string')
    try:
        when = datetime.fromisoformat(value)
        return (when.replace(tzinfo=local_zone) if when.tzinfo is None else when).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Bad(f'"{key}" is not an ISO 8601 date-time: {_shown(value)}') from None


def _date(value: object, key: str) -> date:
    if not isinstance(value, str):
        raise _Bad(f'"{key}" must be a date string (YYYY-MM-DD)')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(f'"{key}" is not a date (YYYY-MM-DD): {_shown(value)}') from None


def _ref(obj: dict, key: str, *, nullable: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f'"{key}" must be a ref (a non-empty string)')
    if len(value) > MAX_REF_LENGTH:
        raise _Bad(f'"{key}" is longer than {MAX_REF_LENGTH} characters')
    return value


def _string_list(obj: dict, key: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Bad(f'"{key}" must be a list of strings')
    return value


def _column_length(name: str) -> int | None:
    return getattr(Post.__table__.c[name].type, "length", None)


def _kind_fields(kind: str, raw: object) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _Bad('"fields" must be an object')
    specs = {spec.name: spec for spec in KIND_FIELDS[kind]}
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise _Bad(f'unknown field "{_clip(unknown[0])}" for kind {kind} '
                   f'(known: {", ".join(specs)})')
    values = {}
    for name, value in raw.items():
        spec = specs[name]
        if value is not None:
            if spec.type == "bool" and not isinstance(value, bool):
                raise _Bad(f'"fields.{name}" must be true or false')
            if spec.type != "bool" and not isinstance(value, str):
                raise _Bad(f'"fields.{name}" must be a string')
            if spec.type == "date":
                _date(value, f"fields.{name}")
            if spec.type == "choice" and value not in spec.choices:
                raise _Bad(f'"fields.{name}" must be one of {", ".join(spec.choices)} '
                           f'(got {_shown(value)})')
            limit = (_column_length(name) if spec.type == "line"
                     else posts.MAX_TEXT if spec.type == "text" else None)
            if limit is not None and len(value) > limit:
                raise _Bad(f'"fields.{name}" is longer than {limit} characters')
        try:
            values[name] = posts.coerce_field(spec, value)
        except posts.PostError as error:
            raise _Bad(f'"fields.{name}": {error}') from None
    return values


# -- reading lines -------------------------------------------------------------------------------

class _Parser:
    def __init__(self) -> None:
        # A date-time without an offset is the site's local time (Europe/Amsterdam by default).
        self.zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
        self.users: list[_UserLine] = []
        self.items: list[_PostLine | _CommentLine | _LinkLine] = []
        self.user_emails: set[str] = set()
        self.post_refs: set[str] = set()
        self.comment_posts: dict[str, str] = {}  # comment ref -> post ref
        self.links: set[tuple[str, str, str]] = set()

    def feed(self, number: int, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad("not valid UTF-8") from None
        if number == 1:
            raw = raw.removeprefix("\ufeff")
        if not raw.strip():
            return
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            raise _Bad(f"not valid JSON ({error.msg}, column {error.colno})") from None
        except RecursionError:
            raise _Bad(f"nested deeper than {MAX_DEPTH} levels") from None
        if not isinstance(obj, dict):
            raise _Bad("not a JSON object")
        _check_values(obj)
        kind = obj.get("type")
        if kind not in _KEYS:
            raise _Bad(f'"type" must be one of {", ".join(_KEYS)} (got {_shown(kind)})')
        unknown = sorted(set(obj) - _KEYS[kind])
        if unknown:
            raise _Bad(f'unknown key "{_clip(unknown[0])}" in a {kind} line')
        for key in _REQUIRED[kind]:
            if key not in obj:
                raise _Bad(f'a {kind} line needs "{key}"')
        getattr(self, f"_{kind}")(number, obj)

    def _user(self, number: int, obj: dict) -> None:
        email = _email(obj["email"], "email")
        if email in self.user_emails:
            raise _Bad(f"user {email} appears twice")
        self.user_emails.add(email)
        name = _text(obj, "name", max_length=80)
        teams = _string_list(obj, "teams")
        for team in teams:
            if not team.strip() or len(team.strip()) > 120:
                raise _Bad('"teams" holds an empty or too long team name (at most 120)')
        self.users.append(_UserLine(
            number, email, name.strip() if name and name.strip() else None,
            _choice(obj, "kind", vocab.MEMBER_KINDS, default="resident"),
            _choice(obj, "role", vocab.ROLES, default="member"),
            _optional(_text(obj, "organisation", max_length=120)),
            _optional(_text(obj, "function", max_length=120)), teams))

    def _post(self, number: int, obj: dict) -> None:
        ref = _ref(obj, "ref")
        if ref in self.post_refs:
            raise _Bad(f"post ref {_shown(ref)} is used twice")
        kind = _choice(obj, "kind", KINDS)
        title = _text(obj, "title", required=True, allow_empty=False, max_length=200)
        tags = posts.parse_tags(_string_list(obj, "tags"))
        if not 1 <= len(tags) <= posts.MAX_TAGS:
            raise _Bad(f"a post needs 1 to {posts.MAX_TAGS} tags (got {len(tags)})")
        visibility = _choice(obj, "visibility", vocab.VISIBILITIES, default="public")
        team = _optional(_text(obj, "team", max_length=120))
        if visibility == "team" and team is None:
            raise _Bad('a post with visibility "team" needs a "team"')
        neighbourhood = _optional(_text(obj, "neighbourhood", max_length=80))
        city = _optional(_text(obj, "city", max_length=80))
        if city is not None and neighbourhood is None:
            raise _Bad('"city" needs a "neighbourhood"')
        owner = _email(obj.get("owner"), "owner", nullable=True)
        if owner is not None and kind != "friction":
            raise _Bad('only a friction has an "owner"')
        log = self._log(kind, obj.get("log"))
        draft = obj.get("draft", False)
        if not isinstance(draft, bool):
            raise _Bad('"draft" must be true or false')
        self.post_refs.add(ref)
        self.items.append(_PostLine(
            number, ref, kind, title.strip(), _text(obj, "body", max_length=posts.MAX_TEXT) or "",
            tags, neighbourhood, city,
            _email(obj["author"], "author", nullable=True), _datetime(obj, "created_at", self.zone),
            _kind_fields(kind, obj.get("fields")), log, visibility, team, owner, draft))

    def _log(self, kind: str, raw: object) -> list[_LogLine]:
        if raw is None or raw == []:
            return []
        if kind != "experiment":
            raise _Bad("only an experiment has a log")
        if not isinstance(raw, list):
            raise _Bad('"log" must be a list')
        entries = []
        for index, item in enumerate(raw, start=1):
            where = f"log entry {index}"
            if not isinstance(item, dict):
                raise _Bad(f"{where} must be an object")
            unknown = sorted(set(item) - _LOG_KEYS)
            if unknown:
                raise _Bad(f'{where}: unknown key "{_clip(unknown[0])}"')
            if "date" not in item or "body" not in item:
                raise _Bad(f'{where} needs "date" and "body"')
            try:
                body = _text(item, "body", required=True, allow_empty=False,
                             max_length=posts.MAX_TEXT)
                entries.append(_LogLine(_date(item["date"], "date"), _email(
                    item.get("author"), "author", nullable=True), body))
            except _Bad as error:
                raise _Bad(f"{where}: {error}") from None
        return entries

    def _comment(self, number: int, obj: dict) -> None:
        ref = _ref(obj, "ref")
        if ref in self.comment_posts:
            raise _Bad(f"comment ref {_shown(ref)} is used twice")
        post = _ref(obj, "post")
        if post not in self.post_refs:
            raise _Bad(f"unknown post ref {_shown(post)} "
                       "(a post must come before its comments)")
        parent = _ref(obj, "parent", nullable=True)
        if parent is not None:
            if parent not in self.comment_posts:
                raise _Bad(f"unknown parent comment ref {_shown(parent)} "
                           "(a comment must come before its replies)")
            if self.comment_posts[parent] != post:
                raise _Bad(f"parent comment {_shown(parent)} belongs to another post")
        deleted = obj.get("deleted", False)
        if not isinstance(deleted, bool):
            raise _Bad('"deleted" must be true or false')
        body = _text(obj, "body", max_length=discussion.MAX_COMMENT_LENGTH) or ""
        if not deleted and not body.strip():
            raise _Bad('"body" must not be empty (unless "deleted" is true)')
        self.comment_posts[ref] = post
        self.items.append(_CommentLine(
            number, ref, post, parent, _email(obj["author"], "author", nullable=True), body,
            _datetime(obj, "created_at", self.zone), deleted))

    def _link(self, number: int, obj: dict) -> None:
        source, target = _ref(obj, "from"), _ref(obj, "to")
        for ref in (source, target):
            if ref not in self.post_refs:
                raise _Bad(f"unknown post ref {_shown(ref)} "
                           "(posts must come before their links)")
        if source == target:
            raise _Bad("a post cannot link to itself")
        relation = _choice(obj, "relation", vocab.RELATIONS)
        if (source, target, relation) in self.links:
            raise _Bad(f"the link {source} {relation} {target} appears twice")
        self.links.add((source, target, relation))
        self.items.append(_LinkLine(number, source, target, relation))


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


# -- import --------------------------------------------------------------------------------------

def import_lines(lines: Iterable[str | bytes]) -> ImportReport:
    """Check every line, then create users, posts, comments and links. Raises ImportLineError
    (line number and reason) and leaves the session as it was when any line is bad."""
    parser = _Parser()
    number = 0
    for number, raw in enumerate(lines, start=1):
        try:
            parser.feed(number, raw)
        except _Bad as error:
            raise ImportLineError(number, str(error)) from None
    if not parser.users and not parser.items:
        raise ImportLineError(max(number, 1), "the file holds no lines to import")
    return _Writer(parser).run()


class _Writer:
    def __init__(self, parser: _Parser) -> None:
        self.parser = parser
        self.report = ImportReport()
        self.users: dict[str, User] = {}
        self.posts: dict[str, Post] = {}
        self.comments: dict[str, Comment] = {}
        self.deleted: list[tuple[int, Comment]] = []
        self.line = 0

    def run(self) -> ImportReport:
        try:
            with db.session.begin_nested():
                for user_line in self.parser.users:
                    self.line = user_line.line
                    self._user(user_line)
                for item in self.parser.items:
                    self.line = item.line
                    self._check_privacy(item)
                    if isinstance(item, _PostLine):
                        self._post(item)
                    elif isinstance(item, _CommentLine):
                        self._comment(item)
                    else:
                        self._link(item)
                # Deleted last: replies to a deleted comment are refused, and the file holds
                # the replies it had before it was deleted.
                for line, comment in self.deleted:
                    self.line = line
                    discussion.delete_comment(comment)
        except (posts.PostError, discussion.CommentError) as error:
            with force_locale("en"):  # messages may be lazy translations; outside a request
                reason = str(error)
            raise ImportLineError(self.line, reason) from None
        except _Bad as error:
            raise ImportLineError(self.line, str(error)) from None
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise ImportLineError(self.line, f"the database refused it: {reason}") from None
        return self.report

    def _check_privacy(self, item) -> None:
        if isinstance(item, _PostLine):
            where = f"post {item.ref}"
            texts = {"title": item.title, "body": item.body}
            texts.update({name: value for name, value in item.fields.items()
                          if isinstance(value, str)})
            texts.update({f"log entry {n}": entry.body for n, entry in enumerate(item.log, 1)})
        elif isinstance(item, _CommentLine):
            where, texts = f"comment {item.ref}", {"body": item.body}
        else:
            return
        found = privacy.report(texts)
        if found:
            self.report.privacy.append(f"Line {item.line} ({where}): {'; '.join(found)}")

    def _user(self, line: _UserLine) -> None:
        user = accounts.get_user_by_email(line.email)
        if user is None:
            user = accounts.create_user(
                line.email, _unique_name(line.name or _name_from_email(line.email)), None,
                kind=line.kind, role=line.role, organisation=line.organisation,
                function=line.function)
            self.report.users += 1
            self.report.created_users.append(user)
        else:
            self.report.reused_users += 1
        for name in line.teams:
            team = accounts.get_or_create_team(name)
            if team not in user.teams:
                user.teams.append(team)
        self.users[line.email] = user

    def _author(self, email: str | None) -> User | None:
        """A user by e-mail: from this file, the database, or created without a password."""
        if email is None:
            return None
        user = self.users.get(email) or accounts.get_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, _unique_name(_name_from_email(email)), None)
            self.report.users += 1
            self.report.created_users.append(user)
        elif email not in self.users:
            self.report.reused_users += 1
        self.users[email] = user
        return user

    def _post(self, line: _PostLine) -> None:
        # Checked here, just before the services store the text: the rendering is cached, so
        # storing it does not render it again.
        _renderable(line.body, "body")
        for name, value in line.fields.items():
            if isinstance(value, str):
                _renderable(value, f"fields.{name}")
        author = self._author(line.author)
        hood = (posts.get_or_create_neighbourhood(line.neighbourhood, line.city)
                if line.neighbourhood else None)
        team = accounts.get_or_create_team(line.team) if line.team else None
        data = posts.PostInput(
            kind=line.kind, title=line.title, body=line.body, tags=line.tags,
            neighbourhood_id=hood.id if hood else None, team_id=team.id if team else None,
            visibility=line.visibility, fields=line.fields)
        # The form's rule "only post for a team you belong to" does not hold for history: the
        # author may have left the team since. Such a post is created without an editor and
        # then given its author.
        may_post_for_team = author is None or can_post_for_team(author, team.id if team else None)
        post = posts.create_post(author if may_post_for_team else None, data,
                                 created_at=line.created_at, imported=True, draft=line.draft)
        if not may_post_for_team:
            post.author = author
            db.session.execute(update(PostRevision).where(PostRevision.post_id == post.id)
                               .values(editor_id=author.id))
        if line.owner is not None:
            post.owner = self._author(line.owner)
        for index, entry in enumerate(line.log, start=1):
            _renderable(entry.body, f"log entry {index}: body")
            posts.add_log_entry(post, self._author(entry.author), entry.body, entry.date,
                                created_at=datetime.combine(entry.date, time(12), UTC))
        self.posts[line.ref] = post
        self.report.posts += 1

    def _comment(self, line: _CommentLine) -> None:
        _renderable(line.body, "body")
        parent = self.comments[line.parent] if line.parent is not None else None
        comment = discussion.add_comment(self.posts[line.post], self._author(line.author),
                                         line.body, parent, created_at=line.created_at,
                                         imported=True)
        if line.deleted:
            self.deleted.append((line.line, comment))
        self.comments[line.ref] = comment
        self.report.comments += 1

    def _link(self, line: _LinkLine) -> None:
        posts.add_link(self.posts[line.source], self.posts[line.target], line.relation, None)
        self.report.links += 1


def sync_search_index() -> bool:
    """After the import's commit: make the imported posts searchable before the command
    returns (a CLI process may exit before the Whoosh engine's background drain finishes)."""
    return get_backend().wait(120.0)


def _name_from_email(email: str) -> str:
    return email.partition("@")[0][:80]


def _unique_name(name: str) -> str:
    """Display names are unique (case-insensitive): add a number when the name is taken."""
    name = name.strip()[:80] or "lid"
    candidate, n = name, 2
    while accounts.display_name_taken(candidate):
        suffix = f" {n}"
        candidate, n = name[:80 - len(suffix)] + suffix, n + 1
    return candidate


# -- export --------------------------------------------------------------------------------------

def export_lines() -> Iterator[str]:
    """The whole instance as JSONL lines (without newlines). Never contains password hashes."""
    for record in export_records():
        yield json.dumps(record, ensure_ascii=False)


def export_records() -> Iterator[dict]:
    users = db.session.scalars(select(User).where(User.deleted_at.is_(None))  # not tombstones
                               .options(selectinload(User.teams)).order_by(User.id))
    for user in users:
        yield _user_record(user)
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Post).where(Post.id > last_id).order_by(Post.id).limit(EXPORT_BATCH)
            .options(selectinload(Post.author), selectinload(Post.owner),
                     selectinload(Post.tags), selectinload(Post.neighbourhood),
                     selectinload(Post.team),
                     selectinload(Post.log_entries).selectinload(LogEntry.author))))
        if not batch:
            break
        last_id = batch[-1].id
        threads = _threads([post.id for post in batch])
        for post in batch:
            yield _post_record(post)
            for comment in threads.get(post.id, ()):
                yield _comment_record(comment)
    links = db.session.scalars(select(PostLink).order_by(PostLink.id))
    for link in links:
        yield {"type": "link", "from": f"post-{link.source_id}", "to": f"post-{link.target_id}",
               "relation": link.relation}


def _user_record(user: User) -> dict:
    return {"type": "user", "email": user.email, "name": user.name, "kind": user.kind,
            "role": user.role, "organisation": user.organisation, "function": user.function,
            "teams": [team.name for team in user.teams]}


def _post_record(post: Post) -> dict:
    fields = {}
    for spec in KIND_FIELDS[post.kind]:
        value = getattr(post, spec.name)
        fields[spec.name] = value.isoformat() if isinstance(value, date) else value
    record = {
        "type": "post", "ref": f"post-{post.id}", "kind": post.kind, "title": post.title,
        "body": post.body, "tags": [tag.name for tag in post.tags],
        "neighbourhood": post.neighbourhood.name if post.neighbourhood else None,
        "city": post.neighbourhood.city if post.neighbourhood else None,
        "team": post.team.name if post.team else None, "visibility": post.visibility,
        "author": post.author.email if post.author else None,
        "created_at": post.created_at.isoformat(), "fields": fields,
        "log": [{"date": entry.date.isoformat(),
                 "author": entry.author.email if entry.author else None, "body": entry.body}
                for entry in post.log_entries],
    }
    if post.kind == "friction":
        record["owner"] = post.owner.email if post.owner else None
    if post.is_draft:
        record["draft"] = True
    return record


def _threads(post_ids: list[int]) -> dict[int, list[Comment]]:
    """Each post's comments in thread order (every parent before its replies), one query."""
    comments = db.session.scalars(
        select(Comment).where(Comment.post_id.in_(post_ids))
        .options(selectinload(Comment.author)).order_by(Comment.created_at, Comment.id)).all()
    replies: dict[int | None, list[Comment]] = {}
    for comment in comments:
        replies.setdefault(comment.parent_id, []).append(comment)
    ordered: dict[int, list[Comment]] = {}

    stack = list(reversed(replies.get(None, [])))
    while stack:
        comment = stack.pop()
        ordered.setdefault(comment.post_id, []).append(comment)
        stack.extend(reversed(replies.get(comment.id, [])))
    return ordered


def _comment_record(comment: Comment) -> dict:
    record = {"type": "comment", "ref": f"comment-{comment.id}", "post": f"post-{comment.post_id}",
              "parent": f"comment-{comment.parent_id}" if comment.parent_id else None,
              "author": comment.author.email if comment.author else None,
              "body": comment.body, "created_at": comment.created_at.isoformat()}
    if comment.is_deleted:
        record["deleted"] = True
    return record
