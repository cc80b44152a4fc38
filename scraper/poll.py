"""poll_source / poll_all: due feeds -> candidate URLs -> pipeline, politely and in batches.

    due feeds, sitemaps, index pages (feeds.next_poll_at)   | conditional GET (ETag, Last-Modified)
      | parse (discover/)  | candidate URLs (article_url, plugin filter) + due re-checks
      | links to other hosts: fetched as the source owning their domain, else generic (the
        default policy: private addresses refused), or skipped (``offsite: skip``)
      | skip: already archived and not updated since | robots.txt disallowed | offsite -> skips
      | fetch: host lanes in a thread pool (politeness slot per host, 429/503 pause the host,
        and so does a URL that ends in net:timeout; each URL within its url_budget)
      | extract: in the collector, or in a process pool when the poll is large
      | store: batches (captures + fetch log + skips + feed state) go to the archive writer
        thread, which writes what every source handed it in one Archive.write at most every
        ``write_interval`` seconds; a source's poll waits only for its last batch

Concurrency: every source polls in its own thread; a page fetch runs in a *host lane*, a task of
the shared fetch pool that takes the host's URLs one after another, so at most ``concurrency``
threads ever wait on one host and the other threads serve other hosts. Lanes hand responses to
the source's collector through a queue, so fetching never waits on extraction; large polls
extract in worker processes, so extraction never waits on the collector's writes.

Nothing is lost on a crash or a lock: a feed's new validators are written only together with
(or after) every article its entries led to, so a restart refetches the feed and skips what is
archived; writes that meet another process's lock stay in :class:`WriteBuffer` and go with the
next flush.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import duckdb
import httpx

from scraper.archive import Archive
from scraper.archive.queries import archived_lookup, due_rechecks, feed_states
from scraper.archive.record import WriteRecord
from scraper.archive.store import Skip
from scraper.archive.writer import Ticket, WriteBuffer
from scraper.decode import decode_html
from scraper.discover.feeds import parse_feed
from scraper.discover.index_pages import links_from_index
from scraper.discover.sitemaps import collect_sitemap_urls, parse_sitemap
from scraper.errors import ArchiveLockedError, ArchiveMissingError, ScraperError
from scraper.models import Capture, FeedState, FetchResult, PollRow
from scraper.net.client import make_client
from scraper.net.politeness import Abandoned, Politeness, host_of
from scraper.net.retry import parse_retry_after
from scraper.net.robots import RobotsCache
from scraper.pipeline import (
    attach_response,
    capture_inputs,
    capture_page,
    extract_capture_detached,
    fetch_page,
    finish_capture,
    settings_for,
)
from scraper.progress import QUIET, Progress
from scraper.schedule import cache_lifetime, jittered, next_interval, recheck_at
from scraper.settings import Settings
from scraper.sources.config import Politeness as SourcePoliteness
from scraper.sources.config import Source, SourceSet
from scraper.sources.registry import article_key, candidate_entries, match_source
from scraper.workers import process_pool

__all__ = ["PollContext", "PollOptions", "PollSummary", "poll_all", "poll_source"]

log = logging.getLogger(__name__)

VERIFY_AFTER = 20  # 304s in a row before one unconditional GET checks the server's validators
TRANSIENT = ("net:", "http:429", "http:5")  # failures worth another try at the next poll


@dataclass(frozen=True)
class PollOptions:
    force: bool = False  # poll every feed now, due or not (``scraper poll``)
    workers: int = 64  # fetch threads shared by all sources (>= 2 lanes x sources polled at once)
    source_threads: int = 32  # sources polled at once by poll_all (each mostly waits on its lanes)
    batch_size: int = 100  # captures per batch handed to the archive writer
    write_interval: float = 0.5  # the writer thread writes at most this often (unless waited on)
    write_captures: int = 1000  # ... or as soon as this many captures wait
    process_threshold: int = 24  # extract in worker processes when a poll fetches this many pages
    processes: int | None = None  # worker processes (default: CPU count)
    recheck_limit: int = 50  # re-checks of truncated/locked articles per source poll
    max_candidates: int = 5000  # article URLs considered per source poll
    lock_timeout: float | None = None  # archive lock wait per write (default: settings')


@dataclass
class PollSummary:
    source: str
    feeds: int = 0  # feeds, sitemaps and index pages polled
    not_modified: int = 0  # of which answered 304 (or the same body)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    rechecked: int = 0
    pending: int = 0  # captures buffered because the archive was locked
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        return {
            "source": self.source, "feeds": self.feeds, "not_modified": self.not_modified,
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "errors": self.errors, "pending": self.pending,
            "seconds": round(self.seconds, 2),
        }


# -- the context shared by all polls of a process ----------------------------------------------


class PollContext:
    """Client, politeness, robots cache, pools and the write buffer, shared by every poll."""

    def __init__(self, settings: Settings, archive: Archive, *, options: PollOptions | None = None,
                 client: httpx.Client | None = None, environ: dict[str, str] | None = None,
                 now: Callable[[], datetime] | None = None, progress: Progress | None = None,
                 sources: Sequence[Source] | None = None) -> None:
        self.settings = settings
        # every source, to match a feed's links to other hosts to their own source
        self.sources: Sequence[Source] | None = sources
        self.progress: Progress = progress or QUIET  # one task per source: articles handled
        self.options = options or PollOptions()
        self.archive = archive.with_options(lock_timeout=self.options.lock_timeout)
        self.environ = dict(os.environ if environ is None else environ)
        self.now = now or (lambda: datetime.now(UTC))
        self.stop = threading.Event()
        self.politeness = Politeness(stop=self.stop)
        self._own_client = client is None
        self.client = client or make_client(settings)
        self.client.event_hooks.setdefault("response", []).append(self._on_response)
        self.robots = RobotsCache(self.client)
        self.writer = WriteBuffer(self.archive, interval=self.options.write_interval,
                                  max_captures=self.options.write_captures)
        self.fetch_pool = ThreadPoolExecutor(self.options.workers, thread_name_prefix="fetch")
        self._procs: ProcessPoolExecutor | None = None
        self._procs_lock = threading.Lock()
        self._give_up_at: float | None = None
        try:
            self.archive.write(lambda con: None)  # create and migrate before the first read
        except ArchiveLockedError:
            if not self.archive.exists():
                raise
            log.warning("archive locked at start; reading it, writes will wait",
                        extra={"db": str(self.archive.path)})
        self.writer.start()

    def _on_response(self, response: httpx.Response) -> None:
        url = str(response.request.url)
        if response.status_code in (429, 503):
            retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            pause = self.politeness.back_off(url, retry_after)
            log.warning("host backoff", extra={"host": host_of(url), "status": response.status_code,
                                               "pause_s": round(pause, 2)})
        elif response.status_code < 400:
            self.politeness.relieve(url)

    def processes(self) -> ProcessPoolExecutor:
        with self._procs_lock:
            if self._procs is None:
                n = self.options.processes or max(1, (os.cpu_count() or 2))
                # workers fork from a server that imported the extraction code once, instead
                # of each importing it (trafilatura, lxml...) on its first page; they exit
                # when this process dies, however it dies (scraper/workers.py)
                self._procs = process_pool(n, preload=["scraper.pipeline"])
            return self._procs

    def interrupt(self, grace: float) -> None:
        """Stop taking work (an interrupt): lanes take no new URL, waits for a host and retry
        sleeps give up, and fetches running now get ``grace`` seconds; then the polls stop
        waiting for them and store what they hold (see :meth:`given_up`)."""
        self._give_up_at = time.monotonic() + grace
        self.stop.set()

    def given_up(self) -> bool:
        """True once the grace given by :meth:`interrupt` is over."""
        return self._give_up_at is not None and time.monotonic() >= self._give_up_at

    def close(self, *, wait: bool = True) -> None:
        self.stop.set()
        self.fetch_pool.shutdown(wait=wait, cancel_futures=True)
        self.writer.close(None if wait else 2.0)
        if self._procs is not None:
            self._procs.shutdown(wait=wait, cancel_futures=True)
        if self._own_client:
            self.client.close()

    def __enter__(self) -> PollContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- one source --------------------------------------------------------------------------------


@dataclass
class _Target:
    url: str
    kind: str  # feed | sitemap | index
    selector: str = "a[href]"


@dataclass
class _Candidate:
    url: str
    hint: datetime | None  # entry updated / sitemap lastmod
    feeds: set[str] = field(default_factory=set)
    recheck: bool = False
    # the source it is fetched and stored as: the polled one for its own domains, else the
    # source owning the link's domain, else None (the generic path, default policy)
    owner: Source | None = None


class _Own:
    """Marker: fetch as the polled source itself."""


OWN = _Own()
GENERIC_POLITENESS = SourcePoliteness()  # for links fetched on the generic path


def targets(source: Source) -> list[_Target]:
    return ([_Target(f.url, "feed") for f in source.feeds]
            + [_Target(s.url, "sitemap") for s in source.sitemaps]
            + [_Target(i.url, "index", i.link_selector) for i in source.index_pages])


def _state(row: dict[str, Any] | None, target: _Target, source: str) -> FeedState:
    if row is None:
        return FeedState(feed_url=target.url, source=source, kind=target.kind)
    return FeedState(**{k: row.get(k) for k in FeedState.__dataclass_fields__ if k in row
                        and row.get(k) is not None} | {"feed_url": target.url, "source": source,
                                                       "kind": target.kind})


def _read(ctx: PollContext, fn: Callable[[duckdb.DuckDBPyConnection], Any], default: Any) -> Any:
    try:
        return ctx.archive.read(fn)
    except ArchiveMissingError:
        return default


def poll_source(source: Source, ctx: PollContext, *, force: bool | None = None) -> PollSummary:
    """Poll ``source`` once: its due feeds (all with ``force``), then fetch and store what is
    new or updated. Returns the counts; flushes its writes before returning."""
    return _SourcePoll(source, ctx, ctx.options.force if force is None else force).run()


def poll_all(sources: SourceSet | Sequence[Source], ctx: PollContext, *, names: Iterable[str] | None = None,
             force: bool | None = None) -> list[PollSummary]:
    """Poll the enabled sources (or those named) in parallel, one thread per source."""
    wanted = set(names) if names else None
    chosen = [s for s in sources if (s.name in wanted if wanted is not None else s.enabled)]
    if not chosen:
        return []
    if ctx.sources is None:
        ctx.sources = list(sources)
    polls = [_SourcePoll(s, ctx, ctx.options.force if force is None else force) for s in chosen]
    pool = ThreadPoolExecutor(max(1, min(ctx.options.source_threads, len(chosen))), thread_name_prefix="source")
    try:
        futures = [pool.submit(p.run) for p in polls]
        # after an interrupt's grace, a poll still fetching its feeds holds no article: it is
        # not waited for (its thread is abandoned); the others are storing what they fetched
        while not all(f.done() or (ctx.given_up() and p.in_feeds) for p, f in zip(polls, futures)):
            wait([f for f in futures if not f.done()], timeout=0.2, return_when=FIRST_COMPLETED)
    finally:
        pool.shutdown(wait=not ctx.given_up(), cancel_futures=True)
    return [f.result() if f.done() and not f.cancelled() else p.partial() for p, f in zip(polls, futures)]


class _SourcePoll:
    def __init__(self, source: Source, ctx: PollContext, force: bool) -> None:
        self.source = source
        self.ctx = ctx
        self.force = force
        self.settings = settings_for(ctx.settings, source)
        self.summary = PollSummary(source.name)
        self.key = f"{source.name}:{id(self)}:{time.monotonic_ns()}"  # the writer counts by it
        self.batch = WriteRecord(poll_key=self.key)
        self.done_batches: list[Ticket] = []
        self.incomplete_feeds: set[str] = set()
        self.rand = random.Random()
        self.in_feeds = True  # not yet past the feeds (cleared once article fetching starts)
        self.started = time.monotonic()

    def partial(self) -> PollSummary:
        """The summary of a poll abandoned after an interrupt: what was stored so far."""
        self._tally()
        self.summary.seconds = time.monotonic() - self.started
        return self.summary

    # the whole poll ----------------------------------------------------------------------
    def run(self) -> PollSummary:
        t0 = self.started = time.monotonic()
        started = self.ctx.now()
        src = self.source
        tlist = targets(src)
        # one connection for both reads: opens are serialised by the archive's process lock
        rows, rechecks = _read(self.ctx, lambda con: (
            feed_states(con, [t.url for t in tlist]),
            due_rechecks(con, src.name, started, self.ctx.options.recheck_limit)), ({}, []))
        states = {t.url: _state(rows.get(t.url), t, src.name) for t in tlist}
        due = [t for t in tlist if self.force or states[t.url].next_poll_at is None
               or states[t.url].next_poll_at <= started]
        if not due and not rechecks:
            self.summary.seconds = time.monotonic() - t0
            return self.summary

        candidates: dict[str, _Candidate] = {}
        new_states: dict[str, FeedState] = {}
        for target in due:
            if self.ctx.stop.is_set():
                break
            state, found = self._poll_target(target, states[target.url])
            new_states[target.url] = state
            for url, hint in found:
                if url not in candidates and not self._route(url):
                    continue
                cand = candidates.setdefault(url, _Candidate(url, hint, owner=self._owner(url)))
                if hint and (cand.hint is None or hint > cand.hint):
                    cand.hint = hint
                cand.feeds.add(target.url)
        self.in_feeds = False
        wanted = self._screen(list(candidates.values())[: self.ctx.options.max_candidates])
        for row in rechecks:
            if row["url"] not in {c.url for c in wanted}:
                wanted.append(_Candidate(row["url"], None, recheck=True, owner=src))
        self.summary.rechecked = sum(1 for c in wanted if c.recheck)
        self.ctx.progress.start(src.name, total=len(wanted))
        self._fetch_all(wanted)

        # feed state last: new validators only for feeds whose every article was handled
        final: list[FeedState] = []
        for url, state in new_states.items():
            if url in self.incomplete_feeds or self.ctx.stop.is_set():
                old = states[url]
                state = replace(state, etag=old.etag, last_modified=old.last_modified,
                                body_sha256=old.body_sha256)
            final.append(state)
        self.batch.feeds.extend(final)
        self.batch.attempts.extend(self.ctx.robots.take_attempts())
        self.batch.poll = PollRow(
            source=src.name, started_at=started, finished_at=self.ctx.now(), feeds=self.summary.feeds,
            errors=self.summary.errors, skipped=self.summary.skipped,
            not_modified=self.summary.not_modified, rechecked=self.summary.rechecked)
        self._submit_batch(final=True)
        self._tally()
        self.summary.seconds = time.monotonic() - t0
        log.info("poll done", extra={"source": src.name, **self.summary.row()})
        return self.summary

    # feeds ---------------------------------------------------------------------------------
    def _get(self, url: str, headers: dict[str, str] | None = None, *,
             owner: Source | None | _Own = OWN) -> FetchResult:
        """Fetch ``url`` as ``owner`` (by default the polled source): its settings (private
        addresses only for its own domains), headers, politeness; robots.txt first. A host
        whose URL ends in ``net:timeout`` is paused as after a 503."""
        source = self.source if isinstance(owner, _Own) else owner
        settings = self.settings if source is self.source else settings_for(self.ctx.settings, source)
        ok, delay, status = self.ctx.robots.check(url, settings, source.name if source else None)
        if not ok:
            raise _RobotsSkip(status)
        pol = source.politeness if source is not None else GENERIC_POLITENESS
        with self.ctx.politeness.slot(url, min_delay=pol.min_delay, concurrency=pol.concurrency,
                                      crawl_delay=delay):
            try:
                return fetch_page(self.ctx.client, url, settings, source, self.ctx.environ,
                                  extra_headers=headers, sleep=self.ctx.politeness.sleep)
            except ScraperError as exc:
                if exc.code == "net:timeout":
                    pause = self.ctx.politeness.back_off(url, None)
                    log.warning("host backoff", extra={"host": host_of(url), "error": exc.code,
                                                       "pause_s": round(pause, 2)})
                raise

    def _owner(self, url: str) -> Source | None:
        """The source a link found by this source's feeds is fetched as (see :class:`_Candidate`)."""
        host = urlsplit(url).hostname or ""
        if self.source.matches_domain(host) is not None:
            return self.source
        others = [s for s in self.ctx.sources or () if s.name != self.source.name]
        return match_source(url, others)

    def _route(self, url: str) -> bool:
        """False (and a skip, reason ``offsite``) for a link to another host when the source
        says ``offsite: skip``."""
        host = urlsplit(url).hostname or ""
        if self.source.offsite == "skip" and self.source.matches_domain(host) is None:
            self._skip(url, "offsite", f"host {host} is not one of the source's domains")
            return False
        return True

    def _poll_target(self, target: _Target, state: FeedState) -> tuple[FeedState, list[tuple[str, datetime | None]]]:
        now = self.ctx.now()
        self.summary.feeds += 1
        headers: dict[str, str] = {}
        verify = state.not_modified_streak >= VERIFY_AFTER
        if not state.validators_stale and not verify:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        t0 = time.monotonic()
        state = replace(state, last_polled_at=now, polls=state.polls + 1)
        found: list[tuple[str, datetime | None]] = []
        ttl: int | None = None
        unchanged = False
        try:
            result = self._get(target.url, headers)
            self.batch.attempts.extend(result.attempts)
            fresh_for = cache_lifetime(result.headers, now)
            if result.status == 304:
                unchanged = True
            else:
                sha = hashlib.sha256(result.content).hexdigest()
                same = sha == state.body_sha256
                if same and headers:
                    log.info("validators stale", extra={"feed": target.url, "why": "200 with same body"})
                    state = replace(state, validators_stale=True)
                elif verify and not same and not state.validators_stale:
                    log.info("validators stale", extra={"feed": target.url, "why": "304 while changed"})
                    state = replace(state, validators_stale=True)
                unchanged = same
                state = replace(state, body_sha256=sha, etag=result.header("etag"),
                                last_modified=result.header("last-modified"))
                if not unchanged:
                    found, ttl = self._parse(target, result)
            state = replace(state, last_status=result.status, last_error=None,
                            not_modified_streak=(state.not_modified_streak + 1 if unchanged and not verify else 0),
                            not_modified=state.not_modified + (1 if unchanged else 0),
                            entries_seen=state.entries_seen + len(found))
            if unchanged:
                self.summary.not_modified += 1
        except _RobotsSkip as skip:
            self._skip(target.url, "robots-disallowed", f"feed; robots.txt {skip.status}")
            state = replace(state, last_error="robots-disallowed", errors=state.errors + 1)
            fresh_for = None
        except Abandoned:
            return state, []
        except ScraperError as exc:
            self.batch.attempts.extend(exc.attempts)
            self.summary.errors += 1
            log.warning("poll error", extra={"source": self.source.name, "feed": target.url,
                                             "error": exc.code, "detail": str(exc)})
            state = replace(state, last_status=getattr(exc, "status", None), last_error=exc.code,
                            errors=state.errors + 1)
            fresh_for = None
        pi = self.source.poll_interval
        assert pi.min is not None and pi.max is not None
        interval = next_interval(state.interval_seconds, every=pi.every, lo=pi.min, hi=pi.max,
                                 new_entries=len(found), ttl_minutes=ttl, fresh_for=fresh_for)
        state = replace(state, interval_seconds=interval,
                        next_poll_at=now + timedelta(seconds=jittered(interval, self.rand.random())))
        log.info("poll", extra={"source": self.source.name, "feed": target.url, "kind": target.kind,
                                "status": state.last_status, "entries": len(found),
                                "not_modified": unchanged, "ms": round((time.monotonic() - t0) * 1000),
                                "interval_s": round(interval, 1)})
        return state, found

    def _parse(self, target: _Target, result: FetchResult) -> tuple[list[tuple[str, datetime | None]], int | None]:
        src = self.source
        if target.kind == "feed":
            feed = parse_feed(result.content, result.final_url)
            return [(e.link, e.updated) for e in candidate_entries(src, feed) if e.link], feed.ttl
        if target.kind == "sitemap":
            def fetch_bytes(url: str) -> bytes | None:
                if url == target.url:
                    return result.content
                host = urlsplit(url).hostname or ""
                try:  # another host's sitemap: no source headers, the default policy
                    child = self._get(url, owner=OWN if src.matches_domain(host) else None)
                except _RobotsSkip:
                    return None
                self.batch.attempts.extend(child.attempts)
                return child.content

            parse_sitemap(result.content, target.url)  # a broken root is an error of this poll
            crawl = collect_sitemap_urls(fetch_bytes, [target.url])
            return [(u.loc, u.lastmod or u.news_publication_date) for u in crawl.urls
                    if src.accepts_url(u.loc)], None
        html = decode_html(result.content, result.content_type).text
        return [(u, None) for u in links_from_index(html, result.final_url, target.selector)
                if src.accepts_url(u)], None

    # which candidates to fetch -----------------------------------------------------------
    def _skip(self, url: str, reason: str, detail: str | None = None) -> None:
        self.summary.skipped += 1
        self.batch.skips.append(Skip(url=url, reason=reason, at=self.ctx.now(), source=self.source.name,
                                     detail=detail))
        log.info("skip", extra={"source": self.source.name, "url": url, "reason": reason})

    def _screen(self, cands: list[_Candidate]) -> list[_Candidate]:
        if not cands:
            return []
        keys = {c.url: article_key(c.owner, c.url) if c.owner else None for c in cands}
        rows = _read(self.ctx, lambda con: archived_lookup(
            con, [c.url for c in cands], [k for k in keys.values() if k]), [])
        seen: dict[str, datetime | None] = {}
        for row in rows:
            for name in ("url", "canonical_url", "article_key"):
                if row[name]:
                    prev = seen.get(row[name])
                    seen[row[name]] = row["fetched_at"] if prev is None else max(prev, row["fetched_at"])
        pending = self.ctx.writer.pending_urls()
        out: list[_Candidate] = []
        for c in cands:
            key = keys[c.url]
            archived = c.url in seen or (key is not None and key in seen)
            fetched = seen.get(c.url) or (seen.get(key) if key else None)
            if c.url in pending:
                continue  # fetched already, waiting for the archive
            if archived and (c.hint is None or fetched is None or c.hint <= fetched):
                self._skip(c.url, "already-archived",
                           f"archived {fetched.isoformat() if fetched else '?'}"
                           + (f", listed as updated {c.hint.isoformat()}" if c.hint else ""))
                continue
            out.append(c)
        return out

    # fetching ------------------------------------------------------------------------------
    def _fetch_all(self, cands: list[_Candidate]) -> None:
        if not cands:
            return
        by_host: dict[str, deque[_Candidate]] = defaultdict(deque)
        for c in cands:
            by_host[host_of(c.url)].append(c)
        results: queue.Queue[tuple[_Candidate, FetchResult | None, BaseException | None]] = queue.Queue()
        lanes: list[Future[None]] = []
        lock = threading.Lock()
        for host, items in by_host.items():
            owner = items[0].owner
            pol = owner.politeness if owner is not None else GENERIC_POLITENESS
            for _ in range(min(pol.concurrency, len(items))):
                lanes.append(self.ctx.fetch_pool.submit(self._lane, items, lock, results))
        use_procs = len(cands) >= self.ctx.options.process_threshold and (os.cpu_count() or 1) > 1
        extracting: list[tuple[_Candidate, FetchResult, Future[Capture]]] = []
        stopping = False
        while True:
            if not stopping and self.ctx.stop.is_set():
                stopping = True  # interrupted: what is in hand goes to the writer now
                if self.batch.captures:
                    self._submit_batch(final=False)
            try:
                cand, result, error = results.get(timeout=0.05)
            except queue.Empty:
                self._drain(extracting, block=False)
                if results.empty() and (self.ctx.given_up() or all(f.done() for f in lanes)):
                    break  # all fetched, or interrupted: fetches past the grace are abandoned
                continue
            if error is not None:
                self._fetch_failed(cand, error)
            elif result is not None:
                if use_procs:
                    rules, key = capture_inputs(cand.url, result, cand.owner)
                    fut = self.ctx.processes().submit(extract_capture_detached, cand.url,
                                                      replace(result, attempts=()), rules,
                                                      cand.owner.name if cand.owner else None, key)
                    extracting.append((cand, result, fut))
                else:
                    try:
                        self._captured(cand, capture_page(cand.url, result, cand.owner))
                    except ScraperError as exc:
                        self._extract_failed(cand, result, exc)
            self._drain(extracting, block=False)
        self._drain(extracting, block=True)
        for f in lanes:
            if f.done():
                f.result()  # surface a bug in a lane

    def _lane(self, items: deque[_Candidate], lock: threading.Lock,
              results: queue.Queue[tuple[_Candidate, FetchResult | None, BaseException | None]]) -> None:
        while not self.ctx.stop.is_set():
            with lock:
                if not items:
                    return
                cand = items.popleft()
            try:
                results.put((cand, self._get(cand.url, owner=cand.owner), None))
            except (ScraperError, _RobotsSkip, Abandoned) as exc:
                results.put((cand, None, exc))
        with lock:  # shutting down: what is left is abandoned
            while items:
                results.put((items.popleft(), None, Abandoned("shutting down")))

    def _drain(self, extracting: list[tuple[_Candidate, FetchResult, Future[Capture]]], *, block: bool) -> None:
        keep = []
        for cand, result, fut in extracting:
            if not block and not fut.done():
                keep.append((cand, result, fut))
                continue
            try:
                self._captured(cand, finish_capture(attach_response(fut.result(), result), cand.owner))
            except ScraperError as exc:
                self._extract_failed(cand, result, exc)
        extracting[:] = keep

    def _captured(self, cand: _Candidate, capture: Capture) -> None:
        self.ctx.progress.advance(self.source.name)
        if capture.response is not None:
            self.batch.attempts.extend(capture.response.attempts)
        self.batch.captures.append(capture)
        if cand.recheck:
            self.batch.rechecks.add(cand.url)
        log.info("fetched", extra={"source": self.source.name, "url": cand.url,
                                   "access": capture.article.access, "words": capture.article.word_count})
        if len(self.batch.captures) >= self.ctx.options.batch_size:
            self._submit_batch(final=False)

    def _extract_failed(self, cand: _Candidate, result: FetchResult, exc: ScraperError) -> None:
        self.ctx.progress.advance(self.source.name)
        self.summary.errors += 1
        attempts = list(result.attempts)
        if attempts:
            attempts[-1] = replace(attempts[-1], error=exc.code, error_detail=str(exc))
        self.batch.attempts.extend(attempts)
        log.warning("error", extra={"source": self.source.name, "url": cand.url, "error": exc.code})

    def _fetch_failed(self, cand: _Candidate, error: BaseException) -> None:
        self.ctx.progress.advance(self.source.name)
        if isinstance(error, _RobotsSkip):
            self._skip(cand.url, "robots-disallowed", f"robots.txt {error.status}")
            return
        if isinstance(error, Abandoned):
            self.incomplete_feeds.update(cand.feeds)
            return
        assert isinstance(error, ScraperError)
        self.summary.errors += 1
        self.batch.attempts.extend(error.attempts)
        if error.code.startswith(TRANSIENT):
            self.incomplete_feeds.update(cand.feeds)
        log.warning("error", extra={"source": self.source.name, "url": cand.url, "error": error.code})

    # writing ------------------------------------------------------------------------------
    def _submit_batch(self, *, final: bool) -> None:
        """Hand the batch to the archive writer; the final one waits until it has been tried
        (every earlier batch of this poll went before it, in the same or an earlier write)."""
        batch, self.batch = self.batch, WriteRecord(poll_key=self.key)
        self.done_batches.append(self.ctx.writer.submit(batch, wait=final))
        for b in self.done_batches:  # a write that failed (not on a lock) ends the poll, as before
            if b.error is not None and b.outcomes is None:
                raise b.error

    def _tally(self) -> None:
        """new / updated / unchanged from the batches stored so far; pending: the others."""
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        pending = 0
        for b in self.done_batches:
            if b.outcomes is None:
                pending += b.captures
            for outcome in b.outcomes or ():
                counts[outcome.status] += 1
        self.summary.new, self.summary.updated = counts["new"], counts["updated"]
        self.summary.unchanged, self.summary.pending = counts["unchanged"], pending


class _RobotsSkip(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status

