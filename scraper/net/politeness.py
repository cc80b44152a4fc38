"""Per-host politeness: a minimum delay between request starts, a cap on requests in flight,
and a whole-host pause after 429/503 (scrapy's download ``Slot``, as a small record per host).

    with politeness.slot(url, min_delay=1.0, concurrency=2, crawl_delay=robots_delay):
        fetch(...)

A host is ``scheme://host:port``. Waiting threads wake on release and every ``poll`` seconds
to notice :attr:`Politeness.stop`; when it is set they raise :class:`Abandoned`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.schedule import host_backoff

__all__ = ["Abandoned", "HostSlot", "Politeness", "host_of"]


class Abandoned(Exception):
    """Raised to a thread waiting for a host (or a retry) when shutdown began."""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


@dataclass
class HostSlot:
    delay: float = 0.0  # seconds between two request starts
    concurrency: int = 1
    active: int = 0
    next_at: float = 0.0  # clock time before which no request starts
    blocked_until: float = 0.0  # 429/503 pause
    strikes: int = 0  # 429/503s in a row
    requests: int = 0


class Politeness:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, poll: float = 0.1,
                 stop: threading.Event | None = None) -> None:
        self.clock = clock
        self.poll = poll
        self.stop = stop or threading.Event()
        self._cond = threading.Condition()
        self._slots: dict[str, HostSlot] = {}

    def get(self, url: str) -> HostSlot:
        with self._cond:
            return self._slots.setdefault(host_of(url), HostSlot())

    @contextmanager
    def slot(self, url: str, *, min_delay: float, concurrency: int,
             crawl_delay: float | None = None) -> Iterator[HostSlot]:
        """Wait for the host's turn, hold one of its ``concurrency`` places for the block."""
        key = host_of(url)
        delay = max(min_delay, crawl_delay or 0.0)
        with self._cond:
            slot = self._slots.setdefault(key, HostSlot())
            slot.delay, slot.concurrency = delay, max(1, concurrency)
            while True:
                if self.stop.is_set():
                    raise Abandoned(f"shutting down: {url} not fetched")
                now = self.clock()
                start = max(slot.next_at, slot.blocked_until)
                if slot.active < slot.concurrency and now >= start:
                    break
                wait = self.poll if slot.active >= slot.concurrency else min(start - now, self.poll)
                self._cond.wait(max(wait, 0.001))
            slot.active += 1
            slot.requests += 1
            slot.next_at = now + delay
        try:
            yield slot
        finally:
            with self._cond:
                slot.active -= 1
                self._cond.notify_all()

    def back_off(self, url: str, retry_after: float | None) -> float:
        """Pause the whole host after a 429/503; returns the pause in seconds."""
        with self._cond:
            slot = self._slots.setdefault(host_of(url), HostSlot())
            slot.strikes += 1
            pause = host_backoff(retry_after, slot.strikes)
            slot.blocked_until = max(slot.blocked_until, self.clock() + pause)
            self._cond.notify_all()
            return pause

    def relieve(self, url: str) -> None:
        """A good answer from the host: the next 429 starts the backoff afresh."""
        with self._cond:
            slot = self._slots.get(host_of(url))
            if slot is not None:
                slot.strikes = 0

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that ends early with :class:`Abandoned` when shutdown begins."""
        if self.stop.wait(seconds):
            raise Abandoned("shutting down during a retry wait")
