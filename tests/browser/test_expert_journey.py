"""An expert by experience, in a real browser: comments on an experiment, is @mentioned by
another member (who picks the name from the suggestions), sees the notification and follows it
to the mention, which links to their page; edits the comment ("bewerkt") and deletes it
("[verwijderd]")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from learncom.discussion.models import Comment
from learncom.extensions import db
from tests.browser.conftest import end_transaction, log_in

pytestmark = pytest.mark.browser

EXPERT = "Kees Ervaring"
TITLE = "Samen de post openen"
MINE = "Uit eigen ervaring: een brief openen met iemand naast je scheelt de helft van de angst."
EDITED = ("Uit eigen ervaring: een brief openen met iemand naast je scheelt de helft van de "
          "angst. En spreek af wie de brief bewaart.")


@pytest.fixture
def thread(people, create_user, create_post):
    expert = create_user(EXPERT, kind="expert_by_experience", email="kees@example.org")
    post = create_post(people["author"], title=TITLE, tags=["schulden", "post"],
                       body="Wekelijks openen we samen met bewoners hun post.",
                       status="running")
    ids = {"post": post.id, "expert": expert.id, "member": people["member"].email}
    end_transaction()
    return ids


def test_expert_by_experience_journey(page: Page, open_context, thread, journey):
    steps = journey("expert-by-experience")
    post_id = thread["post"]

    # -- a comment -------------------------------------------------------------------------------
    log_in(page, "kees@example.org")
    page.goto(f"/posts/{post_id}")
    steps.step(page, "the experiment")
    page.locator("#new-comment-body").fill(MINE)
    page.locator("form.new-comment button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}#reactie-\d+$"))
    mine_id = int(page.url.rsplit("reactie-", 1)[1])
    mine = page.locator(f"#reactie-{mine_id}")
    expect(mine).to_be_focused()
    expect(mine.locator(".comment-body")).to_have_text(MINE)
    expect(mine.locator(".comment-edited")).to_have_count(0)
    steps.step(page, "my comment")

    # -- another member mentions the expert, picking the name from the suggestions --------------
    other = open_context().new_page()
    log_in(other, thread["member"])
    other.goto(f"/posts/{post_id}")
    box = other.locator("#new-comment-body")
    box.press_sequentially("Mooi gezegd. @Kee")
    suggestions = other.locator(f"#{box.get_attribute('aria-controls')}")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("[role=option]")).to_have_text([EXPERT])
    expect(box).to_have_attribute("aria-expanded", "true")
    steps.step(other, "name suggestions for @Kee")
    box.press("Enter")
    expect(box).to_have_value(f"Mooi gezegd. @{EXPERT} ")
    box.press_sequentially("wil jij dit op de bewonersavond vertellen?")
    other.locator("form.new-comment button[type=submit]").click()
    expect(other).to_have_url(re.compile(rf"/posts/{post_id}#reactie-\d+$"))
    mention_id = int(other.url.rsplit("reactie-", 1)[1])
    other.context.close()

    # -- the expert sees the notification and follows it ----------------------------------------
    page.goto("/")
    link = page.locator("#notifications-link")
    expect(link.locator(".unread-count")).to_have_text("1 ongelezen")
    link.click()
    notice = page.locator("#notifications .notification").first
    expect(notice.locator(".notification-link")).to_have_text(
        f"Mira Lid noemde jou in “{TITLE}”.")
    steps.step(page, "notification of the mention")
    notice.locator(".notification-link").click()
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}#reactie-{mention_id}$"))
    mention = page.locator(f"#reactie-{mention_id}")
    expect(mention).to_be_focused()
    name_link = mention.locator(f".comment-body a[href='/leden/{thread['expert']}']")
    expect(name_link).to_have_text(f"@{EXPERT}")
    steps.step(page, "the mention, a link to my page")

    # -- edit the comment: it reads "bewerkt" ----------------------------------------------------
    mine.locator("a.comment-edit").click()
    expect(page).to_have_url(re.compile(rf"/reacties/{mine_id}/bewerken$"))
    expect(page.locator("h1")).to_have_text("Reactie bewerken")
    steps.step(page, "edit my comment")
    page.locator("textarea[name=body]").fill(EDITED)
    page.locator("form.comment-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}#reactie-{mine_id}$"))
    expect(mine.locator(".comment-body")).to_have_text(EDITED)
    expect(mine.locator(".comment-edited")).to_contain_text("bewerkt")
    steps.step(page, "edited, marked bewerkt")

    # -- delete it: "[verwijderd]", the reply to it stays ----------------------------------------
    mine.locator("details.confirm-delete summary").click()
    expect(mine.locator("details.confirm-delete p")).to_contain_text("Deze reactie verwijderen?")
    steps.step(page, "delete: are you sure?")
    mine.locator("details.confirm-delete button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("De reactie is verwijderd")
    expect(mine).to_have_class(re.compile(r"\bcomment-deleted\b"))
    expect(mine.locator(".comment-body")).to_have_text("[verwijderd]")
    expect(page.locator(f"#reactie-{mention_id} .comment-body")).to_contain_text("bewonersavond")
    steps.step(page, "deleted")

    comment = db.session.get(Comment, mine_id)
    assert comment.is_deleted and comment.edited_at is not None
    assert EDITED not in (comment.body or "")
    end_transaction()
