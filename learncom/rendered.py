"""Markdown rendered once, when it is written, and stored on the row (Indico's way).

A model with Markdown columns mixes in `Rendered`, names those columns in `markdown_sources`
and says in `render()` where their HTML (and a plain-text excerpt) goes. Before every flush,
new rows and rows whose Markdown changed are rendered, so no service has to remember it, and
pages, lists, feeds, the API and mails only read what is stored: a hostile text costs its
rendering once, at write time (bounded by learncom/markdown.py), never per view.

After a change to the renderer (RENDERER_VERSION), `flask learncom rerender` renders every
row again (`rerender_all`). Rows written before the HTML was stored have an empty excerpt (read
from their stored HTML meanwhile) or no kind-field HTML (rendered per view meanwhile, bounded);
`flask learncom rerender --missing` fills just those, and `make run` does so after upgrading.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from sqlalchemy import event, false, inspect, select, update
from sqlalchemy.orm import Session

from learncom.markdown import EXCERPT_LENGTH, plain_text, render_markdown, shorten

RERENDER_BATCH = 200


def html_and_excerpt(text: str | None, *, word_links: bool = False) -> tuple[str, str]:
    """A Markdown text's stored HTML and its plain-text excerpt (EXCERPT_LENGTH characters).
    `word_links`: see `render_markdown` (comments link their @mentions)."""
    rendered = str(render_markdown(text, word_links=word_links))
    return rendered, shorten(plain_text(rendered), EXCERPT_LENGTH)


def excerpt(row, length: int) -> str:
    """The row's stored plain-text excerpt cut to `length`; for a row stored before excerpts
    were, taken from its stored HTML (no Markdown is rendered)."""
    stored = row.excerpt or (plain_text(row.body_html) if row.body_html else "")
    return shorten(stored, length)


class Rendered:
    """Mixin for models that store the HTML of their Markdown columns."""

    #: The Markdown columns; a change to any of them renders the row again.
    markdown_sources: ClassVar[tuple[str, ...]] = ()

    def render(self) -> None:
        """Set the stored HTML (and excerpt) from the Markdown columns."""
        raise NotImplementedError

    @classmethod
    def not_rendered(cls):
        """SQL condition: rows stored before their HTML (or part of it) was."""
        return false()

    def markdown_changed(self) -> bool:
        state = inspect(self)
        if state.transient or state.pending:
            return True
        return any(state.attrs[name].history.has_changes() for name in self.markdown_sources)


@event.listens_for(Session, "before_flush")
def _render_changed(session: Session, _context, _instances) -> None:
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Rendered) and obj.markdown_changed():
            obj.render()


def rendered_models(registry) -> list[type]:
    """Every mapped class that stores rendered Markdown, in table order."""
    classes = [mapper.class_ for mapper in registry.mappers if issubclass(mapper.class_, Rendered)]
    return sorted(classes, key=lambda cls: cls.__tablename__)


def rerender_all(session: Session, registry, *, missing_only: bool = False,
                 batch: int = RERENDER_BATCH) -> Iterator[tuple[str, int]]:
    """Render every stored Markdown text again (or only the rows `not_rendered()`), a batch of
    rows at a time; yields (table, rows done) after each batch so the caller can commit and
    report. Columns that change by themselves on an update (`updated_at`) keep their value:
    rendering again is no edit."""
    for model in rendered_models(registry):
        table = model.__table__
        key = inspect(model).primary_key[0]
        kept = [column for column in table.columns if column.onupdate is not None]
        done, last = 0, None
        while True:
            query = select(model).order_by(key).limit(batch)
            if missing_only:
                query = query.where(model.not_rendered())
            if last is not None:
                query = query.where(key > last)
            rows = list(session.scalars(query))
            if not rows:
                break
            last = getattr(rows[-1], key.key)
            with session.no_autoflush:
                for row in rows:
                    row.render()
                    values = {attr: getattr(row, attr) for attr in _stored_columns(row)}
                    if not values:
                        continue
                    values.update({column.key: getattr(row, column.key) for column in kept})
                    session.execute(update(table).where(key == getattr(row, key.key))
                                    .values(values))
                    session.expire(row)  # its new values went out by UPDATE, not by flush
            done += len(rows)
            yield table.name, done


def _stored_columns(row: Rendered) -> list[str]:
    """The columns `render()` changed on this row."""
    state = inspect(row)
    return [attr.key for attr in state.attrs if attr.history.has_changes()]
