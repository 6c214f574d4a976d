"""`flask search rebuild | sync | check | similar`."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup, with_appcontext

search_cli = AppGroup("search", help="Search index: rebuild, sync, check; similar posts.")


class _Rate:
    """Shows posts/s beside click's progress bar (which shows the ETA itself)."""

    def __init__(self):
        self.started = time.monotonic()
        self.done = 0

    def __call__(self, _item) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return f"{self.done / elapsed:.0f} posts/s" if self.done else ""


@search_cli.command("rebuild")
@click.option("--procs", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Indexing processes, each indexing its own range of posts.")
@with_appcontext
def rebuild_command(procs: int) -> None:
    """Build a fresh index beside the live one and swap it in."""
    from learncom.extensions import db
    from learncom.search import documents, services

    total = documents.count_posts(db.session)
    db.session.rollback()
    rate = _Rate()
    started = time.monotonic()
    label = "Indexing" if procs == 1 else f"Indexing ({procs} processes)"
    with click.progressbar(length=total, label=label, show_eta=True, show_pos=True,
                           item_show_func=rate) as bar:
        def progress(n: int) -> None:
            rate.done += n
            bar.update(n, rate.done)
            if rate.done >= total and not writing:
                # Every post is analysed; writing the segments takes about a quarter longer.
                writing.append(True)
                bar.render_finish()
                click.echo("Writing the index…")

        writing: list[bool] = []
        count = services.rebuild(progress, procs=procs)
    elapsed = time.monotonic() - started
    click.echo(f"Indexed {count} posts in {elapsed:.1f} s "
               f"({count / max(elapsed, 1e-6):.0f} posts/s).")


@search_cli.command("sync")
@click.option("--wait", default=120.0, show_default=True, help="Seconds to wait for a writer.")
@with_appcontext
def sync_command(wait: float) -> None:
    """Re-index every post whose index entry differs from the database, and index everything
    waiting (after a crash, or after a bulk import)."""
    from learncom.search import services

    report, done = services.sync(wait=wait)
    click.echo(f"Queued changes: {report.queued}. Re-indexed {len(report.differing)} posts "
               f"whose index entry differed from the database.")
    if not done:
        click.echo("Another process is still writing the index; run sync again.", err=True)
        raise SystemExit(1)


@search_cli.command("check")
@click.option("--verbose", "-v", is_flag=True, help="List the post ids.")
@with_appcontext
def check_command(verbose: bool) -> None:
    """Report posts missing from or stale in the index; exit code 1 if any."""
    from learncom.search import services

    report = services.check()
    click.echo(f"missing: {len(report.missing)}, stale: {len(report.stale)}, "
               f"orphans: {len(report.orphans)}, queued: {report.queued}")
    if verbose:
        for name in ("missing", "stale", "orphans"):
            ids = getattr(report, name)
            if ids:
                click.echo(f"{name}: {' '.join(map(str, ids))}")
    if not report.ok:
        click.echo("The index is out of date: run `flask search sync` "
                   "(or `flask search rebuild`).", err=True)
        raise SystemExit(1)


@search_cli.command("similar")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many posts.")
@with_appcontext
def similar_command(limit: int | None) -> None:
    """Rank the similar posts of every post without a kept ranking (after an import or an
    upgrade; otherwise a post is ranked when it is written, or at its first view)."""
    from learncom.search import services

    ids = services.posts_without_ranking(limit)
    with click.progressbar(length=len(ids), label="Ranking similar posts", show_eta=True,
                           show_pos=True) as bar:
        for start in range(0, len(ids), services.SIMILAR_BATCH):
            batch = ids[start:start + services.SIMILAR_BATCH]
            services.refresh_similar(batch, every=True)
            bar.update(len(batch))
    click.echo(f"Ranked the similar posts of {len(ids)} posts.")
