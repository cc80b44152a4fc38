from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.net.retry import backoff_delay, parse_retry_after, should_retry

NOW = datetime(2024, 6, 12, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (429, None, True),
        (500, None, True),
        (502, None, True),
        (503, None, True),
        (504, None, True),
        (501, None, False),
        (505, None, False),
        (404, None, False),
        (403, None, False),
        (400, None, False),
        (200, None, False),
        (304, None, False),
        (None, "net:timeout", True),
        (None, "net:connect", True),
        (None, "net:reset", True),
        (None, "net:protocol", True),
        (None, "net:too-large", False),
        (None, "policy:scheme", False),
        (None, "policy:private-address", False),
        (None, "net:redirect-loop", False),
        (None, "net:dns", False),
        (None, None, False),
    ],
)
def test_should_retry(status: int | None, error: str | None, expected: bool) -> None:
    assert should_retry(status, error) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        ("Wed, 12 Jun 2024 10:01:00 GMT", 60.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("-5", None),
        ("soon", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [(1, 1.0, 0.5), (2, 1.0, 1.0), (3, 1.0, 2.0), (4, 0.5, 2.0), (10, 1.0, 30.0), (1, 0.0, 0.0)],
)
def test_backoff_delay_is_exponential_with_full_jitter(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, 0.5, 30.0, rand) == pytest.approx(expected)


@given(st.integers(min_value=-3, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_backoff_delay_stays_within_cap(attempt: int, rand: float) -> None:
    assert 0.0 <= backoff_delay(attempt, 0.5, 30.0, rand) <= 30.0
