"""The search index queue: one row per post change, written in the same transaction as the change.

A row says "post N changed" (or was deleted); the drain reads the post's current state from the
database, so the order of rows and their `op` only matter for reading the log, never for
correctness. Rows are deleted only after the index has committed them, so a crash anywhere in
between loses nothing: the next drain or `flask search sync` picks them up again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from learncom.dbtypes import UTCDateTime, utcnow
from learncom.extensions import db

OPS = ("upsert", "delete")


class IndexQueue(db.Model):
    __tablename__ = "index_queue"
    # AUTOINCREMENT on SQLite: a plain INTEGER PRIMARY KEY hands the id of a deleted newest row
    # to the next row, and a drain that forgets the rows it indexed (by id) would then forget a
    # new post's row that no drain has read: the post never reaches the index.
    __table_args__ = (CheckConstraint("op IN ('upsert', 'delete')", name="op"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a "delete" row must outlive its post.
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(8), default="upsert")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<IndexQueue {self.id} {self.op} post={self.post_id}>"


class SimilarRanking(db.Model):
    """The posts most like a post, best first, ranked once per version of its text and kept
    for every viewer, process and machine (`services.similar`). Ids only, no text: each viewer
    still gets only the posts they may see. Ranked again in the background when the post's
    text changes, and when the ranking is older than a day (newer posts may belong in it)."""

    __tablename__ = "similar_rankings"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: blake2b of the text the ranking was made from (title and body).
    digest: Mapped[str] = mapped_column(String(32))
    #: Post ids, best first, separated by commas.
    ranked: Mapped[str] = mapped_column(Text, default="")
    ranked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SimilarRanking post={self.post_id}>"
