"""A member's reactions in "my data" (event ``member.exporting``). When the account is
deleted the reactions stay, pointing at the emptied account: the counts stay right and nobody
can tell whose they were."""

from __future__ import annotations

from sqlalchemy import select

from learncom import events
from learncom.extensions import db
from learncom.privacy.mydata import iso
from learncom.reactions.models import Reaction


@events.subscribe("member.exporting")
def export(user, data, **_kw) -> None:
    reactions = db.session.scalars(select(Reaction).where(Reaction.user_id == user.id)
                                   .order_by(Reaction.created_at, Reaction.id))
    data["reactions"] = [{"kind": r.kind, "post_id": r.post_id, "comment_id": r.comment_id,
                          "created_at": iso(r.created_at)} for r in reactions]
