"""The Whoosh engine's Dutch text analysis, shared by its indexing, querying and highlighting.

One analyzer chain is used everywhere so the index, the query and the highlighter agree on what a
"word" is: tokenize, lower-case, drop Dutch stop words, fold accents ("geïnterviewd" and
"geinterviewd" are the same word; "één" matches "een"), then the Snowball Dutch stemmer
("buurtkamers" -> "buurtkamer", "wijken" -> "wijk").

Compound words ("schuldhulp" should find "schuldhulpverlening") are NOT handled here but at query
time, by a bounded prefix expansion over the stemmed index vocabulary (see
`backend._QueryBuilder.word`). Dutch compounds put the modifier first and the head
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
from functools import lru_cache

from markupsafe import Markup
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

from learncom.search.analysis import (
    WORD,
    WORD_PATTERN,
    fold,
    mark_all,
    snippet,
)

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
    for match in WORD.finditer(text):
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


# -- highlighting -----------------------------------------------------------------------------

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
        folded = fold(text)
        if len(folded) != len(text):  # a rare letter whose lower case is longer: go slowly
            return [(m.start(), m.end()) for m in WORD.finditer(text) if self.matches(m.group())]
        found = []
        for m in self.pattern.finditer(folded):
            word = WORD.match(text, m.start())
            if word is not None and self.matches(word.group()):
                found.append((word.start(), word.end()))
        return found


def highlight(text: str, matcher: Matcher, *, width: int = 220) -> Markup | None:
    """A snippet of `text` around its best match (see `analysis.snippet`); None when nothing
    in the text matches."""
    if not text or not matcher:
        return None
    return snippet(text, matcher.spans(text), width=width)


def highlight_all(text: str, matcher: Matcher) -> Markup:
    """The whole (short) text with matches marked, e.g. a title; always safe HTML."""
    return mark_all(text, matcher.spans(text) if text and matcher else [])
