"""poll_source / poll_all: due feeds -> candidate URLs -> the crawler -> the archive writer.

    due feeds, sitemaps, index pages (feeds.next_poll_at)
      | conditional GET (ETag, Last-Modified; the state machine is ``scraper/conditional.py``)
      | parse (discover/)  | candidate URLs (article_url, plugin filter) + due re-checks
      | links to other hosts: fetched as the source owning their domain, else generic (the
        default policy: private addresses refused), or skipped (``offsite: skip``)
      | screen: already archived and not updated since -> skips
      | crawler (``pipeline/crawler.py``): robots.txt, host lanes, politeness, extraction
      | accounting: results into WriteRecords (captures, fetch attempts, skips), in batches,
        handed to the archive writer thread (``archive/writer.py``); the last one carries the
        feed states and the polls row and is waited for

The poller keeps what is about feeds; fetching, extracting and storing are the crawler's and the
archive's, shared with ``scraper fetch`` and ``scraper import``. Every source polls in its own
thread; they share one :class:`PollContext` (one crawler, one writer).

Nothing is lost on a crash or a lock: a feed's new validators are written only together with
(or after) every article its entries led to, so a restart refetches the feed and skips what is
archived; writes that meet another process's lock stay in the writer and go with the next flush.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb
import httpx

from scraper import conditional
from scraper.archive import Archive
from scraper.archive.queries import archived_lookup, due_rechecks, feed_states
from scraper.archive.record import WriteRecord
from scraper.archive.writer import Ticket, WriteBuffer
from scraper.discover.feeds import parse_feed
from scraper.discover.index_pages import links_from_page
from scraper.discover.sitemaps import collect_sitemap_urls, parse_sitemap
from scraper.errors import ArchiveLockedError, ArchiveMissingError, HTTPStatusError, ScraperError
from scraper.models import FeedState, FetchResult, PollRow, Skip
from scraper.net.politeness import Abandoned, Politeness
from scraper.pipeline.crawler import Crawler, IngestResult, Request, RobotsDisallowed
from scraper.progress import QUIET, Progress
from scraper.schedule import cache_lifetime
from scraper.settings import Settings
from scraper.sources.config import Source, SourceSet
from scraper.sources.registry import article_key, candidate_entries, match_source

__all__ = ["PollContext", "PollOptions", "PollSummary", "poll_all", "poll_source"]

log = logging.getLogger(__name__)

TRANSIENT = ("net:", "http:429", "http:5")  # failures worth another try at the next poll


@dataclass(frozen=True)
class PollOptions:
    force: bool = False  # poll every feed now, due or not (``scraper poll``)
    workers: int = 64  # fetch threads shared by all sources (>= 2 lanes x sources polled at once)
    source_threads: int = 32  # sources polled at once by poll_all (each mostly waits on its lanes)
    batch_size: int = 100  # captures per batch handed to the archive writer
    write_interval: float = 0.5  # the writer thread writes at most this often (unless waited on)
    # ... or as soon as this many captures wait: a write's column lists and DuckDB's copies of
    # them grow with it (bench memory: 1000 -> 250 and a smaller DuckDB limit take ~65 MB off
    # the main process's peak, at the same end-to-end rate: a write takes well under 0.5 s)
    write_captures: int = 250
    process_threshold: int = 24  # extract in worker processes when a poll fetches this many pages
    processes: int | None = None  # worker processes (default: CPU count)
    recheck_limit: int = 50  # re-checks of truncated/locked articles per source poll
    max_candidates: int = 5000  # article URLs considered per source poll
    lock_timeout: float | None = None  # archive lock wait per write (default: settings')
    # DuckDB's buffer pool for the archive connections: 64 MB keeps DuckDB's share of the peak
    # small (bench memory: main peak 406 MB at 128 MB, 347 MB at 64 MB); writes of 250 articles
    # into a 1,000,000-article archive, a vacuuming one included, run fine within it
    memory_limit: str | None = "64MB"
    max_pending: int = 500  # captures handed to the writer and not yet stored before a poll waits


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
    """The crawler (client, politeness, robots cache, fetch pool, extraction processes) and the
    archive writer, shared by every poll of a process."""

    def __init__(self, settings: Settings, archive: Archive, *, options: PollOptions | None = None,
                 client: httpx.Client | None = None, environ: dict[str, str] | None = None,
                 now: Callable[[], datetime] | None = None, progress: Progress | None = None,
                 sources: Sequence[Source] | None = None) -> None:
        self.settings = settings
        # every source, to match a feed's links to other hosts to their own source
        self.sources: Sequence[Source] | None = sources
        self.progress: Progress = progress or QUIET  # one task per source: articles handled
        self.options = options or PollOptions()
        self.archive = archive.with_options(lock_timeout=self.options.lock_timeout,
                                            memory_limit=self.options.memory_limit)
        self.now = now or (lambda: datetime.now(UTC))
        self.crawler = Crawler(settings, client=client, environ=environ, workers=self.options.workers,
                               processes=self.options.processes,
                               process_threshold=self.options.process_threshold)
        self.writer = WriteBuffer(self.archive, interval=self.options.write_interval,
                                  max_captures=self.options.write_captures)
        try:
            self.archive.write(lambda con: None)  # create and migrate before the first read
        except ArchiveLockedError:
            if not self.archive.exists():
                raise
            log.warning("archive locked at start; reading it, writes will wait",
                        extra={"db": str(self.archive.path)})
        self.writer.start()

    @property
    def stop(self) -> threading.Event:
        return self.crawler.stop

    @property
    def politeness(self) -> Politeness:
        return self.crawler.politeness

    def interrupt(self, grace: float) -> None:
        """Stop taking work (an interrupt): see :meth:`Crawler.interrupt`; the polls then store
        what they hold."""
        self.crawler.interrupt(grace)

    def given_up(self) -> bool:
        """True once the grace given by :meth:`interrupt` is over."""
        return self.crawler.given_up()

    def close(self, *, wait: bool = True) -> None:
        self.crawler.stop.set()
        self.writer.close(None if wait else 2.0)
        self.crawler.close(wait=wait)

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
        self.summary = PollSummary(source.name)
        self.key = f"{source.name}:{id(self)}:{time.monotonic_ns()}"  # the writer counts by it
        self.batch = WriteRecord(poll_key=self.key)
        self.tickets: list[Ticket] = []
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
        final = [conditional.kept_validators(state, states[url])
                 if url in self.incomplete_feeds or self.ctx.stop.is_set() else state
                 for url, state in new_states.items()]
        self.batch.feeds.extend(final)
        self.batch.attempts.extend(self.ctx.crawler.take_attempts())
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
        headers = conditional.request_headers(state)
        verify = conditional.verifying(state)
        t0 = time.monotonic()
        state = conditional.started(state, now)
        found: list[tuple[str, datetime | None]] = []
        ttl: int | None = None
        fresh_for: float | None = None
        unchanged = False
        try:
            result = self.ctx.crawler.get(target.url, self.source, headers=headers)
            self.batch.attempts.extend(result.attempts)
            fresh_for = cache_lifetime(result.headers, now)
            answer = conditional.answered(
                state, sent=headers, verify=verify, status=result.status,
                body_sha256=None if result.status == 304 else hashlib.sha256(result.content).hexdigest(),
                etag=result.header("etag"), last_modified=result.header("last-modified"))
            if answer.stale_because is not None:
                log.info("validators stale", extra={"feed": target.url, "why": answer.stale_because})
            unchanged = answer.unchanged
            if not unchanged:
                found, ttl = self._parse(target, result)
            state = conditional.counted(answer.state, status=result.status, unchanged=unchanged,
                                        verify=verify, entries=len(found))
            if unchanged:
                self.summary.not_modified += 1
        except RobotsDisallowed as skip:
            self._skip(target.url, "robots-disallowed", f"feed; robots.txt {skip.status}")
            state = conditional.refused(state)
        except Abandoned:
            return state, []
        except ScraperError as exc:
            self.batch.attempts.extend(exc.attempts)
            self.summary.errors += 1
            log.warning("poll error", extra={"source": self.source.name, "feed": target.url,
                                             "error": exc.code, "detail": str(exc)})
            state = conditional.failed(state, code=exc.code,
                                       status=exc.status if isinstance(exc, HTTPStatusError) else None)
        pi = self.source.poll_interval
        assert pi.min is not None and pi.max is not None
        state = conditional.rescheduled(state, now=now, every=pi.every, lo=pi.min, hi=pi.max,
                                        new_entries=len(found), ttl_minutes=ttl, fresh_for=fresh_for,
                                        rand=self.rand.random())
        log.info("poll", extra={"source": self.source.name, "feed": target.url, "kind": target.kind,
                                "status": state.last_status, "entries": len(found),
                                "not_modified": unchanged, "ms": round((time.monotonic() - t0) * 1000),
                                "interval_s": round(state.interval_seconds or 0.0, 1)})
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
                    child = self.ctx.crawler.get(url, src if src.matches_domain(host) else None)
                except RobotsDisallowed:
                    return None
                self.batch.attempts.extend(child.attempts)
                return child.content

            parse_sitemap(result.content, target.url)  # a broken root is an error of this poll
            crawl = collect_sitemap_urls(fetch_bytes, [target.url])
            return [(u.loc, u.lastmod or u.news_publication_date) for u in crawl.urls
                    if src.accepts_url(u.loc)], None
        return [(u, None) for u in links_from_page(result.content, result.content_type, result.final_url,
                                                   target.selector)
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

    # fetching: the crawler; accounting here ----------------------------------------------
    def _fetch_all(self, cands: list[_Candidate]) -> None:
        by_url = {c.url: c for c in cands}
        stopping = False
        for res in self.ctx.crawler.crawl([Request(c.url, c.owner) for c in cands]):
            self._account(by_url[res.url], res)
            if not stopping and self.ctx.stop.is_set():
                stopping = True  # interrupted: what is in hand goes to the writer now
                if self.batch.captures:
                    self._submit_batch(final=False)

    def _account(self, cand: _Candidate, res: IngestResult) -> None:
        self.ctx.progress.advance(self.source.name)
        self.batch.attempts.extend(res.attempts)
        if res.capture is not None:
            capture = res.capture
            self.batch.captures.append(capture)
            if cand.recheck:
                self.batch.rechecks.add(cand.url)
            log.info("fetched", extra={"source": self.source.name, "url": cand.url,
                                       "access": capture.article.access, "words": capture.article.word_count})
            if len(self.batch.captures) >= self.ctx.options.batch_size:
                self._submit_batch(final=False)
        elif res.skipped is not None:
            self._skip(cand.url, res.skipped, res.detail)
        elif res.abandoned:
            self.incomplete_feeds.update(cand.feeds)
        elif res.error is not None:
            self.summary.errors += 1
            if res.error.code.startswith(TRANSIENT):
                self.incomplete_feeds.update(cand.feeds)
            log.warning("error", extra={"source": self.source.name, "url": cand.url, "error": res.error.code})

    # writing ------------------------------------------------------------------------------
    def _submit_batch(self, *, final: bool) -> None:
        """Hand the batch to the archive writer; the final one waits until it has been tried
        (every earlier batch of this poll went before it, in the same or an earlier write).
        Too many captures waiting for the archive (it is locked, or slower than the fetching):
        this poll waits for its batch, so memory stays bounded."""
        batch, self.batch = self.batch, WriteRecord(poll_key=self.key)
        wait_now = final or self.ctx.writer.pending_captures() >= self.ctx.options.max_pending
        self.tickets.append(self.ctx.writer.submit(batch, wait=wait_now))
        for t in self.tickets:  # a write that failed (not on a lock) ends the poll, as before
            if t.error is not None and t.outcomes is None:
                raise t.error

    def _tally(self) -> None:
        """new / updated / unchanged from the batches stored so far; pending: the others."""
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        pending = 0
        for t in self.tickets:
            if t.outcomes is None:
                pending += t.captures
            for outcome in t.outcomes or ():
                counts[outcome.status] += 1
        self.summary.new, self.summary.updated = counts["new"], counts["updated"]
        self.summary.unchanged, self.summary.pending = counts["unchanged"], pending
