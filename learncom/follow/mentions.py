"""@mentions in comments, and the name look-up behind the comment box's autocomplete.

The rule: an ``@`` at the start of the text or after a character that is not a letter, digit or
one of ``. _ - + @`` starts a mention (so ``a@b.nl`` is an e-mail address, not a mention). What
follows the ``@`` is compared, case-insensitively, with the display names of active members; the
longest name that matches and is not followed directly by a letter or digit wins. So with members
"Anke" and "Anke Siegers", "@Anke Siegers," mentions Anke Siegers, "@anke, zie je dit?" mentions
Anke, and "@Ankie" mentions no one. Display names are unique, so a mention is never ambiguous.
"""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import func, or_, select

from learncom.accounts.models import User
from learncom.extensions import db

MAX_SUGGESTIONS = 8
MIN_QUERY = 2

# An "@" that starts a mention, and the first run of word characters after it (to find
# candidate names in one query).
_MENTION_START = re.compile(r"(?:^|(?<=[^\w.+@-]))@(?=(\w+))", re.UNICODE)


def _candidates(prefixes: set[str]) -> list[User]:
    if not prefixes:
        return []
    conditions = []
    for prefix in prefixes:
        conditions.append(func.lower(User.name).startswith(prefix.lower(), autoescape=True))
        conditions.append(User.name.startswith(prefix, autoescape=True))
    return list(db.session.scalars(select(User).where(User.active.is_(True), or_(*conditions))))


def mentioned_users(text: str | None) -> list[User]:
    """The active members a text mentions, in order of first mention, each once."""
    if not text or "@" not in text:
        return []
    starts = [(match.end(), match.group(1)) for match in _MENTION_START.finditer(text)]
    if not starts:
        return []
    users = _candidates({prefix for _pos, prefix in starts})
    by_length = sorted(users, key=lambda u: len(u.name), reverse=True)
    found: list[User] = []
    for position, _prefix in starts:
        for user in by_length:
            name = user.name
            piece = text[position:position + len(name)]
            if piece.casefold() != name.casefold():
                continue
            following = text[position + len(name):position + len(name) + 1]
            if following and following.isalnum():
                continue
            if user not in found:
                found.append(user)
            break
    return found


def suggest_names(query: str | None) -> list[str]:
    """Up to 8 names of active members for the autocomplete: names starting with the query
    first, then names with a word starting with it. Names only, never e-mail addresses."""
    needle = (query or "").strip().lstrip("@").strip()[:80]
    if len(needle) < MIN_QUERY:
        return []
    lowered = needle.lower()
    starts = func.lower(User.name).startswith(lowered, autoescape=True)
    word_starts = func.lower(User.name).contains(" " + lowered, autoescape=True)
    rows = db.session.execute(
        select(User.name, starts.label("first")).where(User.active.is_(True),
                                                      or_(starts, word_starts))
        .order_by(starts.desc(), func.lower(User.name)).limit(MAX_SUGGESTIONS))
    return [name for name, _first in rows]


def mention_links(text: str | None) -> dict[str, str]:
    """{"@Name": the member's page} for every member the text mentions, as typed (so the link
    reads as the writer wrote it); registered with learncom.markdown, so comments are stored
    with their mentions as links."""
    users = mentioned_users(text)
    if not users:
        return {}
    urls = current_app.url_map.bind("")
    links = {}
    for match in _MENTION_START.finditer(text or ""):
        for user in users:
            piece = text[match.end():match.end() + len(user.name)]
            if piece.casefold() == user.name.casefold():
                links[f"@{piece}"] = urls.build("accounts.member", {"user_id": user.id})
    return links
