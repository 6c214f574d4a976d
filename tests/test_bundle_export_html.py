"""The bundle's Markdown export escapes raw HTML: the .md file is opened in viewers that render
raw HTML (Python-Markdown here, which passes it through as many viewers do), so no member's text
may become an element there, whatever a viewer takes for a code block."""

from __future__ import annotations

import re

import markdown
import pytest

from learncom.bundles import services
from learncom.bundles.services import markdown_without_html
from learncom.extensions import db

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>",
           "<svg/onload=alert(3)>", "<a href='javascript:alert(4)'>klik</a>",
           "<!-- verstopt -->", "<iframe src=//evil.example></iframe>"]
DANGEROUS = re.compile(r"<(script|img|svg|iframe|a href='javascript|!--)", re.IGNORECASE)


def rendered(text: str) -> str:
    """What a Markdown viewer that allows raw HTML makes of the export."""
    return markdown.markdown(text, extensions=["fenced_code"])


@pytest.fixture
def bundle(create_user, create_post):
    coordinator = create_user("Cor", role="coordinator")
    author = create_user("Aad <b>Auteur</b>")
    attack = " ".join(ATTACKS)
    post = create_post(author, kind="lesson", title=f"Les {ATTACKS[0]}", curated=True,
                       statement=f"Wat we leerden {ATTACKS[1]}", tags=["leren"],
                       body=f"Gewone tekst.\n\n{attack}\n\n```\n<b>code blijft</b>\n```\n\n"
                            f"Zie <https://example.org/pagina>.",
                       context=f"Regel een\n{attack}", confidence="several_teams")
    bundle = services.create_bundle(coordinator, f"Raad {ATTACKS[2]}", f"Intro {attack}")
    item = services.add_item(bundle, post)
    services.publish(bundle, coordinator)
    item.note = f"Let op {ATTACKS[5]}"
    db.session.commit()
    return bundle


def test_the_export_has_no_raw_html(client, bundle):
    """Before: the body, intro, title, statement, fields and note went out verbatim."""
    text = client.get(f"/bundels/{bundle.slug}.md").get_data(as_text=True)
    html = rendered(text)
    assert not DANGEROUS.search(html), html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "shown as text"
    assert "code blijft" in html
    assert "Aad &lt;b&gt;Auteur&lt;/b&gt;" in html


@pytest.mark.parametrize("text", [
    "```\n<script>x</script>",
    "``` info`tick\n<script>x</script>\n```",
    "   ~~~~\n<b>x</b>\n~~~\n<script>x</script>\n~~~~",
    "    ```\n<script>x</script>",
    "> ```\n> <script>x</script>",
    "<https://x/onmouseover=alert(1)>",
])
def test_code_fences_cannot_smuggle_html(text):
    for viewer in (["fenced_code"], []):
        html = markdown.markdown(markdown_without_html(text), extensions=viewer)
        assert not re.search(r"<(script|b|https)\b", html), html


def test_plain_text_is_unchanged():
    text = "Een *lijst*:\n\n- a & b\n- 3 > 2\n\n[link](https://example.org)"
    assert markdown_without_html(text) == text
