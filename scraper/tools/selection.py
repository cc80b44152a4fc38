"""Which rows a tool works on: ``--source``, ``--since``, ``--until``, ``--access``.

Dates are ``YYYY-MM-DD`` (a whole day, UTC) or ISO 8601 date-times (naive means UTC). ``since``
is inclusive; ``until`` given as a date includes that whole day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from scraper.errors import UsageError
from scraper.models import ACCESS_VALUES

__all__ = ["Selection", "check_source_in_archive", "parse_date"]


def parse_date(value: str | None, option: str = "--since", *, end: bool = False) -> datetime | None:
    """``value`` as an aware UTC datetime; with ``end`` a bare date means the day after it
    (an exclusive bound that includes the whole day). A bad value raises UsageError."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"bad date {value!r} for {option}: use YYYY-MM-DD or an ISO 8601 date-time "
            f"such as 2024-06-13T08:00:00+02:00",
            code="usage:date",
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class Selection:
    """Filters on articles. ``until`` is exclusive (see :func:`parse_date` with ``end``)."""

    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    access: str | None = None

    def __post_init__(self) -> None:
        if self.access is not None and self.access not in ACCESS_VALUES:
            raise UsageError(
                f"bad access {self.access!r}: choose one of {', '.join(ACCESS_VALUES)}",
                code="usage:access",
            )
        if self.since and self.until and self.since >= self.until:
            raise UsageError(
                f"--since {self.since.isoformat()} is not before --until {self.until.isoformat()}",
                code="usage:date",
            )

    def where(self, date_column: str, prefix: str = "") -> tuple[str, list[Any]]:
        """A SQL condition (``?`` parameters) and its values; ``date_column`` is what
        ``since``/``until`` compare with, ``prefix`` the table alias for source/access."""
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.source is not None:
            clauses.append(f"{prefix}source = ?")
            params.append(self.source)
        if self.since is not None:
            clauses.append(f"{date_column} >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"{date_column} < ?")
            params.append(self.until)
        if self.access is not None:
            clauses.append(f"{prefix}access = ?")
            params.append(self.access)
        return " AND ".join(clauses), params


def check_source_in_archive(con: duckdb.DuckDBPyConnection, source: str | None) -> None:
    """UsageError when ``source`` is given and no article of the archive belongs to it."""
    if source is None:
        return
    names = [r[0] for r in con.execute(
        "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY 1").fetchall()]
    if source not in names:
        known = ", ".join(names) if names else "none"
        raise UsageError(
            f"unknown source {source!r}: no article of the archive belongs to it "
            f"(sources in the archive: {known})",
            code="usage:source",
        )
