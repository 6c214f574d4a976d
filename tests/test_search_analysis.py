"""Dutch analysis, plain text from Markdown and the highlighter (no index needed)."""

from __future__ import annotations

from learncom.search.analysis import plain_text
from learncom.search.whoosh.analysis import Matcher, highlight, highlight_all, stems


def test_dutch_analyzer_stems_folds_and_drops_stop_words():
    assert stems("De buurtkamers in de wijken") == ["buurtkamer", "wijk"]
    assert stems("geïnterviewd") == stems("geinterviewd") == ["geinterviewd"]
    assert stems("eenzaamheid") == stems("eenzame")


def test_plain_text_strips_markdown_but_keeps_text():
    text = plain_text("# Kop\n> citaat\nHet **taalcafé** > de [bieb](https://x.nl) & <3 <b>b</b>\n"
                      "- punt\n1. een")
    assert text == "Kop citaat Het taalcafé > de bieb & <3 b punt een"
    assert plain_text(None) == ""


def test_highlight_marks_stems_prefixes_and_escapes():
    matcher = Matcher({"eenzam", "geinterviewd"}, {"schuldhulp"})
    assert str(highlight_all("Ouderen <geïnterviewd> over Eenzaamheid", matcher)) == (
        "Ouderen &lt;<mark>geïnterviewd</mark>&gt; over <mark>Eenzaamheid</mark>")
    assert str(highlight("Wachtlijst & schuldhulpverlening", matcher)) == (
        "Wachtlijst &amp; <mark>schuldhulpverlening</mark>")
    assert highlight("Niets hier", matcher) is None
    assert highlight("", matcher) is None
    assert str(highlight_all("<i>x</i>", Matcher(set(), set()))) == "&lt;i&gt;x&lt;/i&gt;"


def test_highlight_picks_a_window_around_the_densest_matches():
    text = ("begin " * 100) + "buurtkamer en nog een buurtkamer " + ("einde " * 100)
    snippet = str(highlight(text, Matcher({"buurtkamer"}, set()), width=120))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert snippet.count("<mark>buurtkamer</mark>") == 2
    assert len(snippet) < 200


def test_highlight_handles_letters_whose_lower_case_is_longer():
    # "İ".lower() is two characters: offsets are then found word by word (the same analysis
    # as the index, which keeps the combining dot).
    matcher = Matcher({"istanbul", *stems("İstanbul")}, set())
    assert str(highlight_all("İstanbul en istanbul", matcher)) == (
        "<mark>İstanbul</mark> en <mark>istanbul</mark>")
