"""``scraper sql``: plain SQL over the archive, read-only unless ``--write`` is given."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from scraper.cli import cli
from scraper.cli.options import db_option, format_option, settings, tz_option


def _param(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: give name=value (used as $name in the query)")
        out[name.strip()] = value
    return out


@cli.command("sql")
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from FILE (`-` for standard input).")
@click.option("-p", "--param", "params", multiple=True, callback=_param, metavar="NAME=VALUE",
              help="A value for $NAME in the query, as text (repeatable; cast with $NAME::INTEGER).")
@db_option
@format_option("table")
@tz_option
@click.option("--write", is_flag=True, help="Open the archive for writing (default: read-only).")
@click.option("--allow-files", is_flag=True,
              help="Let the query read files (read_parquet, read_csv); the archive stays read-only.")
def sql_cmd(query: str | None, query_file: Any, params: dict[str, str], db: Path, fmt: str,
            tz: Any, write: bool, allow_files: bool) -> None:
    """Run QUERY against the archive and print the rows.

    QUERY may also come from -f FILE, or from standard input (QUERY `-`, or none given in a
    pipe).

    \b
    Examples:
      scraper sql "SELECT source, count(*) FROM articles GROUP BY 1"
      scraper sql --format jsonl "SELECT url, access FROM articles WHERE access <> 'full'"
      scraper sql -p src=developpez 'SELECT count(*) FROM articles WHERE source = $src'
      scraper sql -f report.sql
    """
    from scraper.archive.queries import Interrupted, run_sql
    from scraper.errors import UsageError
    from scraper.render import render

    if query_file is not None and query is not None:
        raise UsageError("give the query as QUERY or with -f FILE, not both", code="usage:sql")
    if query_file is not None:
        query = query_file.read()
    elif query == "-" or (query is None and not sys.stdin.isatty()):
        query = sys.stdin.read()
    if query is None or not query.strip():
        raise UsageError("empty query: give one SQL statement, e.g. scraper sql \"SELECT count(*) FROM articles\"",
                         code="usage:sql")
    conf = settings(db)
    try:
        columns, rows = run_sql(conf.db, query, read_only=not write,
                                lock_timeout=conf.lock_timeout, params=params or None,
                                allow_files=allow_files, tz=str(tz))
    except Interrupted:
        # The interrupted read-only connection may still be busy: tearing it down at exit
        # can abort the process. Nothing was written: leave at once.
        click.echo("error: interrupted", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    with rows:
        render(columns, rows, fmt, sys.stdout, tz=tz)
