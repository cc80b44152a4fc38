"""The crawler: the one place that fetches pages and extracts their articles, for ``scraper
fetch`` (:func:`scraper.pipeline.ingest`), the poller and WARC import (its extractor).

    requests (a URL and the source it is fetched as)
      | robots.txt (the poller's crawls)
      | host lanes: tasks of the shared fetch pool, each taking its host's URLs one after another,
        at most ``concurrency`` lanes per host (its politeness slot: delay between requests,
        429/503 and a URL that ends in net:timeout pause the whole host; each URL within its
        url_budget), so the other threads serve other hosts
      | a bounded queue to the collector (the caller's thread); a lane takes one of ``in_hand``
        places (shared by every crawl) before it fetches, and the collector gives it back once
        the page is extracted, so fetching runs ahead of extraction by at most ``in_hand`` bodies
      | extraction executor (:class:`Extractor`): inline in the collector, or worker processes
        for a crawl of ``process_threshold`` URLs or more (bodies cross to a worker once)
      | IngestResult per URL, as they complete: a capture, an error (with its attempts), a skip
        (robots.txt) or ``abandoned`` (shutting down)

Storing is not the crawler's job: callers put the results into a
:class:`~scraper.archive.record.WriteRecord`. The client's answers reach politeness through
``fetch(on_response=...)``; nothing is hung on the client, which may be the caller's.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from scraper.archive.store import StoreOutcome
from scraper.errors import ScraperError
from scraper.models import Capture, FetchAttempt, FetchResult
from scraper.net.client import make_client
from scraper.net.politeness import Abandoned, Politeness, host_of
from scraper.net.retry import parse_retry_after
from scraper.net.robots import RobotsCache
from scraper.pipeline.steps import (
    attach_response,
    capture_inputs,
    capture_page,
    extract_capture_detached,
    fetch_page,
    finish_capture,
    mark_last,
    settings_for,
)
from scraper.settings import Settings
from scraper.sources.config import Politeness as SourcePoliteness
from scraper.sources.config import Source
from scraper.workers import process_pool

__all__ = ["Crawler", "Extractor", "IngestResult", "Request", "RobotsDisallowed"]

log = logging.getLogger(__name__)

GENERIC_POLITENESS = SourcePoliteness()  # for URLs fetched on the generic path



@dataclass(frozen=True)
class IngestResult:
    """What became of one URL: ``capture`` (and ``outcome`` once stored), or ``error``, or
    ``skipped`` (not fetched: ``robots-disallowed``, with ``detail``), or ``abandoned`` (not
    fetched: shutting down). ``attempts``: every HTTP attempt made for it."""

    url: str
    capture: Capture | None = None
    outcome: StoreOutcome | None = None
    error: ScraperError | None = None
    attempts: tuple[FetchAttempt, ...] = ()
    skipped: str | None = None
    detail: str | None = None
    abandoned: bool = False


@dataclass(frozen=True)
class Request:
    url: str
    source: Source | None = None  # fetched (headers, settings, politeness) and stored as


class _NeverStarted(Abandoned):
    """A URL left when shutting down: handed over without taking a place in hand."""


class RobotsDisallowed(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class Extractor:
    """The extraction executor: :meth:`inline` in the caller's thread, or :meth:`submit` to
    worker processes (started on first use; they fork from a server that imported the
    extraction code once and die with this process, see ``scraper/workers.py``)."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def workers(self) -> int:
        return self.processes or max(1, os.cpu_count() or 2)

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = process_pool(self.workers(), preload=["scraper.pipeline"])
            return self._pool

    def inline(self, url: str, result: FetchResult, source: Source | None) -> IngestResult:
        try:
            capture = capture_page(url, result, source)
        except ScraperError as exc:
            return IngestResult(url, error=exc, attempts=mark_last(result.attempts, exc))
        return IngestResult(url, capture=capture, attempts=result.attempts)

    def submit(self, url: str, result: FetchResult, source: Source | None) -> Future[Capture]:
        """Extract in a worker: the response goes without its attempts and comes back without
        its body (:meth:`finish` puts the response back)."""
        rules, key = capture_inputs(url, result, source)
        return self.pool().submit(extract_capture_detached, url, replace(result, attempts=()), rules,
                                  source.name if source else None, key)

    def finish(self, url: str, result: FetchResult, source: Source | None,
               future: Future[Capture]) -> IngestResult:
        try:
            capture = finish_capture(attach_response(future.result(), result), source)
        except ScraperError as exc:
            return IngestResult(url, error=exc, attempts=mark_last(result.attempts, exc))
        return IngestResult(url, capture=capture, attempts=result.attempts)

    def close(self, *, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


_Fetched = tuple[Request, FetchResult | None, BaseException | None]


class _InHand:
    """Responses fetched and not yet extracted, across every crawl of a crawler: a lane takes a
    place before it fetches and the collector gives it back once the page is extracted, so the
    bodies a process holds stay bounded however many sources crawl at once."""

    def __init__(self, limit: int) -> None:
        self._sem = threading.BoundedSemaphore(max(1, limit))

    def take(self, stop: threading.Event, done: threading.Event) -> bool:
        while not (stop.is_set() or done.is_set()):
            if self._sem.acquire(timeout=0.1):
                return True
        return False

    def give(self) -> None:
        self._sem.release()


class Crawler:
    """Client, politeness, robots cache, fetch pool and extraction executor, shared by every
    crawl of a process (a poll context, a ``scraper fetch`` run).

    ``robots``: read robots.txt before each URL (the poller); ``polite``: hold the host's
    politeness slot for each fetch (the poller; ``scraper fetch`` fetches the URLs it is given
    in turn, without delays)."""

    def __init__(self, settings: Settings, *, client: httpx.Client | None = None,
                 environ: Mapping[str, str] | None = None, workers: int = 64,
                 processes: int | None = None, process_threshold: int = 24,
                 queue_size: int = 64, in_hand: int = 256, robots: bool = True,
                 polite: bool = True) -> None:
        self.settings = settings
        self.environ = dict(os.environ if environ is None else environ)
        self.stop = threading.Event()
        self.politeness = Politeness(stop=self.stop)
        self._own_client = client is None
        self.client = client or make_client(settings)
        self.robots = RobotsCache(self.client) if robots else None
        self.polite = polite
        self.workers = workers
        self.process_threshold = process_threshold
        self.queue_size = max(1, queue_size)
        self.in_hand = _InHand(in_hand)
        self.extractor = Extractor(processes)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._give_up_at: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def fetch_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="fetch")
            return self._pool

    def interrupt(self, grace: float) -> None:
        """Stop taking work: lanes take no new URL (the rest comes back ``abandoned``), waits
        for a host and retry sleeps give up, and fetches running now get ``grace`` seconds;
        then crawls stop waiting for them (see :meth:`given_up`)."""
        self._give_up_at = time.monotonic() + grace
        self.stop.set()

    def given_up(self) -> bool:
        """True once the grace given by :meth:`interrupt` is over."""
        return self._give_up_at is not None and time.monotonic() >= self._give_up_at

    def close(self, *, wait: bool = True) -> None:
        self.stop.set()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
        self.extractor.close(wait=wait)
        if self._own_client:
            self.client.close()

    def take_attempts(self) -> list[FetchAttempt]:
        """robots.txt fetches made since the last call, for the ``fetches`` table."""
        return self.robots.take_attempts() if self.robots is not None else []

    # -- one GET -----------------------------------------------------------------------------
    def _on_response(self, url: str, status: int, headers: httpx.Headers) -> None:
        if status in (429, 503):
            retry_after = parse_retry_after(headers.get("retry-after"), datetime.now(UTC))
            pause = self.politeness.back_off(url, retry_after)
            log.warning("host backoff", extra={"host": host_of(url), "status": status,
                                               "pause_s": round(pause, 2)})
        elif status < 400:
            self.politeness.relieve(url)

    def get(self, url: str, source: Source | None, *, headers: dict[str, str] | None = None) -> FetchResult:
        """GET ``url`` as ``source`` (its settings: private addresses only for its own domains;
        its headers and politeness), robots.txt first. Raises :class:`RobotsDisallowed`,
        :class:`~scraper.net.politeness.Abandoned` (shutting down) or a ScraperError. A host
        whose URL ends in ``net:timeout`` is paused as after a 503."""
        settings = settings_for(self.settings, source)
        delay = None
        if self.robots is not None:
            ok, delay, status = self.robots.check(url, settings, source.name if source else None)
            if not ok:
                raise RobotsDisallowed(status)
        if not self.polite:
            return fetch_page(self.client, url, self.settings, source, self.environ, extra_headers=headers)
        pol = source.politeness if source is not None else GENERIC_POLITENESS
        with self.politeness.slot(url, min_delay=pol.min_delay, concurrency=pol.concurrency,
                                  crawl_delay=delay):
            try:
                return fetch_page(self.client, url, self.settings, source, self.environ,
                                  extra_headers=headers, sleep=self.politeness.sleep,
                                  on_response=self._on_response)
            except ScraperError as exc:
                if exc.code == "net:timeout":
                    pause = self.politeness.back_off(url, None)
                    log.warning("host backoff", extra={"host": host_of(url), "error": exc.code,
                                                       "pause_s": round(pause, 2)})
                raise

    def fetch_one(self, request: Request) -> IngestResult:
        """Fetch and extract one URL in the caller's thread."""
        try:
            result = self.get(request.url, request.source)
        except BaseException as exc:
            return self._failed(request, exc)
        return self.extractor.inline(request.url, result, request.source)

    def _failed(self, request: Request, exc: BaseException) -> IngestResult:
        if isinstance(exc, RobotsDisallowed):
            return IngestResult(request.url, skipped="robots-disallowed", detail=f"robots.txt {exc.status}")
        if isinstance(exc, Abandoned):
            return IngestResult(request.url, abandoned=True)
        if isinstance(exc, ScraperError):
            return IngestResult(request.url, error=exc, attempts=exc.attempts)
        raise exc

    # -- many URLs ---------------------------------------------------------------------------
    def crawl(self, requests: Sequence[Request]) -> Iterator[IngestResult]:
        """Fetch and extract ``requests`` in host lanes; one result per request, as they
        complete. After an interrupt's grace, fetches still running are abandoned (no result)."""
        if not requests:
            return
        by_host: dict[str, deque[Request]] = defaultdict(deque)
        for r in requests:
            by_host[host_of(r.url)].append(r)
        fetched: queue.Queue[_Fetched] = queue.Queue(self.queue_size)
        done = threading.Event()  # the collector left: lanes stop handing over
        lock = threading.Lock()
        pool = self.fetch_pool()
        lanes: list[Future[None]] = []
        for items in by_host.values():
            owner = items[0].source
            pol = owner.politeness if owner is not None else GENERIC_POLITENESS
            for _ in range(min(pol.concurrency, len(items))):
                lanes.append(pool.submit(self._lane, items, lock, fetched, done))
        use_procs = len(requests) >= self.process_threshold and (os.cpu_count() or 1) > 1
        limit = 4 * self.extractor.workers()  # extractions in flight (each holds its body)
        extracting: deque[tuple[Request, FetchResult, Future[Capture]]] = deque()
        try:
            while True:
                while extracting and (extracting[0][2].done() or len(extracting) > limit):
                    req, result, fut = extracting.popleft()
                    self.in_hand.give()
                    yield self.extractor.finish(req.url, result, req.source, fut)
                try:
                    req, result, error = fetched.get(timeout=0.05)
                except queue.Empty:
                    lanes_done = all(f.done() for f in lanes)  # before looking at the queue
                    if fetched.empty() and (lanes_done or self.given_up()):
                        break  # all fetched, or interrupted: fetches past the grace are abandoned
                    continue
                if result is None:
                    assert error is not None
                    if not isinstance(error, _NeverStarted):
                        self.in_hand.give()
                    yield self._failed(req, error)
                elif use_procs:
                    extracting.append((req, result, self.extractor.submit(req.url, result, req.source)))
                else:
                    self.in_hand.give()
                    yield self.extractor.inline(req.url, result, req.source)
            while extracting:
                req, result, fut = extracting.popleft()
                self.in_hand.give()
                yield self.extractor.finish(req.url, result, req.source, fut)
        finally:
            done.set()
            for _ in extracting:  # left unfinished (the caller stopped iterating)
                self.in_hand.give()
            while True:
                try:
                    _, result, error = fetched.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(error, _NeverStarted):
                    self.in_hand.give()
        for f in lanes:
            if f.done():
                f.result()  # surface a bug in a lane

    def _lane(self, items: deque[Request], lock: threading.Lock, fetched: queue.Queue[_Fetched],
              done: threading.Event) -> None:
        def hand(item: _Fetched, held: bool) -> None:
            while not done.is_set():
                try:
                    fetched.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue
            if held:  # the collector left: nobody will give the place back
                self.in_hand.give()

        while not self.stop.is_set() and not done.is_set():
            with lock:
                if not items:
                    return
                req = items.popleft()
            if not self.in_hand.take(self.stop, done):
                with lock:
                    items.appendleft(req)
                break
            try:
                hand((req, self.get(req.url, req.source), None), True)
            except (ScraperError, RobotsDisallowed, Abandoned) as exc:
                hand((req, None, exc), True)
        while True:  # shutting down: what is left is abandoned
            with lock:
                if not items:
                    return
                req = items.popleft()
            hand((req, None, _NeverStarted("shutting down")), False)
