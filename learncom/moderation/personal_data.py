"""The flags a member made, in "my data"; when the account is deleted with everything in it,
their explanations go too (events ``member.exporting`` and ``member.erasing``). The flags
themselves stay, without a name: they are part of the moderators' record."""

from __future__ import annotations

from sqlalchemy import select, update

from learncom import events
from learncom.extensions import db
from learncom.moderation.models import Flag
from learncom.privacy.mydata import iso


@events.subscribe("member.exporting")
def export(user, data, **_kw) -> None:
    flags = db.session.scalars(select(Flag).where(Flag.user_id == user.id)
                               .order_by(Flag.created_at, Flag.id))
    data["flags"] = [{"post_id": f.post_id, "comment_id": f.comment_id, "reason": f.reason,
                      "explanation": f.explanation, "created_at": iso(f.created_at),
                      "resolution": f.resolution, "resolved_at": iso(f.resolved_at)}
                     for f in flags]


@events.subscribe("member.erasing")
def erase(user, mode, report, **_kw) -> None:
    if mode == "remove":
        db.session.execute(update(Flag).where(Flag.user_id == user.id).values(explanation=None)
                           .execution_options(synchronize_session=False))
        report.tables.add("flags")
