"""A resident's journey, in a real browser: register, confirm from the mail, read the welcome
page, find a friction through search with a filter, say "herkenbaar", reply in its thread, and
hear about it when a coordinator answers. Run twice: with JavaScript on a wide screen, and with
JavaScript switched off on a 360×740 phone (the header menu folded behind "Menu")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from learncom.accounts.models import User
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.follow.models import Notification
from learncom.reactions.models import Reaction
from tests.browser.conftest import (
    PHONE,
    WIDE,
    confirmation_link,
    end_transaction,
    log_in,
    open_menu,
)

pytestmark = [pytest.mark.browser, pytest.mark.search]

EMAIL = "yara.bewoner@example.org"
NAME = "Yara uit Overvecht"
FRICTION = "Voor elke kleine hulpvraag een nieuwe indicatie"
EXPERIMENT = "Lichte indicatie via het buurtteam"
REPLY = "Bij mijn vader precies zo: drie gesprekken voor één douchebeurt."
ANSWER = "Dank je, Yara. We nemen jouw voorbeeld mee naar het wijkoverleg."


@pytest.fixture
def neighbourhood(people, create_post, create_comment):
    """A friction about indications with a comment in its thread, and an experiment that
    matches the same word (so the search filter has something to leave out)."""
    friction = create_post(people["member"], kind="friction", title=FRICTION,
                           body="Voor de boodschappen moest mijn moeder opnieuw een indicatie "
                                "aanvragen, met weer een keukentafelgesprek.",
                           tags=["indicatie", "regelreflex"], neighbourhood="Overvecht",
                           obstacle_type="procedure")
    create_post(people["author"], title=EXPERIMENT, tags=["indicatie"],
                body="Het buurtteam geeft zelf een lichte indicatie af.", status="running")
    comment = create_comment(friction, people["commenter"],
                             "Bij ons ook: drie keer hetzelfde verhaal vertellen.")
    ids = {"friction": friction.id, "comment": comment.id,
           "coordinator": people["coordinator"].email}
    end_transaction()
    return ids


@pytest.mark.parametrize("way", ["javascript", "no-javascript-360"])
def test_resident_journey(way, open_context, neighbourhood, journey):
    javascript = way == "javascript"
    steps = journey(f"resident-{way}")
    page = open_context(java_script_enabled=javascript,
                        viewport=WIDE if javascript else PHONE).new_page()
    friction_id, comment_id = neighbourhood["friction"], neighbourhood["comment"]

    # -- register -----------------------------------------------------------------------------
    page.goto("/")
    steps.step(page, "home, visitor")
    open_menu(page)
    page.locator(".user-nav a[href='/account/registreren']").click()
    expect(page.locator("h1")).to_have_text("Registreren")
    steps.step(page, "register form")
    form = page.locator("#register-form")
    form.locator("input[name=name]").fill(NAME)
    form.locator("select[name=kind]").select_option(label="Bewoner")
    form.locator("input[name=email]").fill(EMAIL)
    form.locator("input[name=password]").fill("koffie in de buurtkamer")
    form.locator("input[name=password_again]").fill("koffie in de buurtkamer")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account/registreren/verstuurd$"))
    expect(page.locator("#register-sent")).to_contain_text(EMAIL)
    steps.step(page, "check your e-mail")

    # -- confirm from the mail: the link's token moves into the session ------------------------
    link = confirmation_link(EMAIL)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 32 and EMAIL.split("@")[0] not in link, link
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/account/bevestigen$"))  # no token in the address
    confirm = page.locator("main")
    expect(confirm.locator("h1")).to_have_text("Activeer je account")
    expect(confirm.locator("dl.fields")).to_contain_text(NAME)
    expect(confirm.locator("dl.fields")).to_contain_text("Bewoner")
    steps.step(page, "activate the account")
    page.locator("#confirm-form button[type=submit]").click()

    # -- the welcome page ---------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/welkom\?next=(/|%2F)$"))
    expect(page.locator(".flash-success")).to_contain_text(f"Welkom, {NAME}!")
    expect(page.locator("#welcome h1")).to_contain_text(NAME)
    expect(page.locator("#welcome-kinds-title")).to_have_text("Soorten berichten")
    steps.step(page, "welcome page")
    resident = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert (resident.name, resident.kind, resident.role) == (NAME, "resident", "member")
    resident_id = resident.id
    end_transaction()
    page.locator("#welcome-continue").click()
    expect(page).to_have_url(re.compile(r"/$"))

    # -- find the friction: search, then filter on the kind -----------------------------------
    page.locator("#site-search-q").fill("indicatie")
    page.locator("#site-search-q").press("Enter")
    expect(page).to_have_url(re.compile(r"/zoeken\?q=indicatie$"))
    expect(page.locator("#result-count")).to_have_text("2 resultaten")
    steps.step(page, "search results")
    page.locator(".facet-value[data-facet=kind][data-value=friction]").click()
    expect(page.locator("#result-count")).to_have_text("1 resultaat")
    chip = page.locator(".active-filters .filter-remove[data-filter=kind]")
    expect(chip).to_contain_text("Frictie")
    expect(chip).not_to_contain_text("friction")
    hits = page.locator("#search-hits .search-hit")
    expect(hits).to_have_count(1)
    expect(hits.locator(".card-title")).to_have_text(FRICTION)
    steps.step(page, "search filtered on frictions")
    hits.locator(".card-title a").click()
    expect(page).to_have_url(re.compile(rf"/posts/{friction_id}$"))
    expect(page.locator("h1")).to_have_text(FRICTION)
    steps.step(page, "the friction")

    # -- herkenbaar -----------------------------------------------------------------------------
    recognise = page.locator(f"#post-{friction_id} form.reaction-recognise")
    expect(recognise.locator(".reaction-label")).to_have_text("Herkenbaar")
    expect(recognise.locator(".reaction-count")).to_have_text("0")
    recognise.locator("button.reaction-toggle").click()
    expect(recognise.locator(".reaction-count")).to_have_text("1")
    expect(recognise.locator("button.reaction-toggle")).to_have_attribute("aria-pressed", "true")
    steps.step(page, "after herkenbaar")
    assert db.session.scalars(select(Reaction.kind).where(
        Reaction.post_id == friction_id, Reaction.user_id == resident_id)).all() == ["recognise"]
    end_transaction()

    # -- reply in the thread ------------------------------------------------------------------
    thread_comment = page.locator(f"#reactie-{comment_id}")
    thread_comment.locator("details.reply summary").click()
    expect(page.locator(f"#reply-{comment_id}")).to_be_visible()
    steps.step(page, "reply box open")
    page.locator(f"#reply-{comment_id}").fill(REPLY)
    thread_comment.locator("details.reply button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/posts/{friction_id}#reactie-\d+$"))
    reply_id = int(page.url.rsplit("reactie-", 1)[1])
    mine = page.locator(f"#reacties li:has(> #reactie-{comment_id}) ul.thread #reactie-{reply_id}")
    expect(mine).to_be_focused()
    expect(mine.locator(".comment-body")).to_have_text(REPLY)
    expect(mine.locator(".comment-meta .member a")).to_have_text(NAME)
    steps.step(page, "my reply, under the comment")

    # -- a coordinator answers (another browser) ----------------------------------------------
    coordinator = open_context().new_page()
    log_in(coordinator, neighbourhood["coordinator"])
    coordinator.goto(f"/posts/{friction_id}")
    coordinator.locator(f"#reactie-{reply_id} details.reply summary").click()
    coordinator.locator(f"#reply-{reply_id}").fill(ANSWER)
    steps.step(coordinator, "coordinator answers the resident")
    coordinator.locator(f"#reactie-{reply_id} details.reply button[type=submit]").click()
    expect(coordinator).to_have_url(re.compile(rf"/posts/{friction_id}#reactie-\d+$"))
    answer_id = int(coordinator.url.rsplit("reactie-", 1)[1])
    coordinator.context.close()

    # -- the resident hears about it ----------------------------------------------------------
    page.goto("/")
    if not javascript:  # on the phone the folded menu's button shows it (not only the menu)
        expect(page.locator("#site-menu > summary #menu-unread")).to_have_text("1 ongelezen")
    steps.step(page, "one new notification")
    open_menu(page)
    link = page.locator("#notifications-link")
    expect(link.locator(".unread-count")).to_have_text("1 ongelezen")
    link.click()
    notice = page.locator("#notifications .notification").first
    expect(notice).to_have_class(re.compile(r"\bunread\b"))
    expect(notice.locator(".notification-link")).to_have_text(
        f"Cor Coördinator reageerde op jouw reactie bij “{FRICTION}”.")
    expect(notice.locator(".notification-excerpt")).to_contain_text("wijkoverleg")
    steps.step(page, "notifications")
    notice.locator(".notification-link").click()
    expect(page).to_have_url(re.compile(rf"/posts/{friction_id}#reactie-{answer_id}$"))
    answer = page.locator(f"#reactie-{reply_id} ~ ul.thread #reactie-{answer_id}")
    expect(answer.locator(".comment-body")).to_have_text(ANSWER)
    expect(answer.locator(".comment-meta .member a")).to_have_text("Cor Coördinator")
    steps.step(page, "the coordinator's answer")

    replies = db.session.scalars(select(Comment.parent_id).where(
        Comment.id.in_([reply_id, answer_id])).order_by(Comment.id)).all()
    assert replies == [comment_id, reply_id]
    read = db.session.scalars(select(Notification.read_at).where(
        Notification.user_id == resident_id)).all()
    assert len(read) == 1 and read[0] is not None
    end_transaction()

