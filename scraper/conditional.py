"""The conditional-GET state machine of one feed, as pure functions over a :class:`FeedState`.

No I/O and no clock reads (the caller passes ``now`` and a random draw), tested with a fixed
clock like ``schedule.py``. One poll of a feed goes::

    headers = request_headers(state)             # If-None-Match / If-Modified-Since, or none
    state = started(state, now)                  # last_polled_at, polls + 1
    then one of:
      seen = answered(state, sent=headers, verify=verifying(state), status=..., body_sha256=...,
                      etag=..., last_modified=...)   # 304 or 200: unchanged?, validators
      state = counted(seen.state, status=..., unchanged=seen.unchanged, verify=..., entries=n)
    or
      state = failed(state, code=..., status=...)      # refused(state): robots.txt said no
    state = rescheduled(state, now=now, every=..., lo=..., hi=..., new_entries=n, ttl_minutes=...,
                        fresh_for=..., rand=...)
    and, when some article of the feed could not be handled:  kept_validators(state, before)

Validators go stale when a server sends them but never honours them (a 200 with the very body
sent before, or a 304 although the body changed, seen on the unconditional GET sent every
:data:`VERIFY_AFTER` 304s in a row); a feed with stale validators is fetched unconditionally
and judged unchanged by its body's sha256.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scraper.models import FeedState
from scraper.schedule import jittered, next_interval

__all__ = [
    "VERIFY_AFTER", "Answer", "answered", "counted", "failed", "kept_validators", "refused",
    "request_headers", "rescheduled", "started", "verifying",
]

VERIFY_AFTER = 20  # 304s in a row before one unconditional GET checks the server's validators


@dataclass(frozen=True)
class Answer:
    """What a 200 or 304 says about the feed: the new state, whether the document is the same
    as last time (nothing to parse), and why validators were found stale (None: they were not)."""

    state: FeedState
    unchanged: bool
    stale_because: str | None = None


def verifying(state: FeedState) -> bool:
    """This poll sends no validators to check that the server's 304s are true."""
    return state.not_modified_streak >= VERIFY_AFTER


def request_headers(state: FeedState) -> dict[str, str]:
    """The validators to send: none while they are stale or while :func:`verifying`."""
    headers: dict[str, str] = {}
    if state.validators_stale or verifying(state):
        return headers
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def started(state: FeedState, now: datetime) -> FeedState:
    return replace(state, last_polled_at=now, polls=state.polls + 1)


def answered(state: FeedState, *, sent: dict[str, str], verify: bool, status: int,
             body_sha256: str | None, etag: str | None, last_modified: str | None) -> Answer:
    """A 304 (``body_sha256`` None) or a 200 with its body's sha256 and validators."""
    if status == 304:
        return Answer(state, unchanged=True)
    same = body_sha256 == state.body_sha256
    why = None
    if same and sent:
        why = "200 with same body"
    elif verify and not same and not state.validators_stale:
        why = "304 while changed"
    if why is not None:
        state = replace(state, validators_stale=True)
    state = replace(state, body_sha256=body_sha256, etag=etag, last_modified=last_modified)
    return Answer(state, unchanged=same, stale_because=why)


def counted(state: FeedState, *, status: int, unchanged: bool, verify: bool, entries: int) -> FeedState:
    """The counters after an answer: a 304 streak (not counted on a verifying GET), entries."""
    return replace(state, last_status=status, last_error=None,
                   not_modified_streak=state.not_modified_streak + 1 if unchanged and not verify else 0,
                   not_modified=state.not_modified + (1 if unchanged else 0),
                   entries_seen=state.entries_seen + entries)


def failed(state: FeedState, *, code: str, status: int | None) -> FeedState:
    """A GET that failed (``code``: ``http:503``, ``net:timeout``…; ``status``: the HTTP status,
    None without one)."""
    return replace(state, last_status=status, last_error=code, errors=state.errors + 1)


def refused(state: FeedState) -> FeedState:
    """robots.txt refused the feed: not fetched, counted as an error; the last status stays."""
    return replace(state, last_error="robots-disallowed", errors=state.errors + 1)


def rescheduled(state: FeedState, *, now: datetime, every: float, lo: float, hi: float,
                new_entries: int, ttl_minutes: int | None, fresh_for: float | None,
                rand: float) -> FeedState:
    """The next poll: ``schedule.next_interval`` from the last one, jittered by ``rand``."""
    interval = next_interval(state.interval_seconds, every=every, lo=lo, hi=hi, new_entries=new_entries,
                             ttl_minutes=ttl_minutes, fresh_for=fresh_for)
    return replace(state, interval_seconds=interval,
                   next_poll_at=now + timedelta(seconds=jittered(interval, rand)))


def kept_validators(state: FeedState, before: FeedState) -> FeedState:
    """``state`` with the validators and body hash of ``before``: an article the feed led to
    was not stored, so the next poll must not be told the feed is unchanged."""
    return replace(state, etag=before.etag, last_modified=before.last_modified,
                   body_sha256=before.body_sha256)
