"""A member who did everything learncom allows, for the tests of "my data" and of deleting an
account (the `member_world` fixture in conftest.py).

The member's name, e-mail address and one word only their content contains are random per
test, so a search through raw database or index files never finds a previous test's data.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from learncom.accounts import services as accounts
from learncom.accounts.models import User
from learncom.applications import services as applications
from learncom.discussion import services as discussion
from learncom.discussion.models import Comment
from learncom.extensions import db
from learncom.follow import services as follow
from learncom.guard.models import PrivacyOverride
from learncom.mail import send_mail
from learncom.moderation import services as moderation
from learncom.posts import services as posts
from learncom.posts.models import Post, Tag
from learncom.reactions import services as reactions


@dataclass
class MemberWorld:
    member: User
    other: User  # another member, who replies and mentions the member
    coordinator: User
    admin: User
    name: str  # the member's display name, e-mail address and a word only their content has
    email: str
    word: str
    surname: str  # the unusual part of the name (how the search index holds it)
    post: Post  # the member's public post (edited once: two revisions)
    team_post: Post
    other_post: Post  # by `other`, where the member commented
    leaf_comment: Comment  # the member's comment nobody answered
    answered_comment: Comment  # the member's comment `other` replied to
    reply: Comment  # `other`'s reply to it
    mention: Comment  # `other`'s comment mentioning the member by name
    lesson: Post  # by `other`; the member recorded applying it
    ids: dict[str, int]  # the ids of the posts above, usable after they were deleted

    def needles(self, *, content: bool) -> list[str]:
        """What must be gone: the name, the e-mail address and, when the member's content
        was removed too, the word only it contained."""
        found = [self.surname, self.email]
        return found + [self.word] if content else found


def _random_letters(n: int = 7) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))  # noqa: S311


def build_member_world(create_user, password: str) -> MemberWorld:
    suffix = _random_letters()
    surname = f"Quist{suffix}"
    name, email, word = f"Zebediah {surname}", f"zeb.{suffix}@example.org", f"xylo{suffix}"
    member = create_user(name, email=email, kind="resident", organisation=f"Stichting {surname}",
                         function="ervaringsdeskundige", password=password)
    member.public_profile = True
    other = create_user("Bert Bakker", email="bert@example.org", password=password)
    coordinator = create_user("Carla Coördinator", role="coordinator",
                              email="carla@example.org", password=password)
    admin = create_user("Ada Admin", role="admin", email="ada@example.org", password=password)
    team = accounts.get_or_create_team("Team Oost")
    accounts.add_team_member(team, member, by=coordinator)  # audit: names the member
    db.session.flush()

    post = posts.create_post(member, posts.PostInput(
        kind="experiment", title=f"Buurtkamer {word}", body=f"Een tekst over {word} in de wijk.",
        tags=[word, "eenzaamheid"],
        neighbourhood_id=posts.get_or_create_neighbourhood("Overvecht", "Utrecht").id,
        fields={"status": "running", "hypothesis": f"Werkt {word}?"}))
    posts.update_post(post, member, posts.PostInput(
        kind="experiment", title=f"Buurtkamer {word}", body=f"Een betere tekst over {word}.",
        tags=[word, "eenzaamheid"], neighbourhood_id=post.neighbourhood_id,
        fields={"status": "running", "hypothesis": f"Werkt {word}?"}))
    posts.add_log_entry(post, member, f"Logboek: {word} liep goed.", date(2025, 3, 1))
    team_post = posts.create_post(member, posts.PostInput(
        kind="friction", title=f"Teamfrictie {word}", body="Alleen voor het team.",
        tags=["regels"], team_id=team.id, visibility="team", fields={}))
    db.session.add(PrivacyOverride(user_id=member.id, post_id=post.id, target_type="posts",
                                   target_id=post.id, kinds=["phone"],
                                   reason=f"Mijn eigen nummer, {word}"))

    other_post = posts.create_post(other, posts.PostInput(
        kind="experiment", title="Inloop op dinsdag", body="Koffie en een praatje.",
        tags=["eenzaamheid"], fields={"status": "idea"}))
    leaf = discussion.add_comment(other_post, member, f"Bij ons ook, met {word}.")
    answered = discussion.add_comment(other_post, member, f"Hoe deden jullie {word}?")
    reply = discussion.add_comment(other_post, other, "Met vrijwilligers uit de buurt.",
                                   parent=answered)
    mention = discussion.add_comment(other_post, other, f"Dank je, @{name}! Goed idee.")
    reactions.toggle(member, "recognise", post=other_post)
    follow.set_following(member, db.session.scalars(
        db.select(Tag).where(Tag.name == "eenzaamheid")).one(), True)

    lesson = posts.create_post(other, posts.PostInput(
        kind="lesson", title="Vraag eerst wat iemand wil", body="Begin bij de bewoner.",
        tags=["eenzaamheid"], fields={"statement": "Begin bij de vraag."}))
    applications.record_application(lesson, member, applications.ApplicationInput(
        applied_on=date.today() - timedelta(days=2), what_happened=f"Toegepast met {word}.",
        place="Buurthuis De Boog"))
    moderation.flag(member, other_post, "other", f"Melding over {word}")

    send_mail(email, f"Welkom, {name}", f"Hallo {name}, je account ({email}) is actief.")
    send_mail(other.email, "Nieuwe reactie", f"{name} reageerde op je post.")
    db.session.commit()
    ids = {"post": post.id, "team_post": team_post.id, "other_post": other_post.id,
           "lesson": lesson.id, "member": member.id, "leaf_comment": leaf.id,
           "answered_comment": answered.id, "reply": reply.id, "mention": mention.id}
    return MemberWorld(member, other, coordinator, admin, name, email, word, surname, post,
                       team_post, other_post, leaf, answered, reply, mention, lesson, ids)
