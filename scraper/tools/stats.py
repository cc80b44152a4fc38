"""``scraper stats``: the archive at a glance, one row per source.

Columns: articles, how many are truncated and locked (and their share), median words, the
newest article (publication time, else first sight), fetch attempts and how many failed, the
last fetch. Sources come from both ``articles`` and ``fetches``, so a source whose fetches all
fail still shows up; articles without a source are grouped under ``(none)``.
"""

from __future__ import annotations

from typing import Any, TextIO

import duckdb

from scraper.archive import Archive

__all__ = ["STATS_COLUMNS", "archive_stats", "render_stats"]

NO_SOURCE = "(none)"

STATS_COLUMNS: tuple[str, ...] = (
    "source", "articles", "truncated", "locked", "truncated_share", "locked_share",
    "median_words", "last_article", "fetches", "fetch_errors", "last_fetch",
)  # fmt: skip

_STATS = f"""
WITH a AS (
    SELECT coalesce(source, '{NO_SOURCE}') AS source, count(*) AS articles,
           count(*) FILTER (WHERE access = 'truncated') AS truncated,
           count(*) FILTER (WHERE access = 'locked') AS locked,
           median(word_count) AS median_words,
           max(coalesce(published_at, first_seen_at)) AS last_article
    FROM articles GROUP BY 1
), f AS (
    SELECT coalesce(source, '{NO_SOURCE}') AS source, count(*) AS fetches,
           count(error) AS fetch_errors, max(fetched_at) AS last_fetch
    FROM fetches GROUP BY 1
)
SELECT source, coalesce(a.articles, 0), coalesce(a.truncated, 0), coalesce(a.locked, 0),
       round(coalesce(a.truncated, 0) / nullif(a.articles, 0), 3),
       round(coalesce(a.locked, 0) / nullif(a.articles, 0), 3),
       a.median_words, a.last_article,
       coalesce(f.fetches, 0), coalesce(f.fetch_errors, 0), f.last_fetch
FROM a FULL OUTER JOIN f USING (source)
ORDER BY source = '{NO_SOURCE}', source
"""


def archive_stats(archive: Archive) -> list[tuple[Any, ...]]:
    """One row per source, columns as :data:`STATS_COLUMNS` (read-only)."""

    def run(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
        return con.execute(_STATS).fetchall()

    return archive.read(run)


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _when(value: Any, tz: Any = None) -> str:
    if value is None:
        return ""
    if tz is not None and getattr(value, "tzinfo", None) is not None:
        value = value.astimezone(tz)
    return str(value.strftime("%Y-%m-%d %H:%M"))


def render_stats(rows: list[tuple[Any, ...]], out: TextIO, title: str = "", tz: Any = None) -> None:
    """A rich table for people: shares as percentages, times to the minute (in ``tz``, else
    UTC), a total row."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, show_footer=len(rows) > 1)
    totals = [sum(r[i] or 0 for r in rows) for i in (1, 2, 3, 8, 9)]
    n = totals[0] or 0
    foot = {
        "source": "all",
        "articles": str(totals[0]),
        "truncated": f"{totals[1]} ({_share(totals[1] / n) if n else '-'})",
        "locked": f"{totals[2]} ({_share(totals[2] / n) if n else '-'})",
        "fetch errors": f"{totals[4]} / {totals[3]}",
    }
    for name, justify in (
        ("source", "left"), ("articles", "right"), ("truncated", "right"), ("locked", "right"),
        ("median words", "right"), ("last article", "left"), ("fetch errors", "right"),
        ("last fetch", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify, footer=foot.get(name, ""))  # type: ignore[arg-type]
    for r in rows:
        (source, articles, truncated, locked, t_share, l_share, words, last, fetches, errors,
         last_fetch) = r
        table.add_row(
            source,
            str(articles),
            f"{truncated} ({_share(t_share)})" if articles else "-",
            f"{locked} ({_share(l_share)})" if articles else "-",
            "" if words is None else f"{words:g}",
            _when(last, tz),
            f"{errors} / {fetches}",
            _when(last_fetch, tz),
        )
    console = Console(file=out)
    if not console.is_terminal:
        console = Console(file=out, width=200, no_color=True, highlight=False)
    console.print(table)
