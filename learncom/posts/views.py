"""Post pages: home, lists, the post page, new/edit/delete/history, log, links, tags, wijken.
Views stay thin: they read the request, call services, commit once and render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learncom import slots
from learncom.accounts.models import Team
from learncom.errors import NotFoundWithReason
from learncom.extensions import db
from learncom.guard import services as privacy
from learncom.permissions import (
    can_change_log_entry,
    can_coordinate_posts,
    can_edit_post,
    can_log,
    can_manage_neighbourhoods,
    can_redact_revision,
    require,
)
from learncom.posts import filters, kinds, services
from learncom.posts import history as post_history
from learncom.posts.forms import (
    LinkForm,
    LogEntryForm,
    NeighbourhoodForm,
    post_form_class,
    post_form_data,
)
from learncom.posts.kinds import BY_NEW_SLUG, BY_SLUG, KINDS, SLUG_CONVERTER
from learncom.web import keep_refused_form, page_arg, restore_form

bp = Blueprint("posts", __name__)
slots.add_count("drafts", services.draft_count_query)

@bp.app_context_processor
def _post_helpers():
    return {"kinds": KINDS}


@bp.get("/kinds.css")
def kinds_css():
    """Each kind's colour (posts/kinds.py) as CSS: a new kind needs no stylesheet edit."""
    response = current_app.response_class(kinds.css(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


def _paginate(query):
    return services.paginate_posts(query, page_arg(), _per_page())


def _visible_or_404(post_id: int, *, drafts: bool = False):
    post = services.get_visible_post(post_id, current_user, drafts=drafts)
    if post is None:
        abort(404)
    return post


def _saving_draft() -> bool:
    """Which button sent the post form: "Save as draft" or "Publish"."""
    return request.form.get("action") == "draft"


# -- home and lists ----------------------------------------------------------------------------

@bp.get("/")
def home():
    lists = services.home_lists(current_user)
    lessons = lists.pop("lesson")
    context = slots.page_context("home", viewer=current_user)
    shown = [post for posts in (*lists.values(), lessons, context["cards"]) for post in posts]
    return render_template("posts/home.html", recent=lists, lessons=lessons,
                           extras=slots.card_context(shown), **context)


@bp.get(f"/<{SLUG_CONVERTER}:slug>")
def list_kind(slug: str):
    kind = BY_SLUG[slug]
    sorts = services.list_sorts(kind)
    parsed = filters.parse(request.args, filters.TAG, filters.NEIGHBOURHOOD,
                           filters.status_of(kind), filters.AUTHOR_KIND, filters.PAGE,
                           filters.one_of("sort", _("Order"), sorts))
    services.visible_hood_filter(parsed, current_user)
    active = {name: value for name, value in parsed.values.items()
              if name not in ("page", "sort")}
    sort = parsed.get("sort", "newest")
    hood = active.get("neighbourhood")
    query = services.filtered_posts(
        current_user, kind=kind, tag=active.get("tag"),
        neighbourhood_id=hood.id if hood else None, status=active.get("status"),
        author_kind=active.get("author_kind"), sort=sort)
    page = services.paginate_posts(query, parsed.get("page", 1), _per_page())
    return render_template("posts/list.html", kind=kind, slug=slug, page=page, filters=active,
                           filter_errors=parsed.errors, sort=sort, sorts=sorts,
                           neighbourhoods=services.all_neighbourhoods())


# -- the post page -----------------------------------------------------------------------------

def _render_post(post, *, log_form=None, log_guard=None):
    can_edit = can_edit_post(current_user, post)
    can_add_log = can_log(current_user, post)
    # A refused log entry or link comes back here (post/redirect/get) with what was typed.
    if log_form is None:
        log_form = restore_form(LogEntryForm, prefix="log") if can_add_log else None
    link_form = restore_form(LinkForm, prefix="link") if can_edit else None
    # The discussion and the features around it (a draft has neither yet): learncom/slots.py.
    extra = slots.post_context(post, current_user)
    return render_template(
        "posts/show.html", post=post, fields=services.field_rows(post),
        links=services.links_for(post, current_user), **extra,
        edited=services.was_edited(post),
        can_edit=can_edit, can_log=can_add_log, log_form=log_form, link_form=link_form,
        log_guard=log_guard,
    )


@bp.get("/posts/<int:post_id>")
def show(post_id: int):
    post = services.get_post_page(post_id, current_user)
    if post is None:
        if services.hidden_by_moderation_for(post_id, current_user):
            # Someone who followed a link to it learns why it is gone, not who wrote it.
            raise NotFoundWithReason(_("This post is hidden by moderation."))
        abort(404)
    return _render_post(post)


@bp.post("/posts/<int:post_id>/logboek")
@login_required
def add_log(post_id: int):
    post = _visible_or_404(post_id, drafts=True)
    require(can_log, post)
    form = LogEntryForm(prefix="log")
    if not form.validate_on_submit():
        return _refused(form, post)
    guard = privacy.check(form.text)
    if guard.blocked:
        # What looks like a client's personal data: the page comes back with the entry as typed
        # and the matches named (nothing is saved; no redirect, the choice is on this page).
        return _render_post(post, log_form=form, log_guard=guard)
    entry = services.add_log_entry(post, current_user, form.text.data, form.date.data)
    privacy.record_override(guard, current_user, post_id=post.id, target_type="log_entries",
                            target_id=entry.id)
    db.session.commit()
    flash(_("The log entry is added."), "success")
    # At its #log-N anchor the new entry (tabindex -1) takes the focus, like a new comment.
    return redirect(url_for("posts.show", post_id=post.id, _anchor=f"log-{entry.id}"))


def _changeable_entry(post_id: int, entry_id: int):
    post = _visible_or_404(post_id, drafts=True)
    entry = services.get_log_entry(post, entry_id)
    if entry is None:
        abort(404)
    require(can_change_log_entry, entry)
    return post, entry


@bp.route("/posts/<int:post_id>/logboek/<int:entry_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit_log(post_id: int, entry_id: int):
    post, entry = _changeable_entry(post_id, entry_id)
    form = LogEntryForm(data={"date": entry.date, "text": entry.body}) \
        if request.method == "GET" else LogEntryForm()
    guard = None
    if form.validate_on_submit():
        guard = privacy.check(form.text)  # an edit is checked like a new entry
    if guard is not None and not guard.blocked:
        if services.update_log_entry(entry, form.text.data, form.date.data):
            privacy.record_override(guard, current_user, post_id=post.id,
                                    target_type="log_entries", target_id=entry.id)
            db.session.commit()
            flash(_("The log entry is changed."), "success")
        return redirect(url_for("posts.show", post_id=post.id, _anchor=f"log-{entry.id}"))
    return render_template("posts/log_entry.html", post=post, entry=entry, form=form,
                           guard=guard)


@bp.post("/posts/<int:post_id>/logboek/<int:entry_id>/verwijderen")
@login_required
def delete_log(post_id: int, entry_id: int):
    post, entry = _changeable_entry(post_id, entry_id)
    services.delete_log_entry(entry)
    db.session.commit()
    flash(_("The log entry is deleted."), "success")
    return redirect(url_for("posts.show", post_id=post.id, _anchor="log"))


@bp.post("/posts/<int:post_id>/koppelingen")
@login_required
def add_link(post_id: int):
    post = _visible_or_404(post_id, drafts=True)
    require(can_edit_post, post)
    form = LinkForm(prefix="link")
    if form.validate_on_submit():
        target = services.get_visible_post(form.target_id, current_user)
        if target is None:
            form.target.errors.append(_("There is no post with this number that you can see."))
        elif target.id == post.id:
            form.target.errors.append(_("A post cannot link to itself."))
        else:
            services.add_link(post, target, form.relation.data, current_user)
            db.session.commit()
            flash(_("The link is added."), "success")
            return redirect(url_for("posts.show", post_id=post.id, _anchor="links"))
    return _refused(form, post)


def _refused(form, post):
    """Back to the post page with the refused form as it was typed (post/redirect/get: a
    reload shows the page, it does not send the form again). No #anchor: browsers skip
    `autofocus` on a page opened at an anchor, and the focus (on the field to fix) scrolls
    the form into view anyway."""
    url = url_for("posts.show", post_id=post.id)
    keep_refused_form(form, url)
    return redirect(url)


@bp.post("/posts/<int:post_id>/koppelingen/<int:link_id>/verwijderen")
@login_required
def remove_link(post_id: int, link_id: int):
    post = _visible_or_404(post_id, drafts=True)
    link = services.get_link_of(post, link_id)
    if link is None:
        abort(404)
    require(can_edit_post, post)
    services.remove_link(link)
    db.session.commit()
    flash(_("The link is removed."), "success")
    return redirect(url_for("posts.show", post_id=post.id, _anchor="links"))


# -- new, edit, delete, history ----------------------------------------------------------------

def _my_teams(post=None) -> list[Team]:
    teams = list(current_user.teams)
    if post is not None and post.team is not None and post.team not in teams:
        teams.append(post.team)
    return teams


def _make_form(kind: str, post=None):
    form_class = post_form_class(kind, can_coordinate_posts(current_user))
    data = post_form_data(post) if post is not None else None
    return form_class(data=data, neighbourhoods=services.all_neighbourhoods(),
                      teams=_my_teams(post))


@bp.get("/posts/nieuw")
@login_required
def choose_kind():
    return render_template("posts/choose_kind.html")


@bp.route("/posts/nieuw/<kind>", methods=["GET", "POST"])
@login_required
def new(kind: str):
    kind = BY_NEW_SLUG.get(kind)
    if kind is None:
        abort(404)
    form = _make_form(kind)
    guard = None
    if form.validate_on_submit():
        guard = privacy.check(*form.text_fields())
    if guard is not None and not guard.blocked:
        draft = _saving_draft()
        try:
            post = services.create_post(current_user, form.to_input(), draft=draft)
        except services.PostError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            privacy.record_override(guard, current_user, post_id=post.id, target_type="posts",
                                    target_id=post.id)
            db.session.commit()
            flash(_("Your draft is saved. Only you can see it.") if draft
                  else _("Your post is published."), "success")
            return redirect(url_for("posts.show", post_id=post.id))
    return render_template("posts/form.html", form=form, kind=kind, post=None, guard=guard)


@bp.route("/posts/<int:post_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = _visible_or_404(post_id, drafts=True)
    require(can_edit_post, post)
    form = _make_form(post.kind, post)
    guard = None
    if form.validate_on_submit():
        guard = privacy.check(*form.text_fields())
    if guard is not None and not guard.blocked:
        try:
            changed = services.update_post(post, current_user, form.to_input())
            published = post.is_draft and not _saving_draft() \
                and services.publish_post(post, current_user)
        except services.PostError as error:
            db.session.rollback()
            post = _visible_or_404(post_id, drafts=True)
            form.form_errors.append(str(error))
        else:
            privacy.record_override(guard, current_user, post_id=post.id, target_type="posts",
                                    target_id=post.id)
            db.session.commit()
            if published:
                flash(_("Your post is published."), "success")
            elif changed:
                flash(_("Your draft is saved.") if post.is_draft
                      else _("Your changes are saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("posts.show", post_id=post.id))
    return render_template("posts/form.html", form=form, kind=post.kind, post=post, guard=guard)


@bp.post("/posts/<int:post_id>/publiceren")
@login_required
def publish(post_id: int):
    post = _visible_or_404(post_id, drafts=True)
    require(can_edit_post, post)
    if services.publish_post(post, current_user):
        db.session.commit()
        flash(_("Your post is published."), "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.get("/mijn/concepten")
@login_required
def drafts():
    return render_template("posts/drafts.html", drafts=services.drafts_for(current_user))


@bp.route("/posts/<int:post_id>/verwijderen", methods=["GET", "POST"])
@login_required
def delete(post_id: int):
    post = _visible_or_404(post_id, drafts=True)
    require(can_edit_post, post)
    if request.method == "POST":
        kind, draft = post.kind, post.is_draft
        services.delete_post(post, current_user._get_current_object())
        db.session.commit()
        flash(_("The draft is deleted.") if draft else _("The post is deleted."), "success")
        if draft:
            return redirect(url_for("posts.drafts"))
        return redirect(url_for("posts.list_kind", slug=KINDS[kind].slug))
    return render_template("posts/delete.html", post=post)


@bp.get("/posts/<int:post_id>/geschiedenis")
@login_required
def history(post_id: int):
    """Members only: anonymous visitors see no history at all (see posts/history.py)."""
    post = _visible_or_404(post_id, drafts=True)
    return render_template("posts/history.html", post=post,
                           entries=post_history.history(post, current_user))


@bp.post("/posts/<int:post_id>/geschiedenis/<int:number>/weghalen")
@login_required
def redact_revision(post_id: int, number: int):
    post = _visible_or_404(post_id)
    revision = post_history.get_revision(post, number)
    if revision is None or revision not in post_history.visible_revisions(post, current_user):
        abort(404)
    require(can_redact_revision, post)
    try:
        done = post_history.redact(revision, current_user)
    except post_history.RevisionError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The text of version %(num)d is removed.", num=number) if done
              else _("This version was already removed."), "success" if done else "info")
    return redirect(url_for("posts.history", post_id=post.id, _anchor=f"revision-{number}"))


# -- tags and neighbourhoods -------------------------------------------------------------------

@bp.get("/tags")
def tags():
    return render_template("posts/tags.html", tags=services.tag_counts(current_user))


@bp.get("/tags/<name>")
def tag(name: str):
    found = services.visible_tag(name, current_user)
    if found is None:
        normalised = services.normalise_tag(services.clean_arg(name))
        if normalised and normalised != name and services.visible_tag(
                normalised, current_user) is not None:
            return redirect(url_for("posts.tag", name=normalised), 301)
        abort(404)
    page = _paginate(services.filtered_posts(current_user, tag=found.name))
    return render_template("posts/tag.html", tag=found.name, page=page)


@bp.route("/wijken", methods=["GET", "POST"])
def neighbourhoods():
    form = None
    if can_manage_neighbourhoods(current_user):
        form = NeighbourhoodForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if form is None:
            abort(403)
        if form.validate_on_submit():
            if services.neighbourhood_exists(form.name.data):
                form.name.errors.append(_("This neighbourhood is already on the list."))
            else:
                hood = services.add_neighbourhood(form.name.data, form.city.data)
                db.session.commit()
                flash(_("%(name)s is added.", name=hood.name), "success")
                return redirect(url_for("posts.neighbourhoods"))
    return render_template("posts/neighbourhoods.html", form=form,
                           groups=services.neighbourhoods_by_city(current_user))


@bp.get("/wijken/<slug>")
def neighbourhood(slug: str):
    hood = services.visible_neighbourhood(slug, current_user)
    if hood is None:
        abort(404)
    page = _paginate(services.filtered_posts(current_user, neighbourhood_id=hood.id))
    return render_template("posts/neighbourhood.html", neighbourhood=hood, page=page)
