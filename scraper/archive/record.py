"""The one write path: a :class:`WriteRecord` of everything one transaction stores, and
:func:`apply` that stores it, whoever made it (``scraper fetch``, the poller, WARC import,
re-extraction).

    WriteRecord(captures, rechecks, attempts, skips, feeds, poll)
        -> apply(con, record): store_captures -> schedule re-checks -> fetches -> skips
                               -> feed states -> polls row
        -> store(archive, records): one Archive.write (one transaction), then the on_commit hook

Storing a capture always schedules its article's next re-check (``scraper.schedule.recheck_at``:
truncated and locked articles after 1, 3, 7 and 30 days; full ones never), so an article
archived by any road is re-checked the same way.

**The after-commit hook.** ``Archive.on_commit`` is a list of callables ``fn(article_ids)``;
:func:`store` calls each once its transaction has committed, with the ids of the articles it
stored (new, updated or unchanged; in store order, duplicates removed), on the thread that
wrote (the writer thread for the poller and the daemon). A listener's exception is logged and
never fails the write: what is committed stays committed. Every write of captures goes through
:func:`store` (one-shot commands directly, the poller through
:class:`scraper.archive.writer.WriteBuffer`), so a listener registered on the ``Archive`` a
process writes with sees every article that process stores. Not called for a write that
rolled back, nor for records without captures. After them, the process-wide followers of
:mod:`scraper.hooks` (registered once by the CLI: the search index) get the archive's path.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from scraper.archive.db import Archive
from scraper.hooks import notify_committed
from scraper.archive.store import (
    Skip,
    StoreOutcome,
    log_fetches,
    record_poll,
    record_skips,
    save_feed_states,
    schedule_rechecks,
    store_captures,
)
from scraper.models import Capture, FeedState, FetchAttempt, PollRow
from scraper.schedule import recheck_at

__all__ = ["WriteRecord", "apply", "store"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class WriteRecord:
    """Everything one transaction stores. ``rechecks``: URLs of ``captures`` fetched as a
    re-check of a truncated or locked article (their ``check_count`` goes up by one).
    ``poll``: the ``polls`` row of the poll this record ends; its new / updated / unchanged
    counts are those of the captures stored for ``poll_key`` (this record's and, through the
    writer, the poll's earlier records)."""

    captures: list[Capture] = field(default_factory=list)
    rechecks: set[str] = field(default_factory=set)
    attempts: list[FetchAttempt] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    feeds: list[FeedState] = field(default_factory=list)
    poll: PollRow | None = None
    poll_key: str | None = None

    def empty(self) -> bool:
        return not (self.captures or self.attempts or self.skips or self.feeds or self.poll)

    def urls(self) -> set[str]:
        return {c.url for c in self.captures}


def apply(con: duckdb.DuckDBPyConnection, record: WriteRecord,
          earlier: Counter[str] | None = None) -> list[StoreOutcome]:
    """Store ``record`` in the open transaction of ``con``; one outcome per capture, in order.
    ``earlier``: statuses already stored for the record's poll (see :class:`WriteRecord`)."""
    outcomes = store_captures(con, record.captures)
    schedule_rechecks(
        con,
        [(o.article_id, c.article.access, c.fetched_at, c.url in record.rechecks)
         for c, o in zip(record.captures, outcomes, strict=True)],
        recheck_at,
    )
    log_fetches(con, record.attempts)
    record_skips(con, record.skips)
    save_feed_states(con, record.feeds)
    if record.poll is not None:
        counts = Counter(earlier or {})
        counts.update(o.status for o in outcomes)
        record_poll(con, record.poll, counts)
    return outcomes


def store(archive: Archive, records: Sequence[WriteRecord],
          tallies: dict[str, Counter[str]] | None = None) -> list[list[StoreOutcome]]:
    """Apply ``records`` in one transaction (one ``Archive.write``), then call the archive's
    ``on_commit`` listeners. ``tallies``: statuses committed so far per poll key (the writer's),
    updated once this transaction commits. Raises what ``Archive.write`` raises (nothing is
    stored then, and no listener is called)."""
    committed = tallies if tallies is not None else {}
    local: dict[str, Counter[str]] = {}

    def write(con: duckdb.DuckDBPyConnection) -> list[list[StoreOutcome]]:
        local.clear()  # a retried write starts over
        out = []
        for record in records:
            key = record.poll_key
            earlier = None
            if key is not None:
                earlier = committed.get(key, Counter()) + local.get(key, Counter())
            outcomes = apply(con, record, earlier)
            if key is not None:
                local.setdefault(key, Counter()).update(o.status for o in outcomes)
            out.append(outcomes)
        return out

    results = archive.write(write)
    if tallies is not None:
        ended = {r.poll_key for r in records if r.poll is not None and r.poll_key is not None}
        for key, counts in local.items():
            if key not in ended:
                tallies.setdefault(key, Counter()).update(counts)
        for key in ended:
            tallies.pop(key, None)
    ids = list(dict.fromkeys(o.article_id for outcomes in results for o in outcomes))
    if ids:
        notify_commit(archive, ids)
    return results


def notify_commit(archive: Archive, article_ids: list[int]) -> None:
    """Call every ``archive.on_commit`` listener with ``article_ids``, then the process-wide
    followers of :mod:`scraper.hooks` with the archive's path (the search index catches up
    from the archive's ``change_seq``); log, never raise."""
    notify_committed(archive.path)  # logs its listeners' failures itself
    for listener in list(archive.on_commit):
        try:
            listener(article_ids)
        except Exception as exc:  # a listener never fails a committed write
            log.error("on_commit listener failed",
                      extra={"listener": getattr(listener, "__qualname__", repr(listener)),
                             "error": type(exc).__name__,
                             "detail": str(exc).splitlines()[0] if str(exc) else ""})
