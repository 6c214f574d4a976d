"""Lesson curation (queue, curated mark, featured lessons) and promotion of comments and
threads into new lessons or frictions. See views.py and services.py."""


def init_app(app) -> None:
    from learncom import slots
    from learncom.curation import services
    from learncom.curation.views import bp

    app.register_blueprint(bp)
    slots.add_page_context("home", _home)
    slots.add_count("curation", services.queue_size_query)
    slots.add_template("nav.main", "curation/_nav.html")
    slots.add_template("home.top", "curation/_featured.html")
    slots.add_template("post.actions", "curation/_thread_promote.html")
    slots.add_template("post.after_body", "curation/_panel.html")
    slots.add_template("comment.meta", "curation/_comment_promoted.html")
    slots.add_template("comment.actions", "curation/_comment_promote.html")
    slots.add_post_context(_post_context)


def _home(viewer) -> dict:
    """The home page's featured lessons, shown as cards above the newest posts."""
    from learncom.curation import services

    featured = services.featured_lessons(viewer)
    return {"featured_lessons": featured, "cards": featured}


def _post_context(post, viewer, comments) -> dict:
    """What the post page shows of curation and promotion: one statement for the whole
    thread."""
    from learncom.curation import services
    from learncom.curation.forms import CurateForm, RequestChangesForm
    from learncom.permissions import can_curate, can_view_post

    by_comment: dict[int, list] = {}
    from_thread = []
    drafted, provenance = services.promotions_around(post, viewer)
    for promotion, promoted in drafted:
        if promotion.source_comment_id is not None:
            by_comment.setdefault(promotion.source_comment_id, []).append(promoted)
        else:
            from_thread.append(promoted)
    source = provenance.source_post if provenance is not None else None
    allowed = can_curate(viewer)
    context = {
        "curation_by_comment": by_comment,
        "curation_from_thread": from_thread,
        # Shown only when the viewer may see where the post came from.
        "curation_provenance": (provenance if source is not None and can_view_post(viewer, source)
                                else None),
        "curation_allowed": allowed,
    }
    if allowed and post.kind == "lesson":
        context["curation_curate_form"] = CurateForm(formdata=None, prefix="curate",
                                                     data={"note": post.curation_note})
        context["curation_changes_form"] = RequestChangesForm(formdata=None, prefix="changes")
    return context
