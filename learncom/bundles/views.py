"""Bundle pages: the list, a bundle, its edit page (items, order, publishing), the print page
and the Markdown export. Views stay thin: read the request, call services, commit once."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from learncom.bundles import services
from learncom.bundles.forms import AddItemForm, BundleForm
from learncom.extensions import db
from learncom.permissions import can_manage_bundles, require
from learncom.posts import services as post_services
from learncom.web import keep_refused_form, restore_form

bp = Blueprint("bundles", __name__)


def _me():
    """The signed-in member itself (not the proxy), for services and the audit log."""
    return current_user._get_current_object()


def _bundle_or_404(slug: str):
    bundle = services.get_bundle(slug, current_user)
    if bundle is None:
        abort(404)
    return bundle


def _managed(slug: str):
    """A bundle the coordinator changes: 404 when the viewer cannot see it, else 403 for
    anyone but coordinators."""
    bundle = _bundle_or_404(slug)
    require(can_manage_bundles)
    return bundle


def _item_or_404(bundle, item_id: int):
    item = services.get_item(bundle, item_id)
    if item is None:
        abort(404)
    return item


def _to_edit(bundle, anchor: str = "items"):
    return redirect(url_for("bundles.edit", slug=bundle.slug, _anchor=anchor))


# -- reading -----------------------------------------------------------------------------------

@bp.get("/bundels")
def index():
    bundles = services.bundles_for(current_user)
    return render_template("bundles/index.html", bundles=bundles,
                           counts=services.item_counts(bundles, current_user),
                           can_manage=can_manage_bundles(current_user))


@bp.get("/bundels/<slug>")
def show(slug: str):
    bundle = _bundle_or_404(slug)
    items = services.visible_items(bundle, current_user)
    return render_template("bundles/show.html", bundle=bundle, items=items,
                           can_manage=can_manage_bundles(current_user))


@bp.get("/bundels/<slug>/afdrukken")
def print_view(slug: str):
    bundle = _bundle_or_404(slug)
    items = services.visible_items(bundle, current_user)
    return render_template("bundles/print.html", bundle=bundle, items=items,
                           fields={item.post_id: post_services.field_rows(item.post)
                                   for item in items})


@bp.get("/bundels/<slug>.md")
def export(slug: str):
    bundle = _bundle_or_404(slug)
    response = Response(services.export_markdown(bundle, current_user),
                        content_type="text/markdown; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{bundle.slug}.md"'
    return response


# -- creating and editing ----------------------------------------------------------------------

@bp.route("/bundels/nieuw", methods=["GET", "POST"])
@login_required
def new():
    require(can_manage_bundles)
    form = BundleForm()
    if form.validate_on_submit():
        bundle = services.create_bundle(_me(), form.title.data, form.intro.data)
        db.session.commit()
        flash(_("The bundle is made. Now add lessons to it."), "success")
        return _to_edit(bundle, "add")
    return render_template("bundles/new.html", form=form)


def _render_edit(bundle, form=None, add_form=None):
    items = services.all_items(bundle)
    in_bundle = {item.post_id for item in items}
    lesson_ids = [item.post_id for item in items if item.post.kind == "lesson"]
    behind = {lesson_id: [p for p in posts if p.id not in in_bundle]
              for lesson_id, posts in services.posts_behind(lesson_ids, current_user).items()}
    return render_template(
        "bundles/edit.html", bundle=bundle, items=items, behind=behind,
        candidates=services.candidates(bundle, current_user),
        form=form or BundleForm(formdata=None, data={"title": bundle.title,
                                                     "intro": bundle.intro}),
        add_form=add_form or restore_form(AddItemForm, prefix="add"))


@bp.route("/bundels/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    bundle = _managed(slug)
    if request.method == "GET":
        return _render_edit(bundle)
    form = BundleForm()
    if not form.validate_on_submit():
        return _render_edit(bundle, form=form)
    if services.update_bundle(bundle, form.title.data, form.intro.data, _me()):
        db.session.commit()
        flash(_("Your changes are saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return _to_edit(bundle, "details")


@bp.post("/bundels/<slug>/items")
@login_required
def add_item(slug: str):
    bundle = _managed(slug)
    form = AddItemForm(prefix="add")
    if form.validate_on_submit():
        post = post_services.get_visible_post(form.post_id, current_user)
        if post is None:
            form.post.errors.append(_("There is no post with this number that you can see."))
        else:
            try:
                services.add_item(bundle, post, actor=_me())
            except services.BundleError as error:
                form.post.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("“%(title)s” is added to the bundle.", title=post.title), "success")
                return _to_edit(bundle)
    # Post/redirect/get: the editor shows the refused number with the reason (no #anchor: the
    # focus on the field scrolls to it; browsers skip autofocus on a page opened at an anchor).
    url = url_for("bundles.edit", slug=bundle.slug)
    keep_refused_form(form, url)
    return redirect(url)


@bp.post("/bundels/<slug>/items/<int:item_id>/achterliggend")
@login_required
def add_behind(slug: str, item_id: int):
    bundle = _managed(slug)
    item = _item_or_404(bundle, item_id)
    added = services.add_posts_behind(bundle, item, _me())
    db.session.commit()
    if added:
        flash(ngettext("%(num)d post is added after the lesson.",
                       "%(num)d posts are added after the lesson.", len(added)), "success")
    else:
        flash(_("There was nothing to add: everything behind this lesson is in the bundle."),
              "info")
    return _to_edit(bundle)


@bp.post("/bundels/<slug>/items/<int:item_id>/<any(omhoog, omlaag):direction>")
@login_required
def move_item(slug: str, item_id: int, direction: str):
    bundle = _managed(slug)
    item = _item_or_404(bundle, item_id)
    if services.move_item(bundle, item, -1 if direction == "omhoog" else 1, _me()):
        db.session.commit()
    return _to_edit(bundle, f"item-{item.id}")


@bp.post("/bundels/<slug>/volgorde")
@login_required
def reorder(slug: str):
    """The order from the drag-and-drop script: `order` is a comma-separated list of item ids."""
    bundle = _managed(slug)
    ids = []
    for part in request.form.get("order", "").split(","):
        part = part.strip()
        if part.isdigit() and len(part) < 12:
            ids.append(int(part))
    services.reorder(bundle, ids, _me())
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"order": [item.id for item in services.all_items(bundle)]}
    return _to_edit(bundle)


@bp.post("/bundels/<slug>/items/<int:item_id>/verwijderen")
@login_required
def remove_item(slug: str, item_id: int):
    bundle = _managed(slug)
    item = _item_or_404(bundle, item_id)
    services.remove_item(bundle, item, _me())
    db.session.commit()
    flash(_("The post is taken out of the bundle."), "success")
    return _to_edit(bundle)


@bp.post("/bundels/<slug>/<any(publiceren, depubliceren):action>")
@login_required
def publish(slug: str, action: str):
    bundle = _managed(slug)
    if action == "publiceren":
        if services.publish(bundle, _me()):
            db.session.commit()
            flash(_("The bundle is published. Everyone can see it now."), "success")
        return redirect(url_for("bundles.show", slug=bundle.slug))
    if services.unpublish(bundle, _me()):
        db.session.commit()
        flash(_("The bundle is a draft again. Only coordinators can see it."), "success")
    return _to_edit(bundle, "publish")


@bp.post("/bundels/<slug>/verwijderen")
@login_required
def delete(slug: str):
    bundle = _managed(slug)
    services.delete_bundle(bundle, _me())
    db.session.commit()
    flash(_("The bundle is deleted. The posts in it stay where they are."), "success")
    return redirect(url_for("bundles.index"))
