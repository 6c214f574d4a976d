"""The audit log page: admins only (coordinators get a 403)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from learncom.audit import services
from learncom.extensions import db
from learncom.permissions import can_read_audit_log, require
from learncom.web import page_arg

bp = Blueprint("audit", __name__)


def _actor_arg() -> int | None:
    raw = request.args.get("actor", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.get("/beheer/auditlog")
@login_required
def log():
    require(can_read_audit_log)
    actions = services.action_choices()
    action = request.args.get("action", "")
    action = action if action in dict(actions) else None
    actors = services.actor_choices()
    actor_id = _actor_arg()
    actor_id = actor_id if actor_id in {user.id for user in actors} else None
    page = db.paginate(services.log_query(action=action, actor_id=actor_id), page=page_arg(),
                       per_page=int(current_app.config.get("PER_PAGE", 20)), error_out=False)
    return render_template("audit/log.html", page=page,
                           rows=services.present(page.items, current_user),
                           actions=actions, actors=actors, action=action, actor_id=actor_id)
