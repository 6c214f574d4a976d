"""What posts add to other features' pages (registered with learncom.slots in init_app): the
posts on a member's page and on a team's page."""

from __future__ import annotations

from flask import current_app

from learncom.posts import services
from learncom.posts.models import Post
from learncom.web import page_arg


def _page(query):
    return services.paginate_posts(query, page_arg(), int(current_app.config["PER_PAGE"]))


def member(member, viewer) -> dict:
    return {"member_posts": _page(services.filtered_posts(viewer, author_id=member.id))}


def team(team, viewer) -> dict:
    return {"team_posts": _page(services.filtered_posts(viewer).where(Post.team_id == team.id))}
