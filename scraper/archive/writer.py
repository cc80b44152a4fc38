"""The archive writer thread: records from many threads, written together, at most so often.

:meth:`WriteBuffer.submit` hands a :class:`~scraper.archive.record.WriteRecord` over and gets a
:class:`Ticket` back; the writer thread stores whatever every thread submitted meanwhile in one
:func:`scraper.archive.record.store` (one transaction per ``max_captures`` captures at most).
It writes at most every ``interval`` seconds (sooner when ``max_captures`` wait, or when a caller waits on its ticket), so the file
stays free between writes for other processes. A write that meets another process's lock past
the lock timeout leaves the records pending, in order, for the next flush (and the file alone
for ``retry_after`` seconds unless a caller waits).

A ticket says what became of its record: ``attempted`` (an event) once a write tried it,
``outcomes`` once stored, ``error`` when a write failed for another reason than a lock. Once
stored, the record's captures (their response bodies and texts) are let go: a ticket keeps only
the outcomes. The writer calls nothing of its callers; listeners go on ``Archive.on_commit``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from scraper.archive.db import Archive
from scraper.archive.record import WriteRecord, store
from scraper.archive.store import StoreOutcome
from scraper.errors import ArchiveLockedError

__all__ = ["Ticket", "WriteBuffer"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Ticket:
    """A submitted record and what became of it."""

    record: WriteRecord | None  # None once stored (its bodies let go)
    captures: int = 0
    outcomes: list[StoreOutcome] | None = None  # set once stored
    error: BaseException | None = None  # why the last write of it failed (not a lock)
    attempted: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def stored(self) -> bool:
        return self.outcomes is not None


class WriteBuffer:
    """Records waiting for the archive; see the module doc. Without :meth:`start`, records
    wait for :meth:`flush` (or a waiting :meth:`submit`) in the caller's thread."""

    def __init__(self, archive: Archive, *, interval: float = 0.5, max_captures: int = 1000,
                 retry_after: float = 1.0) -> None:
        self.archive = archive
        self.interval = interval
        self.max_captures = max_captures
        self.retry_after = retry_after
        self._pending: list[Ticket] = []
        self._inflight: list[Ticket] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._waiting: set[Ticket] = set()  # tickets whose submit(wait=True) waits
        self._tallies: dict[str, Counter[str]] = {}  # statuses stored per poll key
        self._closed = False
        self._thread: threading.Thread | None = None
        self._last_write = 0.0  # monotonic end of the writer thread's last attempt
        self._hold_until = 0.0  # no background retry before this (after a lock timeout)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def pending_captures(self) -> int:
        """Captures handed over and not yet committed (waiting, or being written now)."""
        with self._lock:
            return sum(t.captures for t in (*self._pending, *self._inflight))

    def pending_urls(self) -> set[str]:
        """URLs fetched but not yet committed (waiting, or being written now)."""
        with self._lock:
            return {u for t in (*self._pending, *self._inflight) if t.record for u in t.record.urls()}

    # -- the writer thread -------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Stop the writer thread after its current write; what is pending stays pending."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def submit(self, record: WriteRecord, *, wait: bool = False) -> Ticket:
        """Hand ``record`` to the writer; with ``wait``, return once it has been tried (stored,
        or kept pending because the archive stayed locked). Without a writer thread (or once
        closed), ``wait`` flushes in the caller's thread."""
        ticket = Ticket(record, captures=len(record.captures))
        if record.empty():
            ticket.record = None
            ticket.outcomes = []
            ticket.attempted.set()
            return ticket
        with self._lock:
            threaded = self._thread is not None and not self._closed
            self._pending.append(ticket)
            if wait and threaded:
                self._waiting.add(ticket)
            self._wake.notify()
        if not wait:
            return ticket
        if not threaded:
            self.flush()
            return ticket
        try:
            while not ticket.attempted.wait(0.5):
                with self._lock:
                    if self._closed or self._thread is None or not self._thread.is_alive():
                        break
            if not ticket.attempted.is_set():
                self.flush()
        finally:
            with self._lock:
                self._waiting.discard(ticket)
        return ticket

    def _due(self, now: float) -> float | None:
        """Seconds until the writer should flush (0: now), None while idle. Holds _lock."""
        if not self._pending:
            return None
        if self._closed or any(not t.attempted.is_set() for t in self._waiting):
            return 0.0
        if now < self._hold_until:
            return self._hold_until - now
        if sum(t.captures for t in self._pending) >= self.max_captures:
            return 0.0
        return max(0.0, self._last_write + self.interval - now)

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._closed:
                        return
                    wait = self._due(time.monotonic())
                    if wait == 0.0:
                        break
                    self._wake.wait(wait)
            hold = 0.0
            try:
                if not self.flush():
                    hold = self.retry_after  # locked: leave the file alone for a while
            except BaseException as exc:  # kept on the tickets, raised in their submitters
                log.error("archive write failed", extra={"error": getattr(exc, "code", type(exc).__name__),
                                                         "detail": str(exc).splitlines()[0] if str(exc) else ""})
                hold = 5 * self.retry_after
            with self._lock:
                self._last_write = time.monotonic()
                self._hold_until = self._last_write + hold if hold else 0.0

    # -- one write --------------------------------------------------------------------------
    def flush(self) -> bool:
        """Write every pending record, in order, ``max_captures`` captures per transaction at
        most (a write's memory grows with its captures). True when nothing is left pending;
        False when the archive stayed locked (what was not written stays pending)."""
        with self._flush_lock:
            while True:
                with self._lock:
                    if not self._pending:
                        return True
                    tickets: list[Ticket] = []
                    captures = 0
                    while self._pending and (not tickets or captures + self._pending[0].captures
                                             <= self.max_captures):
                        ticket = self._pending.pop(0)
                        tickets.append(ticket)
                        captures += ticket.captures
                    self._inflight = tickets
                if not self._write(tickets):
                    with self._lock:  # the archive is locked: every pending record was tried
                        for ticket in self._pending:
                            ticket.attempted.set()
                    return False

    def _write(self, tickets: list[Ticket]) -> bool:
        t0 = time.monotonic()
        records = [t.record for t in tickets if t.record is not None]
        try:
            results = store(self.archive, records, self._tallies)
        except ArchiveLockedError as exc:
            self._put_back(tickets, None)
            log.warning("archive locked, writes kept for the next flush",
                        extra={"batches": len(tickets), "error": exc.code})
            return False
        except BaseException as exc:
            self._put_back(tickets, exc)
            raise
        for ticket, outcomes in zip(tickets, results, strict=True):
            ticket.outcomes = outcomes
            ticket.record = None  # stored: bodies and texts let go
            ticket.error = None
        with self._lock:
            self._inflight = []
        for ticket in tickets:
            ticket.attempted.set()
        log.info("store", extra={"batches": len(tickets), "captures": sum(t.captures for t in tickets),
                                 "ms": round((time.monotonic() - t0) * 1000)})
        return True

    def _put_back(self, tickets: list[Ticket], error: BaseException | None) -> None:
        for t in tickets:
            t.outcomes = None
            t.error = error
        with self._lock:
            self._pending[:0] = tickets
            self._inflight = []
        for t in tickets:
            t.attempted.set()
