"""Rendering of member-written Markdown: features work, and nothing executes."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from learncom.markdown import LINK_REL, excerpt, render_markdown

FORBIDDEN_TAGS = (
    "script", "style", "iframe", "svg", "math", "object", "embed",
    "img", "form", "input", "base", "meta", "link",
)  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
EVENT_HANDLER = re.compile(r"\son\w+\s*=", re.IGNORECASE)
URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Tags(HTMLParser):
    """Collects every start tag with its (unescaped) attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def parse_tags(output: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(output)
    parser.close()
    return parser.tags


def links(output: str) -> list[dict[str, str | None]]:
    return [dict(attrs) for tag, attrs in parse_tags(output) if tag == "a"]


def assert_inert(output: str) -> None:
    lowered = output.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, f"<{tag} in {output!r}"

    tags = parse_tags(output)
    # The event-handler regex runs over the markup only (tag and attribute names):
    # text and quoted attribute values are inert and may legitimately contain
    # the words a poster typed, e.g. a link title reading 'onmouseover="..."'.
    skeleton = "".join(
        f"<{tag}" + "".join(f" {name}=" for name, _ in attrs) + ">" for tag, attrs in tags
    )
    assert not EVENT_HANDLER.search(skeleton), f"event handler in {output!r}"
    for tag, attrs in tags:
        assert tag not in FORBIDDEN_TAGS, output
        for name, value in attrs:
            assert not name.startswith("on"), output
            assert name != "style", output
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                normalised = URL_NOISE.sub("", html.unescape(value or "")).lower()
                assert not normalised.startswith(DANGEROUS_SCHEMES), output
    assert not re.search(r"\sstyle\s*=", skeleton), output


# --- features ------------------------------------------------------------------------


def test_empty_input_renders_empty_markup() -> None:
    for text in (None, "", "   \n  "):
        result = render_markdown(text)
        assert isinstance(result, Markup)
        assert result == Markup("")


def test_returns_markup_that_jinja_will_not_escape_again() -> None:
    result = render_markdown("*hoi*")
    assert isinstance(result, Markup)
    assert str(result) == "<p><em>hoi</em></p>"


def test_emphasis() -> None:
    result = render_markdown("Dit is *schuin*, **vet** en ~~doorgestreept~~.")
    assert "<em>schuin</em>" in result
    assert "<strong>vet</strong>" in result
    assert "<del>doorgestreept</del>" in result


def test_single_newlines_are_kept_as_line_breaks() -> None:
    result = render_markdown("Eerste regel\nTweede regel")
    assert result == Markup("<p>Eerste regel<br>\nTweede regel</p>")


def test_fenced_code_keeps_language_and_escapes_content() -> None:
    result = render_markdown("```python\nif a < b:\n    print('<b>hoi</b>')\n```")
    assert '<pre><code class="language-python">' in result
    assert "if a &lt; b:" in result
    assert "&lt;b&gt;hoi&lt;/b&gt;" in result
    assert "<b>" not in result


def test_code_class_other_than_language_is_dropped() -> None:
    result = render_markdown('<code class="evil language-js">x</code>')
    assert '<code class="language-js">x</code>' in result


def test_inline_code() -> None:
    assert "<code>&lt;script&gt;</code>" in render_markdown("Gebruik geen `<script>`.")


def test_table_with_alignment() -> None:
    result = render_markdown("| Wijk | Deelnemers |\n|:-----|-----------:|\n| Noord | 12 |")
    assert "<table>" in result
    assert '<th align="left">Wijk</th>' in result
    assert '<th align="right">Deelnemers</th>' in result
    assert '<td align="left">Noord</td>' in result
    assert '<td align="right">12</td>' in result
    assert "style" not in result


def test_lists() -> None:
    result = render_markdown("- appel\n- peer\n\n1. een\n2. twee")
    assert "<ul>\n<li>appel</li>\n<li>peer</li>\n</ul>" in result
    assert "<ol>\n<li>een</li>\n<li>twee</li>\n</ol>" in result


def test_blockquote_and_rule() -> None:
    result = render_markdown("> citaat\n\n---")
    assert "<blockquote>" in result
    assert "<hr>" in result


def test_bare_url_becomes_link() -> None:
    result = render_markdown("Zie https://example.org/pad?a=1&b=2 voor meer.")
    (link,) = links(result)
    assert link["href"] == "https://example.org/pad?a=1&b=2"
    assert link["rel"] == LINK_REL
    assert ">https://example.org/pad?a=1&amp;b=2</a>" in result


def test_safe_markdown_link_keeps_href() -> None:
    result = render_markdown("[site](https://example.org)")
    assert result == Markup(
        '<p><a href="https://example.org" rel="nofollow noopener ugc">site</a></p>'
    )


def test_headings_are_shifted_below_page_headings() -> None:
    result = render_markdown("# Een\n\n## Twee\n\n#### Vier\n\n###### Zes")
    assert "<h3>Een</h3>" in result
    assert "<h4>Twee</h4>" in result
    assert "<h6>Vier</h6>" in result
    assert "<h6>Zes</h6>" in result
    assert "<h1" not in result
    assert "<h2" not in result


def test_harmless_raw_html_is_kept() -> None:
    result = render_markdown("regel<br>nog een <b>vet</b> <sup>1</sup>")
    assert "<br>" in result
    assert "<b>vet</b>" in result
    assert "<sup>1</sup>" in result


def test_every_link_gets_rel() -> None:
    source = (
        "[a](https://a.example) en https://b.example en <https://c.example> en "
        '<a href="https://d.example" rel="opener">d</a> en <a href="https://e.example">e</a> '
        "en [f][ref] en jan@example.nl en ![plaatje](https://g.example/p.png)\n\n"
        "[ref]: https://f.example"
    )
    found = links(str(render_markdown(source)))
    assert len(found) == 8
    for link in found:
        assert link["rel"] == "nofollow noopener ugc", link


def test_external_image_becomes_link() -> None:
    result = render_markdown("Zie ![kaart](https://evil.example/pixel.png) hierboven.")
    assert "<img" not in result
    assert result == Markup(
        '<p>Zie <a href="https://evil.example/pixel.png" rel="nofollow noopener ugc">'
        "kaart</a> hierboven.</p>"
    )


def test_image_without_alt_shows_its_url() -> None:
    result = render_markdown("![](https://evil.example/pixel.png)")
    assert "<img" not in result
    assert ">https://evil.example/pixel.png</a>" in result


def test_reference_image_becomes_link() -> None:
    result = render_markdown("![kaart][k]\n\n[k]: https://evil.example/k.png")
    assert "<img" not in result
    (link,) = links(str(result))
    assert link["href"] == "https://evil.example/k.png"


def test_image_with_non_web_source_keeps_only_its_alt_text() -> None:
    for src in ("javascript:alert(1)", "data:image/png;base64,AAAA", "/lokaal.png", "x"):
        result = render_markdown(f"voor ![tekst]({src}) na")
        assert result == Markup("<p>voor tekst na</p>"), src


def test_linked_image_keeps_the_outer_link_only() -> None:
    result = render_markdown("[![badge](https://img.example/b.png)](https://example.org)")
    assert "<img" not in result
    assert result == Markup(
        '<p><a href="https://example.org" rel="nofollow noopener ugc">badge</a></p>'
    )


def test_raw_image_tag_is_dropped() -> None:
    result = render_markdown('tekst <img src="https://evil.example/p.png" alt="p"> tekst')
    assert "<img" not in result
    assert "evil.example" not in result


def test_renderer_is_reusable_between_calls() -> None:
    """Reference definitions from one post must not leak into the next."""
    render_markdown("[x][geheim]\n\n[geheim]: https://secret.example")
    result = render_markdown("[x][geheim]")
    assert "secret.example" not in result


# --- XSS -----------------------------------------------------------------------------

XSS_VECTORS: list[str] = [
    # script / style / embedding tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)//<</script>/script>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<math href="javascript:alert(1)">x</math>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="x" ONERROR="alert(1)">',
    "<b onmouseover=alert(1)>hover</b>",
    '<p onmouseover="alert(1)">hover</p>',
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<a href=https://ok.example onclick=alert(1)>x</a>",
    # javascript: in Markdown links
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#0000106avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "[x][1]\n\n[1]: <javascript:alert(1)>",
    '[a](http://x "a\\" onmouseover=\\"alert(1)")',
    "[a](http://x 'a' onmouseover='alert(1)')",
    # javascript: in raw <a>
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="&#x6a;&#x61;vascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java&#09;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript%3Aalert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="https://ok.example" style="position:fixed;top:0">x</a>',
    # images
    '![x](x" onerror="alert(1))',
    "![x](javascript:alert(1))",
    '![x](https://ok.example/p.png" onerror="alert(1))',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    # autolinks
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    # comments, conditional comments
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<!--[if]><script>alert(1)</script -->",
    "<!-- --!><script>alert(1)</script> -->",
    # document-level tags
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    # CSS
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width:expression(alert(1))">x</p>',
    # escaping out of code and attributes
    "`x` <img src=`x` onerror=alert(1)>",
    '<a href="https://ok.example"\nonclick="alert(1)">x</a>',
    '<a title="x" href="https://ok.example" onmouseover=alert(1)//>x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    "<template><script>alert(1)</script></template>",
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_is_inert(vector: str) -> None:
    assert_inert(str(render_markdown(vector)))


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_is_inert_inside_other_markdown(vector: str) -> None:
    wrapped = f"# Kop\n\n- item {vector}\n\n> {vector}\n\n| a |\n|---|\n| {vector} |\n"
    assert_inert(str(render_markdown(wrapped)))


def test_there_are_enough_xss_vectors() -> None:
    assert len(set(XSS_VECTORS)) >= 35


def test_assert_inert_catches_dangerous_output() -> None:
    """Guard against a checker that passes everything."""
    dangerous = [
        "<script>alert(1)</script>",
        '<a href="https://ok.example" onclick="x">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        '<p style="color:red">x</p>',
        '<IMG src="x">',
    ]
    for output in dangerous:
        with pytest.raises(AssertionError):
            assert_inert(output)


# --- excerpt -------------------------------------------------------------------------


def test_excerpt_strips_markup_and_collapses_whitespace() -> None:
    source = (
        "# Wat we leerden\n\nWe probeerden **inloopspreekuren** in de wijk.\n"
        "Zie [het verslag](https://example.org/verslag) en ![foto](https://x.example/f.jpg)."
    )
    assert excerpt(source) == (
        "Wat we leerden We probeerden inloopspreekuren in de wijk. Zie het verslag en foto."
    )


def test_excerpt_unescapes_entities_and_drops_scripts() -> None:
    assert excerpt("Jan & Piet <script>alert(1)</script> zeggen `a < b`") == (
        "Jan & Piet zeggen a < b"
    )


def test_excerpt_cuts_at_word_boundary() -> None:
    source = "woord " * 100
    result = excerpt(source, length=50)
    assert result.endswith("woord…")
    assert len(result) <= 50
    assert "  " not in result


def test_excerpt_drops_trailing_punctuation_before_ellipsis() -> None:
    result = excerpt("Een, twee, drie, vier, vijf, zes", length=17)
    assert result == "Een, twee, drie…"


def test_excerpt_hard_cuts_one_long_word() -> None:
    result = excerpt("a" * 300, length=20)
    assert result == "a" * 19 + "…"


def test_excerpt_short_text_is_unchanged() -> None:
    assert excerpt("Kort *en* krachtig.") == "Kort en krachtig."


def test_excerpt_of_nothing() -> None:
    assert excerpt("") == ""
    assert excerpt(None) == ""
