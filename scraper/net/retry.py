"""Retry policy as pure functions: what to retry, how long to wait. No I/O, no clock reads:
the caller passes ``now`` and ``rand`` so tests fix them (as scrapy's ``get_retry_request`` and
reader's ``get_update_after`` are tested)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Network error codes worth another try: the next attempt may well succeed.
RETRYABLE_ERRORS = frozenset({"net:timeout", "net:connect", "net:reset", "net:protocol"})
# 5xx that say "this will never work" rather than "not now".
NON_RETRYABLE_5XX = frozenset({501, 505})


def should_retry(status: int | None, error: str | None) -> bool:
    """True for 429, 5xx (but 501 and 505) and the transient network errors
    (``net:timeout``, ``net:connect``, ``net:reset``, ``net:protocol``).
    Policy refusals, size limits, redirects and 4xx are never retried."""
    if error is not None and error in RETRYABLE_ERRORS:
        return True
    if status is None:
        return False
    if status == 429:
        return True
    return 500 <= status <= 599 and status not in NON_RETRYABLE_5XX


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    ``now`` must be timezone-aware. Returns None when absent or unreadable, 0.0 for a date in
    the past; negative seconds are unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rand: float) -> float:
    """Exponential backoff with full jitter: a uniform draw in [0, min(cap, base * 2**(attempt-1))].

    ``attempt`` is the number of the attempt that just failed (1 for the first); ``rand`` is a
    draw from [0, 1), e.g. ``random.random()``."""
    if attempt < 1:
        attempt = 1
    ceiling = min(cap, base * (2 ** min(attempt - 1, 62)))
    return max(0.0, ceiling * min(max(rand, 0.0), 1.0))
