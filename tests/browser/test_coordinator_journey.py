"""A coordinator's day, in a real browser: draft a lesson from a good comment ("Les uit: …"),
finish and publish it, curate it; move a friction across the change board with a reason; build
a bundle with the lesson and open its print page; and hide a comment a member reported."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from learncom.bundles.models import Bundle
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.posts.models import Post
from tests.browser.conftest import end_transaction, log_in, post_id_from

pytestmark = pytest.mark.browser

FRICTION = "Elke brief van de gemeente is anders"
GOOD = ("Wat bij ons hielp: één vaste contactpersoon die alle brieven met je doorneemt. Dan "
        "hoef je het verhaal maar één keer te vertellen.")
BAD = "Mevrouw De Vries op de Kanaalstraat 12 weet er alles van, bel haar gerust."
LESSON = "Eén vaste contactpersoon voor alle brieven"
STATEMENT = "Met één vaste contactpersoon hoeven bewoners hun verhaal maar één keer te doen."
REASON = "Op de agenda van het wijkoverleg van 12 maart, met de afdeling Inkomen."
BUNDLE = "Raadsavond schulden"


@pytest.fixture
def community(people, create_post, create_comment):
    friction = create_post(people["member"], kind="friction", title=FRICTION,
                           body="Elke afdeling stuurt een andere brief, met andere woorden.",
                           tags=["schulden", "brieven"], neighbourhood="Zuilen",
                           obstacle_type="procedure")
    good = create_comment(friction, people["commenter"], GOOD)
    bad = create_comment(friction, people["outsider"], BAD)
    ids = {"friction": friction.id, "good": good.id, "bad": bad.id,
           "coordinator": people["coordinator"].email, "member": people["member"].email}
    end_transaction()
    return ids


def test_coordinator_journey(page: Page, open_context, community, journey):
    steps = journey("coordinator")
    friction_id, good_id, bad_id = community["friction"], community["good"], community["bad"]

    # -- a member reports a comment with someone's address (another browser) ------------------
    member = open_context().new_page()
    log_in(member, community["member"])
    member.goto(f"/posts/{friction_id}")
    member.locator(f"#reactie-{bad_id} a.flag-link").click()
    expect(member.locator("h1")).to_have_text("Een reactie melden")
    member.locator("#flag-form input[name=reason][value=personal_data]").check()
    member.locator("#flag-form textarea[name=explanation]").fill("Noemt een naam en adres.")
    steps.step(member, "member reports a comment")
    member.locator("#flag-form button[type=submit]").click()
    expect(member.locator(".flash-success")).to_be_visible()

    # -- promote the good comment to a draft lesson -----------------------------------------------
    log_in(page, community["coordinator"])
    page.goto(f"/posts/{friction_id}")
    steps.step(page, "the friction, as a coordinator")
    page.locator(f"#reactie-{good_id} a.comment-promote[href$='/promoveren/les']").click()
    expect(page).to_have_url(re.compile(rf"/reacties/{good_id}/promoveren/les$"))
    form = page.locator("#post-form")
    expect(form.locator("input[name=title]")).to_have_value(f"Les uit: {FRICTION}")
    expect(form.locator("textarea[name=body]")).to_contain_text("één vaste contactpersoon")
    expect(page.locator("#promote-source")).to_contain_text("Bea Bewoner")
    steps.step(page, "promote: the prefilled draft")
    form.locator("#save-draft").click()

    expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    lesson_id = post_id_from(page)
    expect(page.locator("#draft-notice")).to_contain_text("Dit is een concept")
    expect(page.locator("h1")).to_have_text(f"Les uit: {FRICTION}")
    expect(page.locator("#links li.link")).to_contain_text(FRICTION)  # "is geleerd van"
    steps.step(page, "the draft lesson")

    # -- finish it, then publish -------------------------------------------------------------------
    page.locator("#edit-link").click()
    form.locator("input[name=title]").fill(LESSON)
    form.locator("input[name=statement]").fill(STATEMENT)
    form.locator("select[name=confidence]").select_option("several_teams")
    steps.step(page, "finishing the draft")
    form.locator("#save-draft").click()
    expect(page.locator("h1")).to_have_text(LESSON)
    expect(page.locator("#draft-notice")).to_be_visible()
    page.locator("#publish-form button[type=submit]").click()
    expect(page.locator("#draft-notice")).to_have_count(0)
    expect(page.locator(".lesson-statement")).to_have_text(STATEMENT)
    expect(page.locator("#provenance .provenance-source")).to_contain_text("Bea Bewoner")
    steps.step(page, "the lesson, published")

    # -- curate it ---------------------------------------------------------------------------------
    curate = page.locator("#curate-form")
    curate.locator("textarea").fill("Helder, en in drie wijken herkend.")
    curate.locator("button[type=submit]").click()
    expect(page.locator("#curation-mark")).to_contain_text("Helder, en in drie wijken herkend.")
    expect(page.locator(".post-header .status-curated")).to_have_text("Uitgelicht")
    steps.step(page, "the lesson, curated")
    lesson = db.session.get(Post, lesson_id)
    assert (lesson.is_draft, lesson.curated, lesson.statement) == (False, True, STATEMENT)
    end_transaction()

    # -- the change board: move the friction, with a reason ----------------------------------------
    page.locator("#nav-change-board").click()
    card = page.locator(f"#column-raised #board-card-{friction_id}")
    expect(card).to_be_visible()
    card.locator("details.board-move summary").click()
    card.locator("select[name=to_status]").select_option("on_agenda")
    card.locator("textarea[name=reason]").fill(REASON)
    steps.step(page, "change board: moving a friction")
    card.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/verandering"))
    expect(page.locator(f"#column-on_agenda #board-card-{friction_id}")).to_be_visible()
    expect(page.locator(f"#column-raised #board-card-{friction_id}")).to_have_count(0)
    steps.step(page, "change board: the friction on the agenda")
    change = db.session.scalars(select(StatusChange).where(
        StatusChange.post_id == friction_id)).one()
    assert (change.from_status, change.to_status, change.reason) == ("raised", "on_agenda", REASON)
    end_transaction()

    # -- a bundle with the lesson, and its print page ----------------------------------------------
    page.locator("#nav-bundles").click()
    page.locator("#new-bundle").click()
    bundle_form = page.locator("#bundle-form")
    bundle_form.locator("input[name=title]").fill(BUNDLE)
    bundle_form.locator("textarea[name=intro]").fill("Wat bewoners en teams leerden over "
                                                     "**brieven**.")
    steps.step(page, "new bundle")
    bundle_form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/bundels/[\w-]+/bewerken(#add)?$"))
    candidate = page.locator(f"#bundle-candidates li[data-post-id='{lesson_id}']")
    expect(candidate).to_contain_text(LESSON)
    steps.step(page, "bundle editor")
    candidate.locator("button.add-candidate").click()
    expect(page.locator("#bundle-edit-items .bundle-item")).to_have_count(1)
    expect(page.locator("#bundle-edit-items")).to_contain_text(LESSON)
    steps.step(page, "bundle with the lesson")
    page.locator("#publish button[type=submit]").first.click()
    expect(page.locator("#bundle h1")).to_have_text(BUNDLE)
    expect(page.locator("#bundle-items")).to_contain_text(LESSON)
    steps.step(page, "the published bundle")
    page.locator("#print-link").click()
    expect(page).to_have_url(re.compile(r"/bundels/[\w-]+/afdrukken$"))
    expect(page.locator("h1")).to_have_text(BUNDLE)
    expect(page.locator("main")).to_contain_text(STATEMENT)
    steps.step(page, "the print page")
    bundle = db.session.scalars(select(Bundle)).one()
    assert bundle.published_at is not None and [i.post_id for i in bundle.items] == [lesson_id]
    end_transaction()

    # -- moderation: hide the reported comment ----------------------------------------------------
    page.goto("/")
    nav = page.locator("#nav-moderation")
    expect(nav.locator(".moderation-count")).to_have_attribute("data-count", "1")
    nav.click()
    group = page.locator("#open-flags article.flag-group")
    expect(group).to_have_count(1)
    expect(group.locator(".flag-excerpt")).to_contain_text("Kanaalstraat")
    expect(group.locator(".flag-explanation")).to_have_text("Noemt een naam en adres.")
    steps.step(page, "moderation queue")
    group.locator("form.action-hide input[name=note]").fill("Adres van een bewoner.")
    group.locator("form.action-hide button[type=submit]").click()
    expect(page.locator("#no-open-flags")).to_be_visible()
    expect(page.locator("#resolved-flags .resolved-group")).to_have_count(1)
    steps.step(page, "moderation: the comment hidden")

    # The member sees the comment hidden, without its text or writer.
    member.goto(f"/posts/{friction_id}")
    hidden = member.locator(f"#reactie-{bad_id}")
    expect(hidden.locator(".comment-body")).to_have_text("[verborgen door moderatie]")
    expect(hidden).not_to_contain_text("Kanaalstraat")
    steps.step(member, "member: the comment is hidden")
    assert db.session.get(Comment, bad_id).is_hidden
    end_transaction()
