"""Render times of hostile Markdown, and page times with it stored.

    python -m bench.markdown [--repeat 3] [--timeout 60] [--no-pages]

1. Each pattern is rendered by `learncom.markdown` in a child process (so a pattern that takes
   minutes cannot stall the run) and the best of `--repeat` runs is printed in milliseconds,
   with "refused" when the renderer turns the text down as too complex (the form then shows
   the member a clear message) and "timeout" when it ran longer than `--timeout` seconds.
2. The patterns of issue 11 are stored through the services, as an import or old data would
   (ten comments of the first, a lesson of the second, a post of the third), in a fresh SQLite
   database, and the home page, the post page, the lessons feed (also as a conditional 304)
   and the member page are timed beside the same pages with plain text of the same length.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import statistics
import time

#: The patterns from issue 11 first, then other shapes known to be slow in Markdown parsers.
PATTERNS: dict[str, str] = {
    "issue: comment (*a **b _c [d](e `f) 19,990": ("*a **b _c [d](e `f" * 2000)[:19990],
    "issue: lesson, same pattern, 50,000": ("*a **b _c [d](e `f" * 5000)[:50000],
    "issue: [ * 24,995 + ] * 24,995": "[" * 24995 + "]" * 24995,
    "unclosed links [a](b 50,000": "[a](b " * 8333,
    "unclosed images ![a](b 50,000": "![a](b " * 7142,
    "open brackets [ * 50,000": "[" * 50000,
    "open parens ( * 50,000": "(" * 50000,
    "link to ((((( 50,000": "[a](" + "(" * 49990,
    "nested blockquotes > * 10,000": "> " * 10000 + "x",
    "nested lists 200 deep": "".join("  " * i + "- x\n" for i in range(200)),
    "list markers on one line - * 25,000": "- " * 25000,
    "backticks ` * 50,000": "`" * 50000,
    "code spans `a * 25,000": "`a" * 25000,
    "asterisks * * 50,000": "*" * 50000,
    "emphasis runs **a * 16,000": "**a" * 16000,
    "underscores _a_ mixed 50,000": "_a *b " * 8333,
    "tildes ~~a 50,000": "~~a " * 12500,
    "raw html < * 50,000": "<" * 50000,
    "raw html <a  * 16,000": "<a " * 16000,
    "raw html blocks <div> * 8,000": "<div>" * 8000 + "\n\nx",
    "entities &#1 * 16,000": "&#1" * 16000,
    "autolinks http://a * 6,000": "http://a.nl/" * 4000,
    "angle autolinks <http:// * 6,000": "<http://a" * 5000,
    "reference links [a][b] * 8,000": "[a][b]" * 8000,
    "reference definitions 5,000": "".join(f"[r{i}]: http://x.nl/{i}\n" for i in range(2000)),
    "table 1,000 columns": "|" + "a|" * 1000 + "\n|" + "-|" * 1000 + "\n"
                           + ("|" + "b|" * 1000 + "\n") * 20,
    "fences ``` * 10,000": "```\n" * 10000,
    "headings # * 10,000": "#" * 10000 + " x",
    "newlines 50,000": "a\n" * 25000,
    "one long word 50,000": "a" * 50000,
    "many links [a](b) * 7,000": "[a](b) " * 7000,
    "nested strong **a 1,000 deep": "**a " * 1000 + "b**" * 1000,
    "html comments <!-- * 12,500": "<!--" * 12500,
    "end tags </a * 16,000": "</a" * 16000,
    "tags closed far away (<a * 300 + >)": ("<a " * 300 + ">") * 55,
    "links closing late ([a](( ) + )": ("[a](( )" * 500 + ")") * 14,
    "plain Dutch text 50,000":
        ("De buurtkamer is elke dinsdag open voor bewoners. " * 1000)[:50000],
}


def _render_best(text: str, repeat: int, results) -> None:  # runs in the child process
    from learncom import markdown
    from learncom.markdown import MarkdownTooComplex, render_markdown

    best = float("inf")
    for _ in range(repeat):
        # Rendered texts are cached (a form checks a text, then the service stores it).
        cache_clear = getattr(getattr(markdown, "_render", None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
        start = time.perf_counter()
        try:
            render_markdown(text, strict=True)
        except MarkdownTooComplex:
            results.put(("refused", (time.perf_counter() - start) * 1000))
            return
        best = min(best, time.perf_counter() - start)
    results.put(("ok", best * 1000))


def measure(text: str, repeat: int, timeout: float) -> tuple[str, float]:
    results = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(
        target=_render_best, args=(text, repeat, results))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return "timeout", timeout * 1000
    try:
        return results.get(timeout=5)
    except queue.Empty:  # the child died: the renderer raised (before the fix: RecursionError)
        return f"crashed (exit {child.exitcode})", 0.0


ISSUE_COMMENT = ("*a **b _c [d](e `f" * 2000)[:19990]
ISSUE_LESSON = ("*a **b _c [d](e `f" * 5000)[:50000]
ISSUE_BRACKETS = "[" * 24995 + "]" * 24995


def _median_ms(client, url: str, repeat: int, headers=None) -> tuple[float, int]:
    times, status = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        status = client.get(url, headers=headers or {}).status_code
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), status


def pages(repeat: int) -> None:
    """Page times with the issue's patterns stored, beside plain text of the same length."""
    import tempfile
    from pathlib import Path

    from learncom import create_app
    from learncom.accounts.models import User
    from learncom.discussion import services as discussion
    from learncom.extensions import db
    from learncom.posts import services as posts

    workdir = Path(tempfile.mkdtemp(prefix="learncom-bench-markdown-"))
    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(workdir / "index"), "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "fast",
    })
    with app.app_context():
        db.create_all()
    client = app.test_client()
    rows = ["writing 2 posts + 10 comments", "home /", "post page", "tag feed",
            "tag feed, conditional (304)", "member page"]
    figures: dict[str, dict[str, str]] = {row: {} for row in rows}
    # Plain first, measured before the hostile texts exist (the home page lists every thread).
    for label, comment, lesson, brackets in (
            ("plain", "Een gewone reactie. " * 1000, "Gewone tekst. " * 3572,
             "Gewone tekst. " * 3571),
            ("hostile", ISSUE_COMMENT, ISSUE_LESSON, ISSUE_BRACKETS)):
        with app.app_context():
            author = User(name=f"Lid {label}", email=f"{label}@example.org", kind="resident")
            db.session.add(author)
            db.session.flush()
            start = time.perf_counter()
            lesson_post = posts.create_post(author, posts.PostInput(
                kind="lesson", title=f"Les {label}", body=lesson, tags=[label],
                fields={"statement": "Een les", "context": brackets}))
            posts.create_post(author, posts.PostInput(
                kind="experiment", title=f"Haken {label}", body=brackets, tags=[label]))
            for _ in range(10):
                discussion.add_comment(lesson_post, author, comment)
            db.session.commit()
            figures[rows[0]][label] = f"{(time.perf_counter() - start) * 1000:9.0f}"
            author_id, post_id = author.id, lesson_post.id
        feed = f"/feeds/tags/{label}.atom"
        etag = client.get(feed).headers.get("ETag")
        for row, url, headers in (("home /", "/", None), ("post page", f"/posts/{post_id}", None),
                                  ("tag feed", feed, None),
                                  ("tag feed, conditional (304)", feed, {"If-None-Match": etag}),
                                  ("member page", f"/leden/{author_id}", None)):
            ms, status = _median_ms(client, url, repeat, headers)
            figures[row][label] = f"{ms:9.1f}" + ("" if status in (200, 304) else f" ({status})")
    print(f"\n{'page (median of ' + str(repeat) + ')':32} {'plain ms':>9} {'hostile ms':>11}")
    for row in rows:
        print(f"{row:32} {figures[row]['plain']:>9} {figures[row]['hostile']:>11}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--no-pages", action="store_true", help="Only the render times.")
    args = parser.parse_args()
    from learncom.markdown import render_markdown

    render_markdown("warm *up*")  # build the Markdown instance once, outside the timings
    print(f"{'pattern':48} {'chars':>7} {'ms':>9}  outcome")
    for name, text in PATTERNS.items():
        outcome, ms = measure(text, args.repeat, args.timeout)
        print(f"{name:48} {len(text):7,} {ms:9.1f}  {outcome}", flush=True)
    if not args.no_pages:
        pages(args.repeat)


if __name__ == "__main__":
    main()
