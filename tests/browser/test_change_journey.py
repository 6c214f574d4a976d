"""A friction on its way through the change process, in a real browser: a resident reports it,
three members say "herkenbaar", a coordinator finds it on the change board and puts it on the
agenda with a reason, and the resident sees that in the thread."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.posts.models import Post
from learncom.reactions.models import Reaction
from tests.browser.conftest import end_transaction, log_in, post_id_from

pytestmark = pytest.mark.browser

TITLE = "Voor elke kleine hulpvraag een nieuwe indicatie"
REASON = "We bespreken dit op 12 maart in het wijkoverleg met de gemeente."


def test_a_friction_goes_on_the_agenda(page: Page, open_context, live_server, create_user,
                                       results_dir, check_a11y, screenshot):
    resident = create_user("Samira Bewoner", kind="resident", email="samira@example.org")
    member_emails = [create_user(name, email=f"lid{n}@example.org").email
                     for n, name in enumerate(("Bram Visser", "Anke Siegers", "Joost de Wit"))]
    create_user("Coby Coördinator", role="coordinator", email="coby@example.org")
    resident_id = resident.id
    end_transaction()

    # -- the resident reports a friction ------------------------------------------------------
    log_in(page, "samira@example.org")
    page.goto("/posts/nieuw/frictie")
    check_a11y(page, "new friction form")
    form = page.locator("#post-form")
    form.locator("input[name=title]").fill(TITLE)
    form.locator("textarea[name=body]").fill(
        "Mijn moeder heeft hulp bij het douchen nodig. Voor de boodschappen moest ze opnieuw "
        "een indicatie aanvragen, met weer een keukentafelgesprek.")
    form.locator("input[name=tags]").fill("indicatie, regelreflex")
    form.locator("select[name=obstacle_type]").select_option("procedure")
    expect(form.locator("[name=change_status]")).to_have_count(0)
    form.locator("button[value=publish]").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    post_id = post_id_from(page)
    expect(page.locator("#change-status .status-raised")).to_be_visible()
    expect(page.locator("#status-form")).to_have_count(0)
    check_a11y(page, "friction, as its author")
    post = db.session.get(Post, post_id)
    assert (post.kind, post.author_id, post.change_status) == ("friction", resident_id, "raised")
    end_transaction()

    # -- three members say "herkenbaar" -------------------------------------------------------
    recognise = f"#post-{post_id} form.reaction-form.reaction-recognise"
    for number, email in enumerate(member_emails, start=1):
        other = open_context().new_page()
        log_in(other, email)
        other.goto(f"/posts/{post_id}")
        other.locator(f"{recognise} button.reaction-toggle").click()
        expect(other.locator(f"{recognise} .reaction-count")).to_have_text(str(number))
        if number == 1:
            check_a11y(other, "friction, after herkenbaar")
        other.context.close()
    recognised = db.session.scalars(select(Reaction.user_id).where(
        Reaction.post_id == post_id, Reaction.kind == "recognise")).all()
    assert len(recognised) == 3
    end_transaction()

    # -- a coordinator finds it on the change board and puts it on the agenda -----------------
    coordinator = open_context().new_page()
    log_in(coordinator, "coby@example.org")
    coordinator.locator("#nav-change-board").click()
    expect(coordinator).to_have_url(re.compile(r"/verandering$"))
    card = coordinator.locator(f"#column-raised #board-card-{post_id}")
    expect(card).to_have_attribute("data-recognised", "3")
    check_a11y(coordinator, "change board, coordinator")
    card.locator("details.board-move summary").click()
    check_a11y(coordinator, "change board, move form open")
    screenshot(coordinator, results_dir / "change-board.png")
    card.locator(".board-card-title a").click()
    expect(coordinator).to_have_url(re.compile(rf"/posts/{post_id}$"))
    check_a11y(coordinator, "friction, as a coordinator")

    status_form = coordinator.locator("#status-form")
    status_form.locator("select[name=to_status]").select_option("on_agenda")
    status_form.locator("textarea[name=reason]").fill(REASON)
    coordinator.locator("#status-submit").click()
    expect(coordinator).to_have_url(re.compile(rf"/posts/{post_id}#status-change-\d+$"))
    expect(coordinator.locator("#change-status .status-on_agenda")).to_be_visible()
    check_a11y(coordinator, "friction after a status change")

    change = db.session.scalars(select(StatusChange).where(StatusChange.post_id == post_id)).one()
    assert (change.from_status, change.to_status, change.reason) == ("raised", "on_agenda", REASON)
    assert db.session.get(Post, post_id).change_status == "on_agenda"
    change_id = change.id
    end_transaction()

    # The board shows it in its new column.
    coordinator.goto("/verandering")
    expect(coordinator.locator(f"#column-on_agenda #board-card-{post_id}")).to_be_visible()
    expect(coordinator.locator(f"#column-raised #board-card-{post_id}")).to_have_count(0)
    # On a phone one column at a time, side by side: swiped, or reached by its jump link
    # (issue 13 item 14: no 6,700 px column).
    coordinator.set_viewport_size({"width": 360, "height": 740})
    first = coordinator.locator("#column-raised").bounding_box()
    second = coordinator.locator("#column-on_agenda").bounding_box()
    assert first["y"] == second["y"] and second["x"] >= first["x"] + first["width"]
    assert first["width"] <= 360
    coordinator.locator(".board-jump a[href='#column-on_agenda']").click()
    expect(coordinator.locator(f"#column-on_agenda #board-card-{post_id}")).to_be_in_viewport()
    check_a11y(coordinator, "change board at 360 px")
    screenshot(coordinator, results_dir / "change-board-phone.png")

    # -- the resident sees the timeline event in the thread -----------------------------------
    page.goto(f"/posts/{post_id}")
    event = page.locator(f"#reacties article.timeline-event#status-change-{change_id}")
    expect(event).to_be_visible()
    expect(event.locator(".timeline-reason")).to_have_text(REASON)
    expect(event.locator(".status-raised")).to_be_visible()
    expect(event.locator(".status-on_agenda")).to_be_visible()
    expect(event.locator(".member a")).to_have_text("Coby Coördinator")
    expect(page.locator("#change-status .status-on_agenda")).to_be_visible()
    check_a11y(page, "friction with its timeline, as its author")
    screenshot(page, results_dir / "change-journey-thread.png")
