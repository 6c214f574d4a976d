"""Load the demo data through the JSONL importer, only into a database without posts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from learncom.accounts.models import User
from learncom.accounts.services import hash_password
from learncom.demo.enrich import enrich
from learncom.extensions import db
from learncom.portability.services import ImportReport, import_lines
from learncom.posts.models import Post
from learncom.vocab import MEMBER_KINDS

DEMO_FILE = Path(__file__).with_name("demo.jsonl")
DEFAULT_PASSWORD = "learncom-demo"  # noqa: S105  (a documented local demo password)


@dataclass
class DemoReport:
    loaded: bool
    imported: ImportReport | None = None
    # Accounts worth trying first: (their role or kind, the account).
    accounts: list[tuple[str, User]] = field(default_factory=list)


def load_demo(password: str = DEFAULT_PASSWORD, path: Path | None = None) -> DemoReport:
    """Import the demo file and give every account it created the shared demo password.

    Does nothing when the database already holds posts, so it is safe to call on every start;
    the report then still names the demo accounts to try (when they are there).
    Raises ImportLineError when the file is broken; the caller commits or rolls back."""
    if db.session.scalar(select(Post.id).limit(1)) is not None:
        return DemoReport(loaded=False, accounts=_accounts_to_try(_demo_users(path)))
    with (path or DEMO_FILE).open("rb") as lines:
        report = import_lines(lines)
    shared_hash = hash_password(password)  # once: argon2 is slow on purpose
    for user in report.created_users:
        user.password_hash = shared_hash
    db.session.flush()
    enrich()
    return DemoReport(loaded=True, imported=report, accounts=_accounts_to_try(report.created_users))


def _demo_users(path: Path | None = None) -> list[User]:
    """The accounts of the demo file that are in the database, in the file's order."""
    emails = []
    with (path or DEMO_FILE).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("type") == "user":
                emails.append(record["email"])
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    return [found[email] for email in emails if email in found]


def _accounts_to_try(users: list[User]) -> list[tuple[str, User]]:
    """An admin, a coordinator and a member of every kind; members in a team where the kind
    has one (to try team-only posts), so several share a team."""
    members = [u for u in users if u.role == "member" and u.active]
    picks = [
        ("admin", next((u for u in users if u.role == "admin"), None)),
        ("coordinator", next((u for u in users if u.role == "coordinator"), None)),
    ]
    for kind in MEMBER_KINDS:
        of_kind = [u for u in members if u.kind == kind]
        in_team = [u for u in of_kind if u.teams]
        picks.append((kind.replace("_", " "), (in_team or of_kind or [None])[0]))
    return [(label, user) for label, user in picks if user is not None]
