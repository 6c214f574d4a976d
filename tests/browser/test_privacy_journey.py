"""Privacy in a real browser: the privacy guard with JavaScript switched off (remove the data
with one click, or post anyway with a reason), and a member deleting their account."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from learncom.extensions import db
from learncom.guard.models import PrivacyOverride
from learncom.posts.models import Post
from tests.browser.conftest import end_transaction, log_in, post_id_from
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_the_privacy_guard_works_without_javascript(open_context, live_server, create_user,
                                                   create_post, results_dir, screenshot):
    create_user("Anke Siegers", email="anke@example.org")
    other_post_id = create_post(create_user("Bert"), title="Inloop op dinsdag").id
    end_transaction()
    page = open_context(java_script_enabled=False).new_page()
    log_in(page, "anke@example.org")

    page.goto("/posts/nieuw/experiment")
    form = page.locator("#post-form")
    form.locator("#title").fill("Huisbezoek bij mevrouw")
    form.locator("#body").fill("Mevrouw (BSN 123456782) woont op 3581 AB 12.")
    form.locator("#tags").fill("huisbezoek")
    form.locator(".form-actions button[value=publish]").click()

    guard = page.locator("#privacy-guard")
    expect(guard).to_be_visible()
    expect(guard).to_contain_text("Dit lijkt een BSN")
    expect(guard).to_contain_text("Dit lijkt een adres")
    expect(guard.locator("mark.privacy-bsn")).to_have_text("123456782")
    expect(page.locator("#body")).to_have_value("Mevrouw (BSN 123456782) woont op 3581 AB 12.")
    screenshot(page, results_dir / "privacy-guard.png")
    assert db.session.scalar(select(Post).where(Post.title == "Huisbezoek bij mevrouw")) is None
    end_transaction()

    page.locator("#privacy-redact").click()
    expect(page.locator(".post-body")).to_have_text(
        "Mevrouw (BSN [weggehaald]) woont op [weggehaald].")
    assert post_id_from(page)

    # A comment with the writer's own number: flagged all the same; posted with a reason.
    page.goto(f"/posts/{other_post_id}")
    page.locator("#new-comment-body").fill("Bel mij gerust: 06-12345678.")
    page.locator("form.new-comment button[type=submit]").click()
    expect(page.locator("#privacy-guard")).to_contain_text("Dit lijkt een telefoonnummer")
    page.locator("#privacy_reason").fill("Mijn eigen werknummer.")
    page.locator("#privacy-override").click()
    expect(page.locator(".comment-body").last).to_contain_text("Bel mij gerust: 06-12345678.")
    row = db.session.scalars(select(PrivacyOverride)).one()
    assert (row.kinds, row.reason) == (["phone"], "Mijn eigen werknummer.")
    end_transaction()


def test_a_member_deletes_their_account(page, live_server, create_user, create_post,
                                        results_dir, screenshot):
    member = create_user("Zebediah Quistorp", email="zeb@example.org")
    post_id = create_post(member, title="Buurtkamer in Overvecht").id
    end_transaction()
    log_in(page, "zeb@example.org")
    page.goto("/account/profiel")
    page.locator("#my-data-link").click()
    expect(page.locator("#download-my-data")).to_have_attribute("href", "/account/gegevens.json")
    page.goto("/account/profiel")
    page.locator("#delete-account-link").click()
    form = page.locator("#delete-account-form")
    form.locator("input[value=anonymise]").check()
    form.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    screenshot(page, results_dir / "privacy-delete-account.png")
    form.locator("button[type=submit]").click()
    expect(page.locator("#account-deleted")).to_contain_text("Je account is verwijderd")
    expect(page.locator("form[action='/account/uitloggen']")).to_have_count(0)

    page.goto(f"/posts/{post_id}")
    expect(page.locator(".post-byline")).to_contain_text("voormalig lid")
    expect(page.locator("body")).not_to_contain_text("Quistorp")


def test_history_redaction_and_the_member_directory(page, open_context, create_user,
                                                    create_post, journey):
    """The history shows each version only to those who could see it then; the author removes a
    version's text for good; visitors find in the member list only who chose a public page."""
    from learncom.accounts.services import get_or_create_team
    from learncom.posts import services

    author = create_user("Anke Inloop", email="anke@example.org", teams=["Team Oost"])
    create_user("Carla Buiten", email="carla@example.org")
    post = create_post(author, title="Inloop", body="Eerste versie met mevrouw Vermeulen.",
                       visibility="team", team=get_or_create_team("Team Oost"))
    services.update_post(post, author, services.PostInput(
        kind="experiment", title="Inloop", body="Openbare versie zonder naam.",
        tags=["eenzaamheid"], visibility="public", team_id=None,
        fields={"status": "running"}))
    services.update_post(post, author, services.PostInput(
        kind="experiment", title="Inloop", body="Openbare versie, met meer tekst.",
        tags=["eenzaamheid"], visibility="public", team_id=None,
        fields={"status": "running"}))
    post_id = post.id
    end_transaction()
    steps = journey("privacy")

    # A visitor: the post, no history link, and nobody in the member list yet.
    visitor = open_context().new_page()
    visitor.goto(f"/posts/{post_id}")
    expect(visitor.locator("#history-link")).to_have_count(0)
    visitor.goto("/leden")
    expect(visitor.locator("body")).not_to_contain_text("Anke Inloop")
    steps.step(visitor, "visitor: the member list")

    # A member outside the team: the history starts at the first public version.
    log_in(page, "carla@example.org")
    page.goto(f"/posts/{post_id}")
    page.locator("#history-link").click()
    expect(page.locator("#revision-1")).to_have_count(0)
    expect(page.locator(".revision-earliest")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Vermeulen")
    steps.step(page, "outsider: the history")
    page.context.clear_cookies()

    # The author removes the text of the first version, and makes her page public.
    log_in(page, "anke@example.org")
    page.goto(f"/posts/{post_id}/geschiedenis")
    # Version 2 shows what it took out of version 1.
    expect(page.locator("#revision-2 .change-body")).to_contain_text("Vermeulen")
    steps.step(page, "author: the history")
    first = page.locator("#revision-1")
    first.locator("details.confirm-redact summary").click()
    first.locator("details.confirm-redact button[type=submit]").click()
    expect(page.locator("#revision-1 .revision-redacted")).to_contain_text("Anke Inloop")
    expect(page.locator("body")).not_to_contain_text("Vermeulen")
    steps.step(page, "author: the first version's text removed")
    page.goto("/account/profiel")
    page.locator("#public_profile").check()
    page.locator("#public_profile").locator("xpath=ancestor::form").locator(
        "button[type=submit]").first.click()
    expect(page.locator(".flash-success")).to_be_visible()

    visitor.goto("/leden")
    expect(visitor.locator("body")).to_contain_text("Anke Inloop")
    expect(visitor.locator("body")).not_to_contain_text("Carla Buiten")
    steps.step(visitor, "visitor: the member list with a public page")
