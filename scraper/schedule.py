"""When to poll again, how long to leave a host alone, when to re-check an article.

Pure functions: no I/O and no clock reads. The caller passes ``now`` (and a random draw for
jitter), so every policy is tested with a fixed clock, as miniflux's ``ScheduleNextCheck`` and
reader's ``get_update_after`` are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

__all__ = [
    "RECHECK_DAYS",
    "cache_lifetime",
    "host_backoff",
    "jittered",
    "next_interval",
    "recheck_at",
]

# A truncated or locked article is fetched again after 1, 3, 7 and 30 days, then left alone.
RECHECK_DAYS: tuple[int, ...] = (1, 3, 7, 30)

SHORTEN = 0.5  # factor when a poll found new entries
LENGTHEN = 1.5  # factor when a poll found nothing new
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


def cache_lifetime(headers: Iterable[tuple[str, str]], now: datetime) -> float | None:
    """Seconds the response says it stays fresh: ``Cache-Control: max-age`` (``s-maxage``
    first), else ``Expires`` minus ``now``; None when neither is given or readable.
    ``no-cache``/``no-store`` mean 0."""
    cache_control = expires = None
    for name, value in headers:
        low = name.lower()
        if low == "cache-control":
            cache_control = f"{cache_control},{value}" if cache_control else value
        elif low == "expires":
            expires = value
    if cache_control:
        found = {m.group(1).lower(): int(m.group(2)) for m in _MAX_AGE.finditer(cache_control)}
        if "s-maxage" in found:
            return float(found["s-maxage"])
        if "max-age" in found:
            return float(found["max-age"])
        if re.search(r"no-(?:cache|store)", cache_control, re.IGNORECASE):
            return 0.0
    if expires:
        try:
            when = parsedate_to_datetime(expires.strip())
        except (TypeError, ValueError, IndexError):
            return 0.0  # RFC 9111: an invalid Expires means "already expired"
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - now).total_seconds())
    return None


def next_interval(
    current: float | None,
    *,
    every: float,
    lo: float,
    hi: float,
    new_entries: int,
    ttl_minutes: int | None = None,
    fresh_for: float | None = None,
) -> float:
    """The next polling interval of one feed, in seconds.

    Starts at ``every``; halves when the last poll found new entries, grows by half when it
    found none; always within ``[lo, hi]``. A server's own hint (RSS ``<ttl>`` in minutes,
    ``fresh_for`` from :func:`cache_lifetime`) is a floor: polling earlier only fetches the
    same document, but the hint never pushes the interval past ``hi``."""
    base = every if current is None or current <= 0 else current
    value = base * SHORTEN if new_entries > 0 else base * LENGTHEN
    value = min(max(value, lo), hi)
    hint = max(ttl_minutes * 60.0 if ttl_minutes else 0.0, fresh_for or 0.0)
    if hint > value:
        value = min(hint, hi)
    return value


def jittered(seconds: float, rand: float, spread: float = 0.1) -> float:
    """``seconds`` moved by up to ``±spread`` of itself (``rand`` is a draw from [0, 1)), so
    feeds due together drift apart instead of hitting hosts at the same instant."""
    return max(0.0, seconds * (1 + spread * (2 * min(max(rand, 0.0), 1.0) - 1)))


def host_backoff(retry_after: float | None, strikes: int, *, base: float = 5.0,
                 cap: float = 3600.0) -> float:
    """Seconds a host is left alone after a 429/503: its ``Retry-After`` when given (capped),
    else ``base * 2**(strikes-1)`` capped (``strikes``: 429/503s in a row, 1 for the first)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return min(cap, base * 2 ** max(min(strikes, 30) - 1, 0))


def recheck_at(access: str | None, check_count: int, fetched_at: datetime) -> datetime | None:
    """When to fetch an article again: truncated or locked ones after 1, 3, 7 then 30 days
    (``check_count`` re-checks done so far), never once the schedule is spent or when full."""
    if access not in ("truncated", "locked") or check_count >= len(RECHECK_DAYS):
        return None
    return fetched_at + timedelta(days=RECHECK_DAYS[max(check_count, 0)])
