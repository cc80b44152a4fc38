"""``scraper sql``: plain SQL over the archive, read-only unless ``--write`` is given."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scraper.cli import cli
from scraper.cli.options import db_option, format_option, settings


@cli.command("sql")
@click.argument("query")
@db_option
@format_option("table")
@click.option("--write", is_flag=True, help="Open the archive for writing (default: read-only).")
def sql_cmd(query: str, db: Path, fmt: str, write: bool) -> None:
    """Run QUERY against the archive and print the rows.

    \b
    Examples:
      scraper sql "SELECT source, count(*) FROM articles GROUP BY 1"
      scraper sql --format jsonl "SELECT url, access FROM articles WHERE access <> 'full'"
    """
    from scraper.archive.queries import run_sql
    from scraper.render import render

    if not query.strip():
        from scraper.errors import UsageError

        raise UsageError("empty query: give one SQL statement, e.g. scraper sql \"SELECT count(*) FROM articles\"")
    conf = settings(db)
    columns, rows = run_sql(conf.db, query, read_only=not write, lock_timeout=conf.lock_timeout)
    render(columns, rows, fmt, sys.stdout)
