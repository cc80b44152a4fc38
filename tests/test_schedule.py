"""Pure scheduling policies, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scraper.schedule import cache_lifetime, host_backoff, jittered, next_interval, recheck_at

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [(None, 3, 450.0), (None, 0, 1350.0), (600.0, 1, 300.0), (300.0, 5, 300.0), (3000.0, 0, 3600.0)],
)
def test_next_interval_adapts_within_bounds(current: float | None, new: int, expected: float) -> None:
    assert next_interval(current, every=900, lo=300, hi=3600, new_entries=new) == expected


def test_rss_ttl_and_cache_hints_are_floors_capped_by_max() -> None:
    assert next_interval(None, every=900, lo=300, hi=7200, new_entries=2, ttl_minutes=60) == 3600
    assert next_interval(None, every=900, lo=300, hi=3600, new_entries=2, fresh_for=99999) == 3600
    assert next_interval(None, every=900, lo=300, hi=3600, new_entries=2, fresh_for=10) == 450


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("Cache-Control", "public, max-age=600")], 600.0),
        ([("cache-control", "max-age=600, s-maxage=1200")], 1200.0),
        ([("Cache-Control", "no-cache")], 0.0),
        ([("Expires", "Sat, 01 Jun 2024 12:30:00 GMT")], 1800.0),
        ([("Expires", "0")], 0.0),
        ([("Content-Type", "text/xml")], None),
    ],
)
def test_cache_lifetime(headers: list[tuple[str, str]], expected: float | None) -> None:
    assert cache_lifetime(headers, NOW) == expected


def test_host_backoff_honours_retry_after_else_doubles() -> None:
    assert host_backoff(12.0, 1) == 12.0
    assert host_backoff(99999.0, 1) == 3600.0
    assert [host_backoff(None, n) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]


def test_recheck_schedule_1_3_7_30_days_then_stops() -> None:
    days = [recheck_at("truncated", n, NOW) for n in range(5)]
    assert days[:4] == [NOW + timedelta(days=d) for d in (1, 3, 7, 30)]
    assert days[4] is None
    assert recheck_at("full", 0, NOW) is None
    assert recheck_at("locked", 0, NOW) == NOW + timedelta(days=1)


def test_jitter_stays_within_spread() -> None:
    assert jittered(100, 0.0) == 90.0 and jittered(100, 0.5) == 100.0 and jittered(100, 0.9999) < 110.0
