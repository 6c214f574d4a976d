"""A newcomer's first day, in a real browser: register, confirm by e-mail, post an experiment with
two tags, find it on a tag page; another member replies in its thread; the newcomer sees it.
And the discussion works with JavaScript switched off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from learncom.accounts.models import User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.posts.models import Post
from tests.browser.conftest import confirmation_link, end_transaction, log_in, post_id_from

pytestmark = pytest.mark.browser

NEWCOMER_EMAIL = "fatima.elamrani@example.org"
NEWCOMER_PASSWORD = "buurtkamer op dinsdag"
TITLE = "Buurtkamer als vindplaats voor eenzame ouderen"


def test_register_post_find_and_discuss(page: Page, open_context, live_server, create_user,
                                        results_dir, check_a11y, screenshot):
    # -- register and confirm ----------------------------------------------------------------
    page.goto("/")
    check_a11y(page, "home, anonymous")
    page.locator("a[href='/account/registreren']").first.click()
    check_a11y(page, "register form")
    form = page.locator("#register-form")
    form.locator("input[name=name]").fill("Fatima El Amrani")
    form.locator("select[name=kind]").select_option("professional")
    form.locator("input[name=organisation]").fill("Buurtteam Kanaleneiland")
    form.locator("input[name=function]").fill("wijkwerker")
    form.locator("input[name=email]").fill(NEWCOMER_EMAIL)
    form.locator("input[name=password]").fill(NEWCOMER_PASSWORD)
    form.locator("input[name=password_again]").fill(NEWCOMER_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#register-sent")).to_be_visible()
    check_a11y(page, "register: check your e-mail")
    assert db.session.scalar(select(User).where(User.email == NEWCOMER_EMAIL)) is None
    end_transaction()

    page.goto(confirmation_link(NEWCOMER_EMAIL))
    check_a11y(page, "confirm the account")
    page.locator("#confirm-form button[type=submit]").click()
    expect(page.locator("form[action='/account/uitloggen']")).to_have_count(1)
    # A new member starts on the welcome page.
    expect(page.locator("#welcome")).to_be_visible()
    check_a11y(page, "welcome page")
    newcomer = db.session.scalars(select(User).where(User.email == NEWCOMER_EMAIL)).one()
    assert (newcomer.name, newcomer.kind, newcomer.organisation) == (
        "Fatima El Amrani", "professional", "Buurtteam Kanaleneiland")
    end_transaction()

    # -- post an experiment with two tags ---------------------------------------------------
    page.goto("/posts/nieuw/experiment")
    check_a11y(page, "new experiment form")
    form = page.locator("#post-form")
    form.locator("input[name=title]").fill(TITLE)
    form.locator("textarea[name=body]").fill(
        "Elke dinsdag staat de deur van de **buurtkamer** open. We zien wie er komt.")
    form.locator("input[name=tags]").fill("Eenzaamheid, Buurtkamer")
    form.locator("textarea[name=hypothesis]").fill(
        "Wie koffie komt drinken, vertelt ook over wat er thuis speelt.")
    form.locator("select[name=status]").select_option("running")
    form.locator("button[value=publish]").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    post_id = post_id_from(page)
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("ul.tags a.tag")).to_have_text(["buurtkamer", "eenzaamheid"])
    check_a11y(page, "experiment, as its author")

    post = db.session.get(Post, post_id)
    assert (post.kind, post.author_id, post.status) == ("experiment", newcomer.id, "running")
    assert [tag.name for tag in post.tags] == ["buurtkamer", "eenzaamheid"]
    end_transaction()

    # -- find it on a tag page ----------------------------------------------------------------
    page.locator("ul.tags a.tag", has_text="eenzaamheid").click()
    expect(page).to_have_url(re.compile(r"/tags/eenzaamheid$"))
    card_link = page.locator(f"a[href='/posts/{post_id}']", has_text=TITLE)
    expect(card_link).to_be_visible()
    check_a11y(page, "tag page, member")
    card_link.click()
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}$"))

    # The newcomer opens the thread with a question.
    page.locator("#new-comment-body").fill("Wie heeft dit ook geprobeerd? Hoe vond je de mensen?")
    page.locator("form.new-comment button[type=submit]").click()
    question = page.locator("#reacties article.comment")
    expect(question).to_have_count(1)
    check_a11y(page, "experiment with a comment")
    question_id = db.session.scalars(select(Comment.id).where(Comment.post_id == post_id)).one()
    end_transaction()

    # -- a second member replies in its thread (another browser) -----------------------------
    create_user("Bram Visser", kind="resident", email="bram@example.org")
    other = open_context().new_page()
    log_in(other, "bram@example.org")
    other.goto(f"/posts/{post_id}")
    other.locator(f"#reactie-{question_id} details.reply summary").click()
    reply_box = other.locator(f"#reply-{question_id}")
    expect(reply_box).to_be_visible()
    check_a11y(other, "reply box open")
    reply_box.fill("Bij ons in Overvecht werkte een vaste gastvrouw het best.")
    other.locator(f"#reactie-{question_id} details.reply button[type=submit]").click()
    expect(other.locator("#reacties article.comment")).to_have_count(2)

    reply = db.session.scalars(
        select(Comment).where(Comment.post_id == post_id, Comment.id != question_id)).one()
    assert (reply.parent_id, reply.author.email) == (question_id, "bram@example.org")
    reply_id = reply.id
    end_transaction()

    # -- the newcomer sees the reply, nested under the question ------------------------------
    page.goto(f"/posts/{post_id}")
    nested = page.locator(f"#reacties li:has(> #reactie-{question_id}) ul.thread "
                          f"#reactie-{reply_id}")
    expect(nested).to_be_visible()
    expect(nested.locator(".comment-body")).to_contain_text("vaste gastvrouw")
    expect(nested.locator(".member a")).to_have_text("Bram Visser")
    check_a11y(page, "thread with a nested reply")
    screenshot(page, results_dir / "journey-post.png")


def test_discussion_works_without_javascript(open_context, live_server, create_user,
                                             create_post):
    author = create_user("Anke Siegers", email="anke@example.org")
    post = create_post(author, title="Voor elke kleine hulpvraag een nieuwe indicatie",
                       kind="friction", obstacle_type="procedure")
    create_user("Sanne de Wit", kind="expert_by_experience", email="sanne@example.org")
    post_id = post.id
    end_transaction()

    page = open_context(java_script_enabled=False).new_page()
    log_in(page, "sanne@example.org")
    page.goto(f"/posts/{post_id}")
    page.locator("#new-comment-body").fill("Herkenbaar: drie keer hetzelfde verhaal vertellen.")
    page.locator("form.new-comment button[type=submit]").click()
    expect(page.locator("#reacties article.comment")).to_have_count(1)
    comment_id = db.session.scalars(select(Comment.id).where(Comment.post_id == post_id)).one()
    end_transaction()

    # A reply through the <details> box, which opens without any script.
    page.locator(f"#reactie-{comment_id} details.reply summary").click()
    page.locator(f"#reply-{comment_id}").fill("Bij ons ook, en dan nog een keer bij de gemeente.")
    page.locator(f"#reactie-{comment_id} details.reply button[type=submit]").click()
    expect(page.locator("#reacties article.comment")).to_have_count(2)

    comments = db.session.scalars(
        select(Comment).where(Comment.post_id == post_id).order_by(Comment.id)).all()
    assert [c.parent_id for c in comments] == [None, comment_id]
    assert {c.author.email for c in comments} == {"sanne@example.org"}
    end_transaction()
