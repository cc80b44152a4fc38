"""The conditional-GET state machine of a feed: pure functions over FeedState, a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scraper import conditional as cg
from scraper.models import FeedState

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NEW = FeedState(feed_url="https://news.test/rss", source="news")
KNOWN = replace(NEW, etag='"v1"', last_modified="Sat, 01 Jun 2024 10:00:00 GMT", body_sha256="aaa")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (NEW, {}),
        (KNOWN, {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 01 Jun 2024 10:00:00 GMT"}),
        (replace(KNOWN, last_modified=None), {"If-None-Match": '"v1"'}),
        (replace(KNOWN, validators_stale=True), {}),  # never honoured: not sent any more
        (replace(KNOWN, not_modified_streak=cg.VERIFY_AFTER - 1), {"If-None-Match": '"v1"',
                                                                  "If-Modified-Since": "Sat, 01 Jun 2024 10:00:00 GMT"}),
        (replace(KNOWN, not_modified_streak=cg.VERIFY_AFTER), {}),  # one unconditional GET checks them
    ],
    ids=["new", "both", "etag-only", "stale", "streak-below", "verify"],
)
def test_request_headers(state: FeedState, expected: dict[str, str]) -> None:
    assert cg.request_headers(state) == expected


def test_started_counts_the_poll() -> None:
    state = cg.started(KNOWN, NOW)
    assert (state.last_polled_at, state.polls) == (NOW, 1)


def test_304_is_unchanged_and_keeps_validators() -> None:
    answer = cg.answered(KNOWN, sent=cg.request_headers(KNOWN), verify=False, status=304,
                         body_sha256=None, etag=None, last_modified=None)
    assert answer == cg.Answer(KNOWN, unchanged=True)
    state = cg.counted(answer.state, status=304, unchanged=True, verify=False, entries=0)
    assert (state.not_modified_streak, state.not_modified, state.last_status) == (1, 1, 304)


def test_200_with_a_new_body_takes_its_validators() -> None:
    answer = cg.answered(KNOWN, sent=cg.request_headers(KNOWN), verify=False, status=200,
                         body_sha256="bbb", etag='"v2"', last_modified=None)
    assert not answer.unchanged and answer.stale_because is None
    assert (answer.state.etag, answer.state.last_modified, answer.state.body_sha256) == ('"v2"', None, "bbb")
    state = cg.counted(replace(answer.state, not_modified_streak=4), status=200, unchanged=False,
                       verify=False, entries=7)
    assert (state.not_modified_streak, state.entries_seen) == (0, 7)


def test_200_with_the_same_body_after_validators_means_they_are_stale() -> None:
    answer = cg.answered(KNOWN, sent=cg.request_headers(KNOWN), verify=False, status=200,
                         body_sha256="aaa", etag='"v1"', last_modified=None)
    assert answer.unchanged and answer.state.validators_stale
    assert answer.stale_because == "200 with same body"


def test_200_with_the_same_body_without_validators_is_only_unchanged() -> None:
    state = replace(KNOWN, validators_stale=True)
    answer = cg.answered(state, sent={}, verify=False, status=200, body_sha256="aaa", etag=None,
                         last_modified=None)
    assert answer.unchanged and answer.stale_because is None


def test_a_verifying_get_that_finds_a_change_marks_the_304s_untrue() -> None:
    state = replace(KNOWN, not_modified_streak=cg.VERIFY_AFTER)
    verify = cg.verifying(state)
    answer = cg.answered(state, sent=cg.request_headers(state), verify=verify, status=200,
                         body_sha256="ccc", etag='"v1"', last_modified=None)
    assert verify and answer.state.validators_stale and answer.stale_because == "304 while changed"
    assert cg.counted(answer.state, status=200, unchanged=False, verify=verify, entries=1).not_modified_streak == 0


def test_a_verifying_get_of_the_same_body_resets_the_streak_without_staleness() -> None:
    state = replace(KNOWN, not_modified_streak=cg.VERIFY_AFTER)
    answer = cg.answered(state, sent={}, verify=True, status=200, body_sha256="aaa", etag='"v1"',
                         last_modified=None)
    assert answer.unchanged and not answer.state.validators_stale
    counted = cg.counted(answer.state, status=200, unchanged=True, verify=True, entries=0)
    assert (counted.not_modified_streak, counted.not_modified) == (0, 1)


def test_failed_and_refused() -> None:
    state = replace(KNOWN, last_status=200)
    assert cg.failed(state, code="http:503", status=503).last_status == 503
    failed = cg.failed(state, code="net:timeout", status=None)
    assert (failed.last_status, failed.last_error, failed.errors) == (None, "net:timeout", 1)
    refused = cg.refused(state)
    assert (refused.last_status, refused.last_error, refused.errors) == (200, "robots-disallowed", 1)


@pytest.mark.parametrize(("new_entries", "rand", "interval", "delay"),
                         [(3, 0.5, 450.0, 450.0), (0, 0.5, 1350.0, 1350.0), (0, 0.0, 1350.0, 1215.0)])
def test_rescheduled_from_the_fixed_clock(new_entries: int, rand: float, interval: float, delay: float) -> None:
    state = cg.rescheduled(KNOWN, now=NOW, every=900, lo=300, hi=3600, new_entries=new_entries,
                           ttl_minutes=None, fresh_for=None, rand=rand)
    assert state.interval_seconds == interval
    assert state.next_poll_at == NOW + timedelta(seconds=delay)


def test_kept_validators_when_an_article_was_not_stored() -> None:
    after = replace(KNOWN, etag='"v2"', last_modified=None, body_sha256="bbb", polls=3)
    kept = cg.kept_validators(after, KNOWN)
    assert (kept.etag, kept.last_modified, kept.body_sha256, kept.polls) == (
        KNOWN.etag, KNOWN.last_modified, KNOWN.body_sha256, 3)
