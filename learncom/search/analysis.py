"""Text helpers every search engine shares: plain text from Markdown (what is indexed and what
snippets are cut from) and safe snippets (the user's text escaped, only our own `<mark>`).

How words are analysed (Dutch stemming, accent folding, compounds) belongs to each engine: the
Whoosh engine's analyzer lives in `whoosh/analysis.py`, the PostgreSQL engine uses text search
configurations (`postgres/schema.py`). Both find compounds the same way: a query word of at
least `MIN_COMPOUND_LENGTH` letters also matches the indexed words that start with its stem
("schuldhulp" finds "schuldhulpverlening"), ranked below the word itself.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

# Words: letters and digits, with inner dots kept ("e.g", "1.5"), as Whoosh's default.
WORD_PATTERN = r"\w+(\.?\w+)*"
WORD = re.compile(WORD_PATTERN)

MIN_COMPOUND_LENGTH = 5

# -- plain text from Markdown ------------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKUP = re.compile(
    r"^\s{0,3}(?:#{1,6}|>+)\s*|[*_`~]{1,3}|</?[A-Za-z][^<>\n]{0,200}>|^\s*[-+*]\s+|^\s*\d+\.\s+",
    re.MULTILINE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def plain_text(markdown_text: str | None) -> str:
    """Markdown source as readable plain text, cheaply (no rendering): for indexing and snippets.

    Rendering every post through Markdown + the sanitiser would triple rebuild time; the
    tokenizer ignores punctuation anyway, so only the markup a reader would notice in a snippet
    (emphasis, headings, quotes, list bullets, link targets, tags) is stripped.

    Cached by the source text: a results page strips the same bodies and comments again and
    again (these regexes were the biggest cost of highlighting ten hits).
    """
    if not markdown_text:
        return ""
    text = _MD_LINK.sub(r"\1", markdown_text)
    text = _MD_MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# -- folding -----------------------------------------------------------------------------------

def _fold_table() -> dict[int, str]:
    """Lower-case accented Latin letters to their base letter, one character for one, so
    offsets in the folded text are offsets in the original."""
    table = {}
    for code in range(0xC0, 0x250):
        decomposed = unicodedata.normalize("NFD", chr(code).lower())
        if len(chr(code).lower()) == 1 and decomposed[0].isascii() and decomposed[0].isalpha():
            table[code] = decomposed[0]
    return table


_FOLD = _fold_table()


@lru_cache(maxsize=2048)
def fold(text: str) -> str:
    """Lower case without accents, one character for one where Python allows it."""
    return text.lower().translate(_FOLD)


# -- safe snippets -----------------------------------------------------------------------------

Spans = list[tuple[int, int]]


def snippet(text: str, spans: Spans, *, width: int = 220) -> Markup | None:
    """A window of `text` around its densest matches (`spans`: (start, end) of each matching
    word, in order), as safe HTML: every piece of the user's text is escaped and only our own
    `<mark>` tags are added. None when nothing matches."""
    if not text or not spans:
        return None
    # The window that holds the most matches, starting at a match.
    best_start, best_count, ahead = spans[0][0], 0, 0
    for i, (start, _end) in enumerate(spans):
        ahead = max(ahead, i)
        while ahead < len(spans) and spans[ahead][0] < start + width:
            ahead += 1
        if ahead - i > best_count:
            best_start, best_count = start, ahead - i
    lead = width // 5
    begin = max(0, best_start - lead)
    if begin > 0:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and best_start - space < lead * 2 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > best_start else end
    parts: list[str] = ["…"] if begin > 0 else []
    cursor = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        parts.append(str(escape(text[cursor:start])))
        parts.append(f"<mark>{escape(text[start:stop])}</mark>")
        cursor = stop
    parts.append(str(escape(text[cursor:end])))
    if end < len(text):
        parts.append("…")
    return Markup("".join(parts))  # noqa: S704 - every user-text piece escaped above


def mark_all(text: str, spans: Spans) -> Markup:
    """The whole (short) text with its `spans` marked, e.g. a title; always safe HTML."""
    if not text:
        return Markup("")
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        parts.append(str(escape(text[cursor:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(str(escape(text[cursor:])))
    return Markup("".join(parts))  # noqa: S704 - every user-text piece escaped above
