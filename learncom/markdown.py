"""Rendering of user-written text.

This module is the single place where text typed by members becomes HTML, so that
every page, feed and e-mail gets the same, sanitised output. Markdown is rendered
first (raw HTML is allowed through so that e.g. ``<br>`` keeps working) and the
result is then run through an allow-list sanitiser; only the sanitiser's output
is ever marked safe.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree  # noqa: S405 - builds a tree, never parses input
from collections.abc import Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

__all__ = ["add_link_finder", "excerpt", "render_markdown"]

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


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
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


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """A Markdown instance per thread: instances carry state and are not thread-safe."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    return md


def render_markdown(text: str | None, *, word_links: bool = False) -> Markup:
    """Render member-written Markdown to HTML that is safe to embed in a page. With
    `word_links`, the words the registered link finders name become links (@mentions in
    comments)."""
    if not text or not text.strip():
        return Markup("")
    md = _markdown()
    links: dict[str, str] = {}
    if word_links:
        for find in _link_finders:
            links.update(find(text))
    md.learncom_word_links = links
    try:
        rendered = md.convert(text)
    finally:
        md.reset()
        md.learncom_word_links = {}
    return Markup(_CLEANER.clean(rendered).strip())  # noqa: S704 - sanitised by nh3 just above


def excerpt(text: str | None, length: int = 200) -> str:
    """Plain-text preview of Markdown for cards and feeds.

    Rendering first means link targets, code fences and HTML tags do not leak
    into the preview; the result is plain text and must still be escaped.
    """
    if not text:
        return ""
    plain = nh3.clean(str(render_markdown(text)), tags=set())
    plain = _WHITESPACE.sub(" ", html.unescape(plain)).strip()
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
