"""Imports every feature's models so the metadata (and Alembic) sees all tables."""

from learncom.accounts.models import (  # noqa: F401
    FailedLogin,
    LoginSession,
    PendingRegistration,
    Team,
    User,
    team_members,
)
from learncom.applications.models import LessonApplication  # noqa: F401
from learncom.audit.models import AuditEvent  # noqa: F401
from learncom.bundles.models import Bundle, BundleItem  # noqa: F401
from learncom.curation.models import Promotion  # noqa: F401
from learncom.discussion.models import Comment  # noqa: F401
from learncom.follow.models import Follow, Notification  # noqa: F401
from learncom.frictions.models import StatusChange  # noqa: F401
from learncom.guard.models import PrivacyOverride  # noqa: F401
from learncom.mail import OutboxMessage  # noqa: F401
from learncom.moderation.models import Flag  # noqa: F401
from learncom.posts.models import (  # noqa: F401
    LogEntry,
    Neighbourhood,
    Post,
    PostLink,
    PostRevision,
    Tag,
    post_tags,
)
from learncom.reactions.models import Reaction  # noqa: F401
from learncom.search.models import IndexQueue  # noqa: F401
