"""``scraper lake publish|compact|sql``: the archive as Iceberg tables (scraper/lake/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scraper.cli import cli
from scraper.cli.options import db_option, format_option, settings


@cli.group("lake")
def lake_group() -> None:
    """The Iceberg lake shared by many daemons (SCRAPER_LAKE_CATALOG, SCRAPER_LAKE_WAREHOUSE).

    \b
    Examples:
      scraper lake publish
      scraper lake sql "SELECT source, count(*) FROM articles GROUP BY 1"
      scraper lake compact
    """


@lake_group.command("publish")
@db_option
@format_option("table")
def publish_cmd(db: Path, fmt: str) -> None:
    """Append what the archive stored since its last publish to the lake (exactly once)."""
    from scraper.archive import Archive
    from scraper.lake.catalog import open_lake
    from scraper.lake.publish import Publisher
    from scraper.render import render

    conf = settings(db)
    lake = open_lake(conf, os.environ)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    if not archive.exists():
        from scraper.errors import ArchiveMissingError

        raise ArchiveMissingError(f"no archive at {conf.db}; nothing to publish")
    result = Publisher(lake, archive).publish()
    row = result.row()
    render(list(row), iter([tuple(row.values())]), fmt, sys.stdout)


@lake_group.command("compact")
@click.option("--min-files", type=click.IntRange(2), default=2, show_default=True,
              help="Rewrite a source's rows once it has at least this many files.")
@format_option("table")
def compact_cmd(min_files: int, fmt: str) -> None:
    """Rewrite each source's small files into few large ones (rows and watermarks kept)."""
    from scraper.lake.catalog import open_lake
    from scraper.lake.compact import compact
    from scraper.render import render

    rows = compact(open_lake(settings(), os.environ), min_files=min_files)
    columns = ["table", "source", "files_before", "files_after", "rows"]
    render(columns, iter([tuple(r[c] for c in columns) for r in rows]), fmt, sys.stdout)


@lake_group.command("sql")
@click.argument("query")
@format_option("table")
def sql_cmd(query: str, fmt: str) -> None:
    """Run QUERY with DuckDB over the lake's tables: articles, article_versions, fetches, skips.

    \b
    Example:
      scraper lake sql "SELECT publisher, count(*) FROM articles GROUP BY 1"
    """
    from scraper.lake.catalog import open_lake
    from scraper.lake.query import run_lake_sql
    from scraper.render import render

    if not query.strip():
        from scraper.errors import UsageError

        raise UsageError("empty query: give one SQL statement, e.g. scraper lake sql \"SELECT count(*) FROM articles\"")
    columns, rows = run_lake_sql(open_lake(settings(), os.environ), query)
    render(columns, rows, fmt, sys.stdout)
