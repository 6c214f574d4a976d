"""An admin, in a real browser: finds a member, makes her coordinator, and finds that role change
in the audit log. The member's open session ends with the change; after logging in again she
has the coordinator's pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from learncom.accounts.models import User
from learncom.extensions import db
from tests.browser.conftest import end_transaction, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def members(people):
    ids = {"admin": people["admin"].email, "member": people["member"].email,
           "member_id": people["member"].id}
    people["author"], people["commenter"]  # noqa: B018 -- more members in the list
    end_transaction()
    return ids


def test_admin_journey(page: Page, open_context, members, journey):
    steps = journey("admin")
    member_id = members["member_id"]
    row = page.locator(f"#admin-member-{member_id}")

    # The member is logged in elsewhere, as a member: no coordinator pages.
    elsewhere = open_context().new_page()
    log_in(elsewhere, members["member"])
    expect(elsewhere.locator("#nav-curation")).to_have_count(0)

    # -- find the member and make her coordinator ----------------------------------------------
    log_in(page, members["admin"])
    page.locator(".user-nav a[href='/beheer/leden']").click()
    expect(page.locator("h1")).to_have_text("Leden beheren")
    expect(page.locator("#admin-members tbody tr")).to_have_count(4)
    steps.step(page, "manage members")
    page.locator("#admin-q").fill("Mira")
    page.locator("#admin-members-filter button[type=submit]").click()
    expect(page.locator("#admin-members tbody tr")).to_have_count(1)
    expect(row.locator("td").first).to_contain_text("Mira Lid")
    steps.step(page, "members filtered on a name")
    role = row.locator("select[name=role]")
    expect(role).to_have_accessible_name("Rol van Mira Lid")
    role.select_option("coordinator")
    row.locator("form.role-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_have_text("Mira Lid is nu coördinator.")
    expect(page).to_have_url(re.compile(r"/beheer/leden\?q=Mira"))  # back to the same list
    expect(row.locator("select[name=role] option:checked")).to_have_text("Coördinator")
    steps.step(page, "role changed")
    assert db.session.get(User, member_id).role == "coordinator"
    end_transaction()

    # -- the audit log has it --------------------------------------------------------------------
    page.locator("#nav-audit").click()
    expect(page.locator("h1")).to_have_text("Auditlog")
    steps.step(page, "audit log")
    page.locator("#audit-action").select_option(label="Rol veranderd")
    page.locator("#audit-filters button[type=submit]").click()
    events = page.locator("#audit-log tr.audit-event")
    expect(events).to_have_count(1)
    event = events.first
    expect(event).to_have_attribute("data-action", "member.role_changed")
    expect(event.locator(".audit-actor")).to_contain_text("Ada Beheer")
    expect(event.locator(".audit-target")).to_have_text("Mira Lid")
    expect(event.locator(".audit-detail")).to_contain_text("Lid")
    expect(event.locator(".audit-detail")).to_contain_text("Coördinator")
    steps.step(page, "audit log: the role change")

    # -- the member's session ended; logged in again she is a coordinator ---------------------
    elsewhere.reload()
    expect(elsewhere.locator("form[action='/account/uitloggen']")).to_have_count(0)
    log_in(elsewhere, members["member"])
    expect(elsewhere.locator("#nav-curation")).to_be_visible()
    expect(elsewhere.locator("#nav-moderation")).to_be_visible()
    steps.step(elsewhere, "the new coordinator's menu")
