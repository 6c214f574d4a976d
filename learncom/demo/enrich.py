"""The change process around the demo posts: what a platform in use for a year holds beyond
what the JSONL format carries (that format is the posts, comments and links themselves).

Deterministic (a fixed seed), so screenshots and tests see the same figures every time.
Rows are written directly: nobody is notified of a demo's past."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from learncom.accounts.models import User
from learncom.applications.models import LessonApplication
from learncom.bundles.models import Bundle, BundleItem
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.frictions.models import StatusChange
from learncom.permissions import can_own_friction, can_view_post
from learncom.posts.models import Post, PostLink
from learncom.reactions.models import Reaction

SEED = 20261123
# The path a friction walks to reach each status; every step is a timeline event.
PATHS = {
    "raised": [],
    "on_agenda": ["on_agenda"],
    "being_addressed": ["on_agenda", "being_addressed"],
    "resolved": ["on_agenda", "being_addressed", "resolved"],
    "not_resolved": ["on_agenda", "not_resolved"],
}
REASONS = {
    "on_agenda": [
        "Veel teams herkennen dit. Het staat op de agenda van het wijkoverleg van volgende maand.",
        "Besproken met de beleidsadviseur; komt in het kwartaaloverleg met de gemeente.",
        "Meerdere buurtteams lopen hier tegenaan. We nemen het mee naar het sociaal team overleg.",
    ],
    "being_addressed": [
        "Er is een werkgroep met de gemeente en twee teams. Eerste gesprek is gepland.",
        "De afdeling Werk en Inkomen past de werkwijze aan; we volgen het in een pilot.",
        "Het contractmanagement kijkt naar een eenvoudiger procedure.",
    ],
    "resolved": [
        "De nieuwe werkwijze is ingevoerd en de teams merken het verschil.",
        "De regel is aangepast in de nieuwe beleidsregels. Dank aan iedereen die meedacht!",
    ],
    "not_resolved": [
        "Dit valt onder landelijke wetgeving; de gemeente kan het niet zelf veranderen. "
        "We hebben het doorgegeven aan de VNG.",
        "Geen budget dit jaar. We houden het bij en kijken volgend jaar opnieuw.",
    ],
}
APPLIED = [
    "We hebben het overgenomen in ons team. Bewoners kwamen eerder langs en er was minder "
    "wachttijd.",
    "Toegepast bij drie gezinnen. Het werkte, maar het kostte in het begin meer tijd.",
    "Samen met de huisartsenpraktijk geprobeerd. Goede ervaring, we gaan ermee door.",
    "Eén keer geprobeerd; de situatie was anders dan in de les, dus maar deels gelukt.",
]


def enrich(now: datetime | None = None) -> None:
    """Add status histories, reactions, curation, applications and a bundle to demo posts."""
    rng = random.Random(SEED)
    now = now or datetime.now(UTC)
    users = list(db.session.scalars(select(User).order_by(User.id)))
    coordinators = [u for u in users if can_own_friction(u)] or users[:1]
    posts = list(db.session.scalars(select(Post).order_by(Post.id)))
    _status_histories(rng, posts, coordinators, now)
    _reactions(rng, posts, users)
    lessons = _curation(rng, posts, coordinators, now)
    _applications(rng, lessons, users, now)
    _bundle(lessons, coordinators[0], now)
    _public_profiles(users)
    db.session.flush()


#: A few professionals who chose a public member page (everyone else: members only). No
#: residents: their page is for members.
PUBLIC_PROFILES = ("anke.siegers@demo.learncom.nl", "ilse.vandam@demo.learncom.nl",
                   "bram.hoekstra@demo.learncom.nl", "jeroen.bakker@demo.learncom.nl")


def _public_profiles(users) -> None:
    for user in users:
        if user.email in PUBLIC_PROFILES and user.kind in ("professional", "civil_servant"):
            user.public_profile = True


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 3600)
    return start + timedelta(seconds=rng.uniform(0.1, 0.9) * span)


def _status_histories(rng, posts, coordinators, now) -> None:
    for post in posts:
        if post.kind != "friction" or not post.change_status:
            continue
        when = post.created_at
        previous = "raised"
        path = PATHS.get(post.change_status, [])
        if path and post.owner is None:
            # Once on the agenda, a coordinator owns the friction (the board shows who).
            post.owner = rng.choice(coordinators)
        for step in path:
            when = _between(rng, when, min(now, when + timedelta(days=rng.randint(10, 90))))
            actor = post.owner or rng.choice(coordinators)
            db.session.add(StatusChange(post_id=post.id, actor_id=actor.id, from_status=previous,
                                        to_status=step, reason=rng.choice(REASONS[step]),
                                        created_at=when))
            previous = step


def _reactions(rng, posts, users) -> None:
    comments = list(db.session.scalars(select(Comment).where(Comment.deleted_at.is_(None))))
    for post in posts:
        others = [u for u in users if u.id != post.author_id and can_view_post(u, post)]
        if post.kind == "friction":
            # How widely felt: a few frictions many people recognise, most a handful.
            felt = min(len(others), int(rng.paretovariate(1.3) * 2))
            for user in rng.sample(others, felt):
                db.session.add(Reaction(user_id=user.id, post_id=post.id, kind="recognise"))
        useful = min(len(others), rng.randint(0, 6 if post.kind == "lesson" else 3))
        for user in rng.sample(others, useful):
            db.session.add(Reaction(user_id=user.id, post_id=post.id, kind="useful"))
    for comment in comments:
        if rng.random() < 0.25:
            others = [u for u in users if u.id != comment.author_id]
            for user in rng.sample(others, rng.randint(1, 4)):
                db.session.add(Reaction(user_id=user.id, comment_id=comment.id, kind="useful"))


def _curation(rng, posts, coordinators, now) -> list[Post]:
    curated = [p for p in posts if p.kind == "lesson" and p.curated]
    for post in curated:
        post.curated_by_id = rng.choice(coordinators).id
        post.curated_at = _between(rng, post.created_at, now)
        post.curation_note = "Helder geformuleerd en door meerdere teams herkend."
    return curated


def _applications(rng, lessons, users, now) -> None:
    for post in lessons:
        for _ in range(rng.randint(0, 4)):
            user = rng.choice([u for u in users if can_view_post(u, post)])
            applied = _between(rng, post.created_at, now).date()
            db.session.add(LessonApplication(
                post_id=post.id, user_id=user.id, neighbourhood_id=post.neighbourhood_id,
                team_id=user.teams[0].id if user.teams else None,
                applied_on=min(applied, date.today()), what_happened=rng.choice(APPLIED),
                friction_returned=rng.choice(["no", "no", "unknown", "yes"])))


def _bundle(lessons, coordinator, now) -> None:
    public = [p for p in lessons if p.visibility == "public"][:4]
    if not public:
        return
    intro = ("Wat we het afgelopen jaar leerden in de buurtteams, voor de gemeenteraad. "
             "Elke les komt uit de praktijk en is door een coördinator gecureerd.")
    bundle = Bundle(title="Wat werkt in de wijk: lessen voor de raad", slug="wat-werkt-in-de-wijk",
                    intro=intro,
                    created_by_id=coordinator.id, published_at=now)
    db.session.add(bundle)
    position = 0
    for lesson in public:
        bundle.items.append(BundleItem(post_id=lesson.id, position=position))
        position += 1
        behind = db.session.scalars(select(PostLink).where(PostLink.source_id == lesson.id))
        for link in behind:
            if link.target.visibility == "public" and all(
                    item.post_id != link.target_id for item in bundle.items):
                bundle.items.append(BundleItem(post_id=link.target_id, position=position))
                position += 1
