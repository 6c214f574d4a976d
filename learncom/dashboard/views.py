"""The coordinators' dashboard: figures and charts about the change process."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from learncom.dashboard import charts, services
from learncom.permissions import can_view_dashboard, require
from learncom.posts import services as post_services

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def index():
    require(can_view_dashboard)
    filters = services.parse_filters(request.args)
    data = services.dashboard(current_user, filters)
    return render_template(
        "dashboard/index.html", data=data, filters=filters, periods=services.PERIODS,
        neighbourhoods=post_services.all_neighbourhoods(), charts=charts,
        active_days=services.ACTIVE_DAYS, curation_queue_url=_curation_queue_url())


def _curation_queue_url() -> str | None:
    """The curation queue's address, when that feature is installed."""
    from werkzeug.routing import BuildError

    try:
        return url_for("curation.queue")
    except BuildError:
        return None
