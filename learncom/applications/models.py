"""Lessons applied: a member's record that a lesson was put to use somewhere, and how it went."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learncom.accounts.models import Team, User
from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db
from learncom.markdown import render_markdown
from learncom.posts.models import Neighbourhood, Post
from learncom.rendered import Rendered

FRICTION_RETURNED = ("yes", "no", "unknown")


class LessonApplication(Rendered, db.Model):
    __tablename__ = "lesson_applications"
    __table_args__ = (
        CheckConstraint("friction_returned IN ('yes', 'no', 'unknown')", name="friction_returned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"))
    place: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    applied_on: Mapped[date] = mapped_column(Date)
    what_happened: Mapped[str] = mapped_column(Text)
    what_happened_html: Mapped[str] = mapped_column(Text, default="")  # learncom/rendered.py
    friction_returned: Mapped[str] = mapped_column(String(8), default="unknown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    user: Mapped[User | None] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    team: Mapped[Team | None] = relationship()

    def __repr__(self) -> str:
        return f"<LessonApplication {self.id} of post {self.post_id}>"

    markdown_sources = ("what_happened",)

    def render(self) -> None:
        self.what_happened_html = str(render_markdown(self.what_happened))

    @property
    def where(self) -> str:
        """The neighbourhood, the free-text place, or both."""
        parts = [self.neighbourhood.name if self.neighbourhood else None, self.place]
        return " · ".join(part for part in parts if part)
