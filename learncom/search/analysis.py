"""Dutch text analysis shared by indexing, querying and highlighting.

One analyzer chain is used everywhere so the index, the query and the highlighter agree on what a
"word" is: tokenize, lower-case, drop Dutch stop words, fold accents ("geïnterviewd" and
"geinterviewd" are the same word; "één" matches "een"), then the Snowball Dutch stemmer
("buurtkamers" -> "buurtkamer", "wijken" -> "wijk").

Compound words ("schuldhulp" should find "schuldhulpverlening") are NOT handled here but at query
time, by a bounded prefix expansion over the stemmed index vocabulary (see
`whoosh_backend.WhooshBackend._compounds`). Dutch compounds put the modifier first and the head
last, so a query word that is the *start* of an indexed word is almost always a compound match
("buurtkamer" -> "buurtkamerproject", "jeugdzorg" -> "jeugdzorgaanbieder"). We chose that over
the two alternatives:

- an edge-n-gram subfield multiplies the postings of every body word by its length (4-20 grams),
  which slows indexing (already the slowest part of Whoosh) and grows the index several times;
- decompounding with a dictionary built from the index vocabulary splits words at index time,
  which needs a vocabulary before the first document and mis-splits names ("Kanaleneiland").

The expansion costs one ordered range scan of the term dictionary per field, is bounded (the
most frequent `MAX_EXPANSIONS` terms), only applies to query words of at least
`MIN_COMPOUND_LENGTH` letters, and the expanded terms score lower than the word itself.
Limitation: a word in the middle or at the end of a compound ("hulpverlening" in
"schuldhulpverlening") is not found.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

# Words: letters and digits, with inner dots kept ("e.g", "1.5"), as Whoosh's default.
WORD_PATTERN = r"\w+(\.?\w+)*"
_WORD = re.compile(WORD_PATTERN)

MIN_COMPOUND_LENGTH = 5
MAX_EXPANSIONS = 30


def dutch_analyzer():
    """Tokenize, lower-case, Dutch stop words, accent folding, Dutch Snowball stemming."""
    return (RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | StopFilter(lang="nl")
            | CharsetFilter(accent_map) | StemFilter(lang="nl", cachesize=100_000))


def name_analyzer():
    """For names of people and places: no stop words, no stemming ("De Meern", "Van Dijk")."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


_DUTCH = dutch_analyzer()
_NAMES = name_analyzer()


def chain_stems(text: str) -> list[str]:
    """The Dutch analyzer chain's terms for a text (the reference `analyse` must equal)."""
    return [token.text for token in _DUTCH(text or "")]


# -- the same analysis in one loop ------------------------------------------------------------
# Whoosh runs five generator filters per token; indexing spent most of its time there. `analyse`
# gives exactly the chain's output (a test compares them) with one regex scan and one dict
# lookup per word, and the index is fed the resulting term lists (Whoosh indexes a list as
# ready-made tokens).

_STOP_WORDS = StopFilter(lang="nl").stops  # Whoosh's English list plus the Dutch one
_STEM = stemmer_for_language("nl")
_FORMS: dict[str, tuple[str, str]] = {}  # lower-cased word -> (folded, stem)
_MAX_FORMS = 500_000


def _forms(word: str) -> tuple[str, str]:
    found = _FORMS.get(word)
    if found is None:
        folded = word.translate(accent_map)
        found = (folded, _STEM(folded))
        if len(_FORMS) >= _MAX_FORMS:
            _FORMS.clear()
        _FORMS[word] = found
    return found


def analyse(text: str) -> tuple[list[str], list[str]]:
    """(terms, words) of a text: the stemmed index terms in order (stop words dropped, as the
    chain does), and the same words folded but not stemmed (the spelling vocabulary)."""
    terms: list[str] = []
    words: list[str] = []
    if not text:
        return terms, words
    forms = _FORMS
    stop = _STOP_WORDS
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if len(word) < 2 or word in stop:
            continue
        found = forms.get(word) or _forms(word)
        words.append(found[0])
        terms.append(found[1])
    return terms, words


def stems(text: str) -> list[str]:
    """The index terms of a text: what the title/body/comments fields store for it."""
    return analyse(text)[0]


def pairs(terms: list[str]) -> list[str]:
    """Consecutive term pairs ("sociaal team"): what a phrase query looks up."""
    return [f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False)]


def folded_words(text: str) -> list[str]:
    """Lower-cased, accent-folded words, not stemmed (names, prefixes, spelling)."""
    return [token.text for token in _NAMES(text or "")]


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str | None:
    """The index term for one word (None for a stop word)."""
    terms = stems(word)
    return terms[0] if len(terms) == 1 else None


@lru_cache(maxsize=200_000)
def word_forms(word: str) -> tuple[str, str | None]:
    """(folded, stemmed) forms of one word, cached: the highlighter asks for every word of
    every hit, and most words repeat across hits and queries."""
    folded = folded_words(word)
    return (folded[0] if folded else "", stem_word(word))


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


# -- highlighting -----------------------------------------------------------------------------

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


class Matcher:
    """Decides whether a word of a text matches the query: by stem, or as a prefix/compound.

    Highlighting ten long hits word by word through the analyzer costs tens of milliseconds, so
    a regex first finds the few words that could match (those starting like a query term; a
    Dutch stem can differ from its word only near the end, "eenzaamheid" -> "eenzam") and only
    those are analysed."""

    def __init__(self, terms: set[str], prefixes: set[str]):
        self.terms = terms
        self.prefixes = tuple(sorted(prefixes))
        heads = {t[:max(3, len(t) - 2)] for t in terms} | set(self.prefixes)
        alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True) if h)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})\w*") if alternatives else None

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)

    def matches(self, word: str) -> bool:
        folded, stem = word_forms(word)
        if not folded:
            return False
        if self.prefixes and folded.startswith(self.prefixes):
            return True
        return stem is not None and (stem in self.terms
                                     or (bool(self.prefixes) and stem.startswith(self.prefixes)))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every matching word in `text`."""
        if self.pattern is None:
            return []
        folded = _folded(text)
        if len(folded) != len(text):  # a rare letter whose lower case is longer: go slowly
            return [(m.start(), m.end()) for m in _WORD.finditer(text) if self.matches(m.group())]
        found = []
        for m in self.pattern.finditer(folded):
            word = _WORD.match(text, m.start())
            if word is not None and self.matches(word.group()):
                found.append((word.start(), word.end()))
        return found


@lru_cache(maxsize=2048)
def _folded(text: str) -> str:
    return text.lower().translate(_FOLD)


def highlight(text: str, matcher: Matcher, *, width: int = 220) -> Markup | None:
    """A snippet of `text` around its best match, as safe HTML: every piece of the user's text is
    escaped, and only our own `<mark>` tags are added. None when nothing in the text matches."""
    if not text or not matcher:
        return None
    spans = matcher.spans(text)
    if not spans:
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


def highlight_all(text: str, matcher: Matcher) -> Markup:
    """The whole (short) text with matches marked, e.g. a title; always safe HTML."""
    if not text:
        return Markup("")
    if not matcher:
        return escape(text)
    parts: list[str] = []
    cursor = 0
    for start, end in matcher.spans(text):
        parts.append(str(escape(text[cursor:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(str(escape(text[cursor:])))
    return Markup("".join(parts))  # noqa: S704 - every user-text piece escaped above
