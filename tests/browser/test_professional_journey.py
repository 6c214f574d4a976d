"""A professional in a neighbourhood team, in a real browser and with the keyboard only (Tab,
Shift+Tab, Enter, arrow keys and typing; never the mouse): an experiment with its fields and
tags, visible to the team only, two log entries, a link to the friction it tackles, and its end
with a result. Someone outside the team cannot see it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from learncom.extensions import db
from learncom.posts.models import Post, PostLink
from tests.browser.conftest import choose, end_transaction, log_in, tab_to, type_into

pytestmark = pytest.mark.browser

TITLE = "Spreekuur schulden in de bibliotheek"
LOG_1 = "Week 1: zes bezoekers, vier met een brief van de belastingdienst."
LOG_2 = "Week 2: negen bezoekers. Twee kwamen terug met hun buurvrouw."
RESULT = "Na acht weken 52 bezoekers; een derde had nog nooit hulp gevraagd."


@pytest.fixture
def team(people, create_post):
    friction = create_post(people["member"], kind="friction", title="Brieven over schulden "
                           "zijn niet te begrijpen", tags=["schulden", "brieven"],
                           obstacle_type="procedure")
    ids = {"friction": friction.id, "author": people["author"].email,
           "teammate": people["teammate"].email, "outsider": people["outsider"].email}
    end_transaction()
    return ids


def press_enter_on(page: Page, selector: str, *, back: bool = False) -> None:
    tab_to(page, selector, back=back)
    page.keyboard.press("Enter")


def test_professional_journey_by_keyboard(page: Page, open_context, team, journey):
    steps = journey("professional-keyboard")

    # -- log in: the e-mail field, the password, Enter ------------------------------------------
    page.goto("/account/inloggen")
    steps.step(page, "log in")
    type_into(page, "#login-form input[name=email]", team["author"])
    type_into(page, "#login-form input[name=password]", "correct horse battery")
    page.keyboard.press("Enter")
    expect(page.locator("form[action='/account/uitloggen']")).to_have_count(1)

    # The first Tab on a page reaches "Skip to content"; Enter puts the focus on the content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    steps.step(page, "skip link in view")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # From there the first stop is the call to share something.
    assert tab_to(page, "#call-to-action a.button") == 1
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/posts/nieuw$"))
    steps.step(page, "choose a kind")
    press_enter_on(page, "a[href='/posts/nieuw/experiment']")

    # -- the experiment's form, field by field ---------------------------------------------------
    expect(page.locator("#post-form")).to_be_visible()
    steps.step(page, "new experiment form")
    form = "#post-form"
    type_into(page, f"{form} input[name=title]", TITLE)
    type_into(page, f"{form} textarea[name=body]",
              "Elke dinsdag zit een schuldhulpmaatje in de **bibliotheek** van Zuilen.")
    type_into(page, f"{form} input[name=tags]", "Schulden, laagdrempelig")
    type_into(page, f"{form} textarea[name=hypothesis]",
              "Op een gewone plek komen mensen eerder met hun brieven.")
    type_into(page, f"{form} textarea[name=approach]", "Inloop zonder afspraak.")
    type_into(page, f"{form} input[name=target_group]", "Bewoners met schulden")
    choose(page, f"{form} select[name=status]", "Loopt")
    choose(page, f"{form} select[name=team]", "Team Noord")
    choose(page, f"{form} select[name=visibility]", "Team: alleen leden van het team")
    steps.step(page, "experiment filled in")
    press_enter_on(page, f"{form} button[value=publish]")

    expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    post_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".post-header .badge-visibility")).to_contain_text("Team Noord")
    expect(page.locator("ul.tags a.tag")).to_have_text(["laagdrempelig", "schulden"])
    expect(page.locator("dd.field-status")).to_have_text("Loopt")
    steps.step(page, "experiment published, team only")

    # -- two log entries -------------------------------------------------------------------------
    for number, text in enumerate((LOG_1, LOG_2), start=1):
        type_into(page, "#log-text", text)
        press_enter_on(page, "#log-form button[type=submit]")
        expect(page.locator("ol.log > li")).to_have_count(number)
        entry = page.locator("ol.log > li").nth(number - 1)
        expect(entry.locator(".prose")).to_have_text(text)
        # The focus is on the new entry, so the next Tab continues from there.
        expect(entry).to_be_focused()
        steps.step(page, f"log entry {number}")

    # -- a link to the friction it tackles: first a wrong number, then the right one -------------
    choose(page, "#link-relation", "pakt aan")
    type_into(page, "#link-target", "99999")
    press_enter_on(page, "#link-form button[type=submit]")
    expect(page.locator("#link-target-error")).to_have_text(
        "Er is geen bericht met dit nummer dat jij kunt zien.")
    expect(page.locator("#link-target")).to_be_focused()  # on the field to fix
    steps.step(page, "a wrong number refused")
    page.keyboard.press("Control+a")
    page.keyboard.type(str(team["friction"]))
    page.keyboard.press("Enter")  # Enter in a text field sends its form
    link = page.locator("#links li.link")
    expect(link).to_have_count(1)
    expect(link).to_contain_text("Brieven over schulden zijn niet te begrijpen")
    steps.step(page, "linked to the friction")

    # -- concluded, with a result ------------------------------------------------------------------
    press_enter_on(page, "#edit-link", back=True)
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}/bewerken$"))
    steps.step(page, "edit form")
    choose(page, f"{form} select[name=status]", "Afgerond")
    type_into(page, f"{form} textarea[name=result]", RESULT)
    press_enter_on(page, f"{form} .form-actions button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}$"))
    expect(page.locator("dd.field-status")).to_have_text("Afgerond")
    expect(page.locator("dd.field-result")).to_have_text(RESULT)
    steps.step(page, "experiment concluded with its result")

    post = db.session.get(Post, post_id)
    assert (post.visibility, post.team.name, post.status, post.result) == (
        "team", "Team Noord", "concluded", RESULT)
    assert [entry.body for entry in post.log_entries] == [LOG_1, LOG_2]
    link_row = db.session.scalars(select(PostLink).where(PostLink.source_id == post_id)).one()
    assert (link_row.target_id, link_row.relation) == (team["friction"], "addresses")
    end_transaction()

    # -- a teammate sees it; someone outside the team does not -----------------------------------
    teammate = open_context().new_page()
    log_in(teammate, team["teammate"])
    teammate.goto(f"/posts/{post_id}")
    expect(teammate.locator("h1")).to_have_text(TITLE)
    teammate.context.close()

    outsider = open_context().new_page()
    log_in(outsider, team["outsider"])
    response = outsider.goto(f"/posts/{post_id}")
    assert response.status == 404
    expect(outsider.locator("body")).not_to_contain_text(TITLE)
    steps.step(outsider, "outsider: not found")
    outsider.goto("/experimenten")
    expect(outsider.locator("main")).not_to_contain_text(TITLE)
    outsider.goto("/zoeken?q=bibliotheek")
    expect(outsider.locator("main")).not_to_contain_text(TITLE)
    steps.step(outsider, "outsider: search finds nothing")
