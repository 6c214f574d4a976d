"""E-mail digests of notifications: `flask learncom send-digests` (run it from cron).

Each member chooses off, daily or weekly (``User.email_digest``). A run mails every member who
is due (no digest yet, or the last one at least a day / a week ago, less a few hours so that a
cron job that runs a little earlier than last time still counts) one message listing their unread
notifications that were not mailed before, and marks them mailed. Running it twice sends nothing
new. Deactivated members and members with nothing new get no mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import or_, select

from learncom.accounts.models import User
from learncom.config import SUPPORTED_LOCALES
from learncom.dbtypes import utcnow
from learncom.extensions import db
from learncom.follow import services
from learncom.follow.models import Notification
from learncom.mail import Message, send_mail
from learncom.rendered import excerpt

FREQUENCIES = ("daily", "weekly")
CHOICES = ("off", "daily", "weekly")
#: How long after the last digest a member is due again.
INTERVALS = {"daily": timedelta(hours=20), "weekly": timedelta(days=6, hours=20)}
#: At most this many notifications are listed in one mail; the rest are counted.
MAX_ITEMS = 50


def set_digest_frequency(user: User, frequency: str) -> None:
    if frequency not in CHOICES:
        raise ValueError(frequency)
    user.email_digest = frequency
    db.session.flush()


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured site address (LEARNCOM_SITE_URL; see `learncom.web.App`),
    inside a request or in the CLI alike."""
    return url_for(endpoint, _external=True, **values)


def due_members(frequencies: tuple[str, ...], now: datetime) -> list[User]:
    conditions = [(User.email_digest == frequency)
                  & or_(User.last_digest_at.is_(None),
                        User.last_digest_at <= now - INTERVALS[frequency])
                  for frequency in frequencies if frequency in INTERVALS]
    if not conditions:
        return []
    return list(db.session.scalars(select(User).where(User.active.is_(True), or_(*conditions))
                                   .order_by(User.id)))


def pending_for(user: User) -> list[Notification]:
    query = services.notifications_query(user).where(Notification.read_at.is_(None),
                                                     Notification.emailed_at.is_(None))
    return list(db.session.scalars(query))


def _item_url(notification: Notification) -> str:
    anchor = services.target_anchor(notification)
    values = {"post_id": notification.post_id}
    if anchor:
        values["_anchor"] = anchor
    return external_url("posts.show", **values)


def compose(user: User, notifications: list[Notification]) -> Message:
    """The digest mail, in the member's language (Dutch unless they chose English)."""
    locale = user.locale if user.locale in SUPPORTED_LOCALES else "nl"
    with force_locale(locale):
        site = current_app.config.get("SITE_NAME", "learncom")
        count = len(notifications)
        subject = ngettext("%(num)d new notification on %(site)s",
                           "%(num)d new notifications on %(site)s", count, site=site)
        lines = [_("Hello %(name)s,", name=user.name), "",
                 ngettext("This happened on %(site)s since your last e-mail:",
                          "These things happened on %(site)s since your last e-mail:",
                          count, site=site), ""]
        for notification in notifications[:MAX_ITEMS]:
            lines.append(f"- {services.describe(notification)}")
            if notification.comment is not None and notification.comment.body:
                lines.append(f"  “{excerpt(notification.comment, 160)}”")
            if notification.post_id is not None:
                lines.append(f"  {_item_url(notification)}")
            lines.append("")
        if count > MAX_ITEMS:
            lines += [ngettext("And %(num)d more.", "And %(num)d more.", count - MAX_ITEMS), ""]
        lines += [_("See all your notifications: %(url)s",
                    url=external_url("follow.notifications")),
                  _("Fewer or no e-mails? Change it here: %(url)s",
                    url=external_url("follow.settings"))]
        return Message(to=user.email, subject=subject, body="\n".join(lines))


@dataclass
class DigestReport:
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


def send_digests(frequencies: tuple[str, ...] = FREQUENCIES, *,
                 now: datetime | None = None) -> DigestReport:
    """Queue every due member's digest in the outbox (delivered after commit, with retries; see
    learncom/mail.py) and mark their notifications mailed, one commit per member."""
    now = now or utcnow()
    report = DigestReport()
    member_ids = [user.id for user in due_members(frequencies, now)]
    for user_id in member_ids:
        user = db.session.get(User, user_id)
        pending = pending_for(user)
        if not pending:
            report.skipped += 1
            continue
        try:
            message = compose(user, pending)
            send_mail(message.to, message.subject, message.body)
            for notification in pending:
                notification.emailed_at = now
            user.last_digest_at = now
            db.session.flush()
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - report it and go on with the next member
            db.session.rollback()
            current_app.logger.warning("Digest for member %s failed: %s", user_id, error)
            report.failed.append(f"{user_id}: {error}")
            continue
        report.sent += 1
    return report
