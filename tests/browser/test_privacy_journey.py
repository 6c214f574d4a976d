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
                                                   create_post, results_dir):
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
    page.screenshot(path=str(results_dir / "privacy-guard.png"), full_page=True)
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
                                        results_dir):
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
    page.screenshot(path=str(results_dir / "privacy-delete-account.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(page.locator("#account-deleted")).to_contain_text("Je account is verwijderd")
    expect(page.locator("form[action='/account/uitloggen']")).to_have_count(0)

    page.goto(f"/posts/{post_id}")
    expect(page.locator(".post-byline")).to_contain_text("voormalig lid")
    expect(page.locator("body")).not_to_contain_text("Quistorp")
