from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from learncom import vocab
from learncom.discussion import services as discussion_services
from learncom.extensions import db
from learncom.posts import services
from learncom.posts.models import Neighbourhood
from learncom.web import page_arg

bp = Blueprint("posts", __name__)


@bp.get("/")
def home():
    recent = {kind: db.session.scalars(services.filtered_posts(current_user, kind=kind).limit(5)).all()
              for kind in vocab.POST_KINDS}
    return render_template("posts/home.html", recent=recent)


@bp.get("/<any(experimenten, fricties, lessen):slug>")
def list_kind(slug: str):
    kind = vocab.SLUG_KINDS[slug]
    page = db.paginate(services.filtered_posts(current_user, kind=kind), page=page_arg(),
                       per_page=20, error_out=False)
    return render_template("posts/list.html", kind=kind, page=page,
                           counts=services.comment_counts([p.id for p in page.items]))


@bp.get("/posts/<int:post_id>")
def show(post_id: int):
    post = services.get_visible_post(post_id, current_user)
    if post is None:
        abort(404)
    return render_template("posts/show.html", post=post,
                           links=services.links_for(post, current_user),
                           thread=discussion_services.thread_for(post))


@bp.get("/tags")
def tags():
    return render_template("posts/tags.html", tags=services.tag_counts(current_user))


@bp.get("/tags/<name>")
def tag(name: str):
    page = db.paginate(services.filtered_posts(current_user, tag=name), page=page_arg(),
                       per_page=20, error_out=False)
    return render_template("posts/tag.html", tag=name, page=page,
                           counts=services.comment_counts([p.id for p in page.items]))


@bp.get("/wijken")
def neighbourhoods():
    return render_template("posts/neighbourhoods.html",
                           neighbourhoods=services.neighbourhood_counts(current_user))


@bp.get("/wijken/<slug>")
def neighbourhood(slug: str):
    hood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == slug))
    if hood is None:
        abort(404)
    page = db.paginate(services.filtered_posts(current_user, neighbourhood_id=hood.id),
                       page=page_arg(), per_page=20, error_out=False)
    return render_template("posts/neighbourhood.html", neighbourhood=hood, page=page,
                           counts=services.comment_counts([p.id for p in page.items]))
