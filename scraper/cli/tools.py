"""``scraper reextract``, ``export``, ``import``, ``stats``: the archive tools (scraper/tools/)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scraper.cli import cli
from scraper.cli.options import (
    db_option,
    format_option,
    load_sources_if_present,
    settings,
    sources_option,
    tz_option,
)

EXPORT_FORMATS = ("parquet", "jsonl", "csv", "warc")
ACCESS = ("full", "truncated", "locked")


@cli.command("reextract")
@db_option
@sources_option
@click.option("--source", help="Only this source's articles (a name in sources.yaml).")
@click.option("--since", help="Only responses fetched since DATE (YYYY-MM-DD or ISO 8601).")
def reextract_cmd(db: Path, sources_path: Path, source: str | None, since: str | None) -> None:
    """Extract the archived articles again from their stored responses, offline.

    Today's rules, decoder and paywall verdict run over each article's latest raw response;
    a revision is added only where the normalised text (or the access verdict) changed.
    Prints counts per source and the access verdicts that flipped.

    \b
    Example:
      scraper reextract --source developpez --since 2026-01-01
    """
    from scraper.archive import Archive
    from scraper.cli.interrupt import Interrupt
    from scraper.render import render
    from scraper.progress import progress_bar
    from scraper.tools.reextract import reextract
    from scraper.tools.selection import Selection, parse_date

    conf = settings(db, sources_path)
    selection = Selection(source=source, since=parse_date(since, "--since"))
    sources = load_sources_if_present(sources_path)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    with Interrupt() as interrupt:
        interrupt.guard(archive)
        with progress_bar() as bar:
            report = reextract(archive, sources, selection, progress=bar, stop=interrupt.stop)
        total = sum(c.reextracted for c in report.counts.values())
        changed = sum(c.text_changed for c in report.counts.values())
        click.echo(f"re-extracted {total} article(s): text changed in {changed}, "
                   f"access flipped in {len(report.flips)}"
                   + (" (interrupted: the others keep their text)" if report.interrupted else ""))
        if report.counts:
            columns, rows = report.rows()
            render(columns, rows, "table", sys.stdout)
        for flip in report.flips:
            click.echo(f"access {flip.old} → {flip.new}  {flip.url}")
        for url, message in report.failures:
            click.echo(f"error: {url}: {message}", err=True)
    interrupt.exit()


@cli.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True,
              help="parquet (a directory partitioned by source and month), jsonl, csv, or warc.")
@db_option
@click.option("--source", help="Only this source's articles.")
@click.option("--since", help="Fetched (latest fetch) since DATE, inclusive, as in reextract.")
@click.option("--until", help="Fetched (latest fetch) until DATE; a date includes the day.")
@click.option("--access", type=click.Choice(ACCESS), help="Only articles with this access.")
def export_cmd(out: Path, fmt: str, db: Path, source: str | None, since: str | None,
               until: str | None, access: str | None) -> None:
    """Export archived articles to OUT (`-` for stdout with jsonl or csv).

    \b
    Examples:
      scraper export --format parquet exports/articles
      scraper export --format jsonl --source developpez --since 2026-01-01 dev.jsonl
      scraper export --format warc --access truncated truncated.warc.gz
    """
    from scraper.archive import Archive
    from scraper.cli.interrupt import Interrupt
    from scraper.errors import UsageError
    from scraper.tools.export import export, export_rows, partial_path
    from scraper.progress import progress_bar
    from scraper.tools.selection import Selection, parse_date

    conf = settings(db)
    selection = Selection(source=source, since=parse_date(since, "--since"),
                          until=parse_date(until, "--until", end=True), access=access)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    if str(out) == "-" and fmt not in ("jsonl", "csv"):
        raise UsageError(f"{fmt} cannot go to stdout; give OUT a path", code="usage:out")
    with Interrupt() as interrupt:
        if str(out) == "-":
            report = export_rows(archive, sys.stdout, fmt, selection, stop=interrupt.stop)
            click.echo(f"exported {report.articles} article(s) as {fmt} to stdout"
                       + (" (interrupted: whole rows only)" if report.interrupted else ""), err=True)
        else:
            interrupt.on_abort(lambda: _remove(partial_path(out)))
            with progress_bar() as bar:
                report = export(archive, out, fmt, selection, progress=bar, stop=interrupt.stop)
            records = f" in {report.records} WARC records" if fmt == "warc" else ""
            if report.interrupted:
                click.echo(f"export interrupted after {report.articles} article(s){records}: "
                           f"{report.path} not written (an export is whole or absent)")
            else:
                click.echo(f"exported {report.articles} article(s){records} as {fmt} to {report.path}")
    interrupt.exit()


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@sources_option
def import_cmd(files: tuple[Path, ...], db: Path, sources_path: Path) -> None:
    """Archive the HTML pages of WARC files (FILE.warc or FILE.warc.gz).

    Each 200 text/html response record goes through the same extraction and paywall verdict
    as a fetch, with its original URL (WARC-Target-URI) and date (WARC-Date), matched to a
    source by URL. Other responses are skipped and counted; a page on a source's domain that
    its article_url patterns do not match, or a home page, is skipped as not-article. A damaged
    record (shorter than its Content-Length, or a WARC digest that does not match) is refused:
    the others are archived, and the command ends with exit 5.

    \b
    Example:
      wget --warc-file=site --recursive --level=1 https://example.org/news/
      scraper import site.warc.gz
    """
    from scraper.archive import Archive
    from scraper.cli.interrupt import Interrupt
    from scraper.errors import ContentError
    from scraper.progress import progress_bar
    from scraper.tools.warc import import_warcs

    conf = settings(db, sources_path)
    sources = load_sources_if_present(sources_path)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    with Interrupt() as interrupt:
        interrupt.guard(archive)
        with progress_bar() as bar:
            report = import_warcs(archive, files, sources, max_bytes=conf.max_bytes, progress=bar,
                                  stop=interrupt.stop)
        outcomes = ", ".join(f"{status} {n}" for status, n in sorted(report.outcomes.items()))
        click.echo(f"archived {report.archived} page(s) from {report.files} file(s)"
                   + (f" ({outcomes})" if outcomes else "")
                   + (f" before the interrupt, at record {report.records}" if report.interrupted else ""))
        if report.skipped:
            skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(report.skipped.items()))
            click.echo(f"skipped {sum(report.skipped.values())} response(s): {skipped}")
    interrupt.exit()
    if report.refused:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(report.refused.items()))
        where = ", ".join(f"{r.path} offset {r.offset}" for r in report.first_refused)
        more = "…" if sum(report.refused.values()) > len(report.first_refused) else ""
        raise ContentError(
            f"refused {sum(report.refused.values())} damaged WARC record(s) ({reasons}) at "
            f"{where}{more}; they are not archived (the other records are); import a complete "
            "copy of the file to archive them",
            code="warc:damaged",
        )


@cli.command("stats")
@db_option
@format_option("table")
@tz_option
def stats_cmd(db: Path, fmt: str, tz: Any) -> None:
    """Summarise the archive per source: articles, truncated and locked shares, median words,
    last article, fetch errors.

    \b
    Examples:
      scraper stats
      scraper stats --format csv > stats.csv
    """
    from scraper.archive import Archive
    from scraper.render import render
    from scraper.tools.stats import STATS_COLUMNS, archive_stats, render_stats

    conf = settings(db)
    rows = archive_stats(Archive(conf.db, lock_timeout=conf.lock_timeout))
    if fmt == "table":
        render_stats(rows, sys.stdout, title=f"{conf.db}", tz=tz)
    else:
        render(STATS_COLUMNS, rows, fmt, sys.stdout, tz=tz)


@cli.command("storage")
@db_option
@click.option("--rewrite", is_flag=True,
              help="Copy an archive written in a newer format into the compatible one (old file kept).")
def storage_cmd(db: Path, rewrite: bool) -> None:
    """Print the archive's storage format and the oldest DuckDB that opens it.

    New archives are written for DuckDB 1.4 and newer. An archive created before (in the
    format of the DuckDB that wrote it) is copied into that format by --rewrite, which keeps
    the old file as DB.before-rewrite; the archive's lock is held throughout.
    """
    from scraper.archive import Archive
    from scraper.archive.compat import rewrite_storage, storage_info

    conf = settings(db)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    info = storage_info(archive)
    if rewrite and not info.compatible:
        info = rewrite_storage(archive)
        click.echo(f"rewrote {info.path}; the previous file is {info.path}.before-rewrite")
    click.echo(f"{info.path}: storage {info.storage_version}, opens in DuckDB {info.oldest_duckdb} "
               f"or newer" + ("" if info.compatible else "; scraper storage --rewrite makes it "
                                                          "readable by DuckDB 1.4"))
