"""Rendering of user-written text.

This module is the single place where text typed by members becomes HTML, so that
every page, feed and e-mail gets the same, sanitised output. Markdown is rendered
first (raw HTML is allowed through so that e.g. ``<br>`` keeps working) and the
result is then run through an allow-list sanitiser; only the sanitiser's output
is ever marked safe.

Rendering is bounded, because Python-Markdown has inputs that take quadratic time or exhaust the
stack (long paragraphs full of unclosed links, code spans or emphasis, deeply nested brackets,
quotes or emphasis). A text is refused (`MarkdownTooComplex`) when it nests too deep, when the
work the inline parser does on it grows beyond `WORK_BUDGET` (a count of characters scanned,
so the same text is always refused), or as a last resort when rendering it takes more than
`TIME_BUDGET` seconds of the thread's CPU time. Forms show the refusal to the member;
everything else stores the text as plain paragraphs instead (`render_markdown(text)` never
fails).

Pages never render: the HTML and a plain-text excerpt are stored on the row when the text is
written (learncom/rendered.py) and refreshed by `flask learncom rerender` after a change here
(bump RENDERER_VERSION).
"""

from __future__ import annotations

import html
import re
import threading
import time
import xml.etree.ElementTree as etree  # noqa: S405 - builds a tree, never parses input
from collections.abc import Callable
from functools import lru_cache

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

__all__ = ["MarkdownTooComplex", "add_link_finder", "plain_text", "render_markdown", "shorten"]

#: Bump when a change here alters the output, then run `flask learncom rerender`.
RENDERER_VERSION = 2

#: The deepest nesting of brackets ``[`` and of block quotes ``>`` a text may have.
MAX_NESTING = 32
#: Characters the inline parser may scan for one text: each inline match costs the length of
#: the block it sits in (Python-Markdown rebuilds the block's string per match, and several
#: processors scan to its end), about a millisecond per million. The demo posts use none to a
#: few million, a 20,000-character paragraph with 700 links and emphases 26 million;
#: the hostile patterns hundreds of millions to billions.
WORK_BUDGET = 40_000_000
#: What trying one inline pattern on one piece of text costs, in the same units (a 50,000
#: character text dense with headings, lists, links and tables pays 16 million).
PATTERN_COST = 400
#: CPU-time limit of the rendering thread, for slow inputs the work count does not see. CPU
#: time, not the clock: on a busy server an ordinary long text took more than a second of
#: wall-clock time and was refused.
TIME_BUDGET = 1.0
#: An HTML tag must close within this many characters, or its ``<`` is text: the HTML parser
#: otherwise rescans the rest of the text from every unclosed ``<tag``.
MAX_TAG_LENGTH = 1000
#: The longest link text and link target; longer ones are left as text.
MAX_LINK_TEXT = 2000
MAX_LINK_TARGET = 4000
#: The plain-text excerpt stored beside the HTML (cards, feeds, lists, notifications, mail).
EXCERPT_LENGTH = 400

#: Every link a member posts is user-generated content pointing elsewhere.
LINK_REL = "nofollow noopener ugc"

#: Headings typed by members sit below the page title (h1) and section titles (h2).
HEADING_SHIFT = 2

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr",
        "strong", "em", "b", "i", "del", "sup", "sub",
        "code", "pre", "blockquote",
        "ul", "ol", "li",
        "a",
        "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip

#: Tags whose content is noise or dangerous, not just their markup.
DROPPED_CONTENT_TAGS = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "textarea", "title"}
)

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    # Only ``language-*`` survives; see _filter_attribute.
    "code": {"class"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})

_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_ALIGN_VALUES = frozenset({"left", "right", "center"})
# Whitespace and C0/C1 control characters that browsers ignore inside a URL scheme.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_WHITESPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow attributes nh3 lets through to the values our templates style.

    ``allowed_classes`` only takes exact names; highlighting needs any
    ``language-xyz`` class, so the check lives here. It must never raise: nh3
    reports callback errors as unraisable exceptions.
    """
    if attribute == "class":
        kept = [c for c in value.split() if _LANGUAGE_CLASS.fullmatch(c)]
        return " ".join(kept) or None
    if attribute == "align":
        value = value.strip().lower()
        return value if value in _ALIGN_VALUES else None
    if attribute == "href" and not _has_allowed_scheme(value):
        return None
    return value


def _has_allowed_scheme(url: str) -> bool:
    """Second line behind nh3's own scheme check.

    Some browsers have ignored whitespace and control characters inside a scheme
    (``java script:``), and a value that is decoded once more somewhere downstream
    must not turn into a script either; judge the URL as if both had happened.
    """
    match = _SCHEME.match(_URL_NOISE.sub("", html.unescape(url)).lower())
    return match is None or match.group(1) in URL_SCHEMES


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_CONTENT_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=set(URL_SCHEMES),
)


def _is_web_url(url: str) -> bool:
    """Only plain web addresses may become links to an image's location."""
    normalised = _URL_NOISE.sub("", html.unescape(url)).lower()
    return normalised.startswith(("http://", "https://"))


class _SafeTreeprocessor(Treeprocessor):
    """Turn images into links and push headings below the page's own headings.

    Readers' browsers must never fetch images from other sites: that leaks their
    IP address and lets the poster track who read the post. An image becomes a
    link to the image instead (or just its alt text when it is already inside a
    link or its address is not a web URL).
    """

    def run(self, root: etree.Element) -> None:
        self._rewrite(root, inside_link=False)

    def _rewrite(self, parent: etree.Element, *, inside_link: bool) -> None:
        index = 0
        while index < len(parent):
            child = parent[index]
            if child.tag == "img":
                index = self._replace_image(parent, index, inside_link=inside_link)
                continue
            if child.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                level = min(int(child.tag[1]) + HEADING_SHIFT, 6)
                child.tag = f"h{level}"
            self._rewrite(child, inside_link=inside_link or child.tag == "a")
            index += 1

    def _replace_image(self, parent: etree.Element, index: int, *, inside_link: bool) -> int:
        """Replace ``parent[index]``; return the index of the next unvisited child."""
        image = parent[index]
        src = image.get("src", "")
        alt = image.get("alt", "").strip()
        tail = image.tail or ""
        if not inside_link and _is_web_url(src):
            link = etree.Element("a", {"href": src})
            link.text = alt or src
            link.tail = tail
            parent[index] = link
            return index + 1
        # Keep the words, lose the image.
        text = alt + tail
        parent.remove(image)
        if index > 0:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        return index


#: Functions that find words in a text that should link somewhere: ``fn(text)`` returns
#: ``{"@Anke Siegers": "/leden/3"}``. The follow feature registers its @mentions here, so the
#: discussion (which must not import it) gets mention links by asking for `word_links`.
_link_finders: list[Callable[[str], dict[str, str]]] = []


def add_link_finder(fn: Callable[[str], dict[str, str]]) -> None:
    if fn not in _link_finders:
        _link_finders.append(fn)


class _WordLinkTreeprocessor(Treeprocessor):
    """Turn the words `render_markdown` was given (an @mention: "@Name", in any case, not
    glued to a letter on either side) into links, in running text only: never inside a link,
    code or a code block."""

    SKIP = frozenset({"a", "code", "pre"})

    def run(self, root: etree.Element) -> None:
        links: dict[str, str] = getattr(self.md, "learncom_word_links", None) or {}
        if not links:
            return
        self.urls = {word.casefold(): url for word, url in links.items()}
        words = sorted(links, key=len, reverse=True)
        self.pattern = re.compile(
            r"(?<![\w.+@-])(" + "|".join(re.escape(w) for w in words) + r")(?!\w)",
            re.IGNORECASE)
        self._walk(root)

    def _walk(self, parent: etree.Element) -> None:
        if parent.tag in self.SKIP:
            return
        for child in list(parent):
            self._walk(child)
            self._link_tail(parent, child)
        if parent.text:
            pieces = self._pieces(parent.text)
            parent.text = pieces[0] if isinstance(pieces[0], str) else ""
            self._insert(parent, 0, pieces[1:] if isinstance(pieces[0], str) else pieces)

    def _link_tail(self, parent: etree.Element, child: etree.Element) -> None:
        if not child.tail:
            return
        pieces = self._pieces(child.tail)
        child.tail = pieces[0] if isinstance(pieces[0], str) else ""
        rest = pieces[1:] if isinstance(pieces[0], str) else pieces
        self._insert(parent, list(parent).index(child) + 1, rest)

    def _pieces(self, text: str) -> list:
        """The text split into strings and link elements (a link's tail holds what follows)."""
        result: list = []
        last = 0
        for match in self.pattern.finditer(text):
            before = text[last:match.start()]
            if result and not isinstance(result[-1], str):
                result[-1].tail = (result[-1].tail or "") + before
            else:
                result.append(before)
            link = etree.Element("a", {"href": self.urls[match.group(1).casefold()]})
            link.text = match.group(1)
            result.append(link)
            last = match.end()
        rest = text[last:]
        if result and not isinstance(result[-1], str):
            result[-1].tail = (result[-1].tail or "") + rest
        else:
            result.append(rest)
        return result

    @staticmethod
    def _insert(parent: etree.Element, index: int, elements: list) -> None:
        for offset, element in enumerate(elements):
            parent.insert(index + offset, element)


class _SafeExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        # After inline patterns (20) have created the <img> elements, before prettify (10).
        md.treeprocessors.register(_SafeTreeprocessor(md), "learncom_safe", 15)
        md.treeprocessors.register(_WordLinkTreeprocessor(md), "learncom_word_links", 14)


class MarkdownTooComplex(ValueError):
    """A text the renderer refuses; `reason` is "nesting" or "complexity"."""

    def __init__(self, reason: str):
        super().__init__(f"Markdown too complex to render ({reason})")
        self.reason = reason


class _Budget:
    """What one rendering may still spend; the bounded processors charge it."""

    __slots__ = ("deadline", "work")

    def __init__(self, work: int, seconds: float):
        self.work = work
        self.deadline = time.thread_time() + seconds

    def charge(self, units: int) -> None:
        self.work -= units
        if self.work < 0:
            raise MarkdownTooComplex("complexity")
        if time.thread_time() > self.deadline:
            raise MarkdownTooComplex("complexity")


_local = threading.local()


def _charge(units: int) -> None:
    budget: _Budget | None = getattr(_local, "budget", None)
    if budget is not None:
        budget.charge(units)


def _charged_match(handle_match):
    """An inline processor's handleMatch that first pays for the block it works on."""

    def handle(m, data):
        _charge(len(data))
        return handle_match(m, data)

    return handle


def _charged_pattern(compiled):
    """Each time the inline parser tries a pattern on a piece of text it pays PATTERN_COST:
    a table of thousands of tiny cells is slow without any single long scan."""

    def get():
        _charge(PATTERN_COST)
        return compiled()

    return get


def _charged_run(run):
    def checked(*args):
        _charge(0)
        return run(*args)

    return checked


def _bracket_text(data: str, index: int) -> tuple[str, int, bool]:
    """Link text between ``[`` and its ``]``, scanning at most MAX_LINK_TEXT characters.

    Replaces LinkInlineProcessor.getText, which precomputes bracket ends for the whole block
    and does so again after every match (the block's string changes): quadratic in links."""
    depth, pos = 1, index
    limit = min(len(data), index + MAX_LINK_TEXT)
    while True:
        found = _BRACKET.search(data, pos, limit)
        if found is None:
            _charge(limit - index)
            return data[index:], len(data), False
        pos = found.end()
        depth += 1 if found.group() == "[" else -1
        if depth == 0:
            _charge(pos - index)
            return data[index:pos - 1], pos, True


def _bounded_link(get_link):
    """getLink on a window of MAX_LINK_TARGET characters, paying for what it scans.

    Without a window an unclosed ``(`` is scanned to the end of the block, from every link."""

    def link(data: str, index: int):
        end = min(len(data), index + MAX_LINK_TARGET)
        if data.find(")", index, end) == -1:
            _charge(end - index)
            return "", None, index, False
        href, title, stop, handled = get_link(data[:end], index)
        _charge(max(stop - index, 0) * 50)  # a loop in Python, per character: 50 units
        return href, title, stop, handled

    return link


_BRACKET = re.compile(r"[\[\]]")
_LINK_PROCESSORS = ("reference", "link", "image_link", "image_reference", "short_reference",
                    "short_image_ref")


def _bound(md: markdown.Markdown) -> None:
    """Make every processor that can run long pay into the rendering's budget."""
    for name in _LINK_PROCESSORS:
        if name in md.inlinePatterns:
            processor = md.inlinePatterns[name]
            processor.getText = _bracket_text
            if hasattr(processor, "getLink"):
                processor.getLink = _bounded_link(processor.getLink)
    for processor in md.inlinePatterns:
        processor.handleMatch = _charged_match(processor.handleMatch)
        processor.getCompiledRegExp = _charged_pattern(processor.getCompiledRegExp)
    for processor in md.parser.blockprocessors:
        processor.run = _charged_run(processor.run)


def _new_markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=[
            "fenced_code",
            "tables",
            "sane_lists",
            "nl2br",
            "pymdownx.magiclink",
            "pymdownx.tilde",
            _SafeExtension(),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "pymdownx.tilde": {"subscript": False},
        },
        output_format="html",
    )
    _bound(md)
    return md


def _markdown() -> markdown.Markdown:
    """A Markdown instance per thread: instances carry state and are not thread-safe."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    return md


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BLOCKQUOTE = re.compile(r"^[ \t]*((?:>[ \t]?)+)", re.MULTILINE)


def _check_nesting(text: str) -> None:
    """Refuse brackets or block quotes nested deeper than MAX_NESTING (one pass each)."""
    depth = deepest = 0
    for found in _BRACKET.finditer(text):
        depth = depth + 1 if found.group() == "[" else max(depth - 1, 0)
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            raise MarkdownTooComplex("nesting")
    for found in _BLOCKQUOTE.finditer(text):
        if found.group(1).count(">") > MAX_NESTING:
            raise MarkdownTooComplex("nesting")


def _escape_unclosed_tags(text: str) -> str:
    """``<tag`` without a ``>`` within MAX_TAG_LENGTH characters becomes text."""
    parts, last = [], 0
    for found in _TAG_START.finditer(text):
        start = found.start()
        if text.find(">", start, start + MAX_TAG_LENGTH) == -1:
            parts += [text[last:start], "&lt;"]
            last = start + 1
    return "".join(parts) + text[last:] if parts else text


@lru_cache(maxsize=16)
def _render(text: str, links: tuple[tuple[str, str], ...] = ()) -> tuple[str | None, str | None]:
    """(sanitised HTML, None) or (None, reason). Cached: a form checks a text and the service
    then stores the same text in the same request. `links`: words to turn into links."""
    try:
        _check_nesting(text)
    except MarkdownTooComplex as error:
        return None, error.reason
    md = _markdown()
    _local.budget = _Budget(WORK_BUDGET, TIME_BUDGET)
    md.learncom_word_links = dict(links)
    try:
        rendered = md.convert(_escape_unclosed_tags(text))
    except (MarkdownTooComplex, RecursionError) as error:
        # Stopped halfway, a processor may hold state from this text: start the next one
        # with a fresh instance.
        _local.md = None
        return None, getattr(error, "reason", "nesting")
    finally:
        _local.budget = None
        md.reset()
        md.learncom_word_links = {}
    return _CLEANER.clean(rendered).strip(), None


def _plain_paragraphs(text: str) -> Markup:
    """The text as escaped paragraphs with line breaks: what a refused text is stored as."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return Markup("\n".join(  # noqa: S704 - every piece is escaped
        "<p>" + str(escape(p)).replace("\n", "<br>\n") + "</p>" for p in paragraphs))


def check_markdown(text: str | None) -> None:
    """Raise MarkdownTooComplex when the text would be refused (forms call this)."""
    if text and text.strip():
        _html, reason = _render(text)
        if reason is not None:
            raise MarkdownTooComplex(reason)


def render_markdown(text: str | None, *, strict: bool = False,
                    word_links: bool = False) -> Markup:
    """Render member-written Markdown to HTML that is safe to embed in a page.

    A text too complex to render comes back as plain paragraphs, or with `strict` raises
    MarkdownTooComplex. With `word_links`, the words the registered link finders name become
    links (@mentions in comments)."""
    if not text or not text.strip():
        return Markup("")
    links: dict[str, str] = {}
    if word_links:
        for find in _link_finders:
            links.update(find(text))
    rendered, reason = _render(text, tuple(sorted(links.items())))
    if rendered is None:
        if strict:
            raise MarkdownTooComplex(reason or "complexity")
        return _plain_paragraphs(text)
    return Markup(rendered)  # noqa: S704 - sanitised by nh3 in _render


def plain_text(rendered_html: str | None) -> str:
    """The words of rendered HTML, without tags, on one line."""
    if not rendered_html:
        return ""
    plain = nh3.clean(str(rendered_html), tags=set())
    return _WHITESPACE.sub(" ", html.unescape(plain)).strip()


def shorten(plain: str | None, length: int) -> str:
    """Plain text cut to `length` characters at a word boundary, with "…" when cut."""
    plain = plain or ""
    if len(plain) <= length:
        return plain
    if length <= 1:
        return "…"[:length]
    cut = plain[: length - 1]
    # Cut at a word boundary, unless that would throw away most of the text.
    if not plain[length - 1].isspace():
        boundary = cut.rfind(" ")
        if boundary > length // 2:
            cut = cut[:boundary]
    return cut.rstrip(" \t.,;:!?-–—") + "…"


def excerpt(text: str | None, length: int = 200) -> str:
    """Plain-text preview of Markdown for cards and feeds.

    Rendering first means link targets, code fences and HTML tags do not leak
    into the preview; the result is plain text and must still be escaped.
    Pages use the excerpt stored on the row instead of calling this.
    """
    if not text:
        return ""
    return shorten(plain_text(render_markdown(text)), length)
