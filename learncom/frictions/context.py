"""What the post page of a friction shows: its timeline events (for the thread), how long it has
been open, and for coordinators the status form."""

from __future__ import annotations

from learncom.frictions import services
from learncom.frictions.forms import StatusForm
from learncom.permissions import can_change_friction_status


def post_context(post, viewer, comments) -> dict:
    if post.kind != "friction":
        return {}
    changes = services.status_changes_for(post)
    context = {
        "status_changes": changes,
        "friction_days_open": services.days_open(post, services.closed_at_from(changes)),
        "status_form": None,
    }
    if can_change_friction_status(viewer, post):
        context["status_form"] = StatusForm(formdata=None, post=post,
                                            coordinators=services.coordinators())
    return context
