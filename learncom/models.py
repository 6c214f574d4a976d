"""Imports every feature's models so the metadata (and Alembic) sees all tables."""

from learncom.accounts.models import Team, User, team_members  # noqa: F401
from learncom.discussion.models import Comment  # noqa: F401
from learncom.mail import OutboxMessage  # noqa: F401
from learncom.posts.models import (  # noqa: F401
    LogEntry,
    Neighbourhood,
    Post,
    PostLink,
    PostRevision,
    Tag,
    post_tags,
)
from learncom.search.models import IndexQueue  # noqa: F401
