"""A member changes her e-mail address in a real browser: the form on the profile, the link
from the mail to the new address, the confirm page, and her phone logged out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from learncom.extensions import db
from learncom.mail import OutboxMessage
from tests.browser.conftest import end_transaction, log_in
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_changes_her_e_mail_address(open_context, create_user, results_dir, screenshot):
    create_user("Anke Siegers", email="anke@example.org")
    end_transaction()
    laptop = open_context().new_page()
    phone = open_context().new_page()
    log_in(laptop, "anke@example.org")
    log_in(phone, "anke@example.org")

    laptop.goto("/account/profiel")
    form = laptop.locator("#email-form")
    form.locator("#email").fill("anke@voorbeeld.nl")
    form.locator("#email_password").fill("niet mijn wachtwoord")
    form.locator("button[type=submit]").click()
    expect(laptop.locator("#email_password-error")).to_have_text(
        "Dit is niet je huidige wachtwoord.")
    expect(laptop.locator("#email")).to_have_value("anke@voorbeeld.nl")
    laptop.locator("#email_password").fill(DEFAULT_PASSWORD)
    laptop.locator("#email-form button[type=submit]").click()
    expect(laptop.locator("#email-change-pending")).to_contain_text(
        "Kijk in de mailbox van anke@voorbeeld.nl")
    screenshot(laptop, results_dir / "email-change-sent.png")

    body = db.session.scalar(select(OutboxMessage.body)
                             .where(OutboxMessage.to == "anke@voorbeeld.nl"))
    end_transaction()
    link = re.search(r"https?://\S+/account/e-mailadres-bevestigen/\S+", body).group(0)
    laptop.goto(link)
    assert laptop.url.endswith("/account/e-mailadres-bevestigen"), "no token in the address bar"
    expect(laptop.locator("#new-email")).to_have_text("anke@voorbeeld.nl")
    laptop.locator("#confirm-email-form button[type=submit]").click()
    expect(laptop.locator(".flash-success")).to_contain_text(
        "Je e-mailadres is nu anke@voorbeeld.nl")

    phone.goto("/account/profiel")
    expect(phone.locator("#login-form")).to_have_count(1)
    log_in(phone, "anke@voorbeeld.nl")
