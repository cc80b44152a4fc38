"""The polling daemon: APScheduler jobs that say "poll source X now", and a clean shutdown.

What is due lives in the archive (``feeds.next_poll_at``), so a job only asks
:func:`scraper.poll.poll_source` to poll what is due; a restart loses nothing. One job per
enabled source fires every ``poll_interval.min`` seconds (the shortest interval the adaptive
schedule may choose) with jitter, ``max_instances=1`` and coalescing, so a slow source never
piles up runs nor delays another. Writes go through the poll context's archive writer thread
(one ``Archive.write`` for what all sources handed it, at most every ``write_interval``); a
second job also flushes writes kept while another process held the archive.

Many daemons (README "Running on many machines"): with ``shard``, only the sources of that
shard get a job; with a PostgreSQL lake catalog, each poll first takes the source's advisory
lock (:mod:`scraper.lake.claims`) and a source another daemon holds is skipped, so a dead
daemon's sources are taken over within one poll interval. With a lake configured, a job
publishes what the archive stored every ``lake_publish_every`` seconds, or sooner once
``lake_publish_articles`` articles wait, and once more at shutdown.

Shutdown (SIGINT/SIGTERM, or :meth:`Daemon.stop`): no new job starts, waiting fetches are
abandoned, running ones get most of ``grace`` (the polls then store what they fetched without
waiting for them), then every buffered write is flushed (retrying while the archive is locked,
until the deadline) and the process can exit.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from scraper.archive import Archive
from scraper.lake.claims import Shard
from scraper.poll import PollContext, PollOptions, poll_source
from scraper.settings import Settings
from scraper.sources.config import Source, SourceSet

__all__ = ["Daemon"]

log = logging.getLogger(__name__)


class Daemon:
    def __init__(self, sources: SourceSet, settings: Settings, *, options: PollOptions | None = None,
                 grace: float = 10.0, flush_every: float = 5.0, lock_timeout: float = 5.0,
                 shard: Shard | None = None, environ: dict[str, str] | None = None) -> None:
        self.sources = [s for s in sources if s.enabled and (shard is None or shard.owns(s.name))]
        self.all_sources = list(sources)  # disabled ones still own their domains' links
        self.settings = settings
        self.options = options or PollOptions(lock_timeout=lock_timeout)
        self.grace = grace
        self.flush_every = flush_every
        self.stopping = threading.Event()
        self._running = 0
        self._cond = threading.Condition()
        self.ctx: PollContext | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.environ = environ or {}
        self.publisher: Any = None  # scraper.lake.publish.Publisher, with a lake configured
        self.locks: Any = None  # scraper.lake.claims.SourceLocks, with a PostgreSQL catalog
        self._publish_lock = threading.Lock()
        self._published_high = 0  # articles.id covered by the last publish

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        archive = Archive(self.settings.db, lock_timeout=self.settings.lock_timeout)
        self.ctx = PollContext(self.settings, archive, options=self.options, sources=self.all_sources)
        sched = BackgroundScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})
        now = datetime.now(UTC)
        for source in self.sources:
            every = float(source.poll_interval.min or source.poll_interval.every)
            sched.add_job(self._poll, "interval", args=[source], id=f"poll:{source.name}",
                          name=f"poll {source.name}", seconds=every, jitter=min(every * 0.1, 30.0),
                          misfire_grace_time=max(int(every), 1), next_run_time=now)
        sched.add_job(self._flush, "interval", id="flush", seconds=self.flush_every,
                      misfire_grace_time=max(int(self.flush_every), 1))
        if self.settings.lake_catalog and self.settings.lake_warehouse:
            self._open_lake(archive)
            every = max(self.settings.lake_publish_every, 0.5)
            sched.add_job(self._publish, "interval", id="publish", seconds=every,
                          misfire_grace_time=max(int(every), 1))
        sched.start()
        self.scheduler = sched
        feeds = sum(len(s.feeds) + len(s.sitemaps) + len(s.index_pages) for s in self.sources)
        log.info("daemon started", extra={"sources": len(self.sources), "feeds": feeds,
                                          "db": str(self.settings.db), "next_poll": self._next_poll(archive)})

    def _next_poll(self, archive: Archive) -> str:
        """When the first feed is due: "now" for a new archive or a feed already due."""
        names = [s.name for s in self.sources]
        if not archive.exists():
            return "now"
        archive = Archive(archive.path, lock_timeout=2.0)  # a start line never waits long
        try:
            due = archive.read(lambda con: con.execute(
                "SELECT min(next_poll_at) FROM feeds WHERE source IN (SELECT unnest(?::VARCHAR[]))",
                [names]).fetchone()[0])
        except Exception:  # a locked or damaged archive: the polls report it
            return "unknown"
        if due is None or due <= datetime.now(UTC):
            return "now"
        return str(due.astimezone(UTC).isoformat(timespec="seconds"))

    def _open_lake(self, archive: Archive) -> None:
        from scraper.lake.catalog import is_postgres, open_lake
        from scraper.lake.claims import SourceLocks, daemon_name
        from scraper.lake.publish import Publisher

        self.publisher = Publisher(open_lake(self.settings, self.environ), archive)
        if is_postgres(self.settings.lake_catalog):
            self.locks = SourceLocks(self.settings.lake_catalog or "", daemon_name(self.publisher.publisher))

    def _holds(self, source: Source) -> bool:
        if self.locks is None:
            return True
        try:
            return bool(self.locks.take(source.name, len(self.sources)))
        except Exception as exc:  # PostgreSQL away: poll nothing rather than collide
            log.error("source lock failed", extra={"source": source.name, "detail": str(exc)})
            return False

    def _publish(self) -> None:
        if self.publisher is None or not self._publish_lock.acquire(blocking=False):
            return
        try:
            self._published_high = self.publisher.local_high()
            self.publisher.publish()
        except Exception as exc:  # the next publish starts from the lake's watermark again
            log.error("lake publish failed", extra={"error": getattr(exc, "code", type(exc).__name__),
                                                    "detail": str(exc).splitlines()[0] if str(exc) else ""})
        finally:
            self._publish_lock.release()

    def _poll(self, source: Source) -> None:
        if self.stopping.is_set() or self.ctx is None or not self._holds(source):
            return
        with self._cond:
            self._running += 1
        try:
            summary = poll_source(source, self.ctx)
            if summary.feeds:  # a poll happened (the job fires often; feeds are polled when due)
                log.info("source polled", extra=summary.row())
        except Exception as exc:  # one source's failure must not stop the daemon
            log.error("poll failed", extra={"source": source.name, "error": getattr(exc, "code", type(exc).__name__),
                                            "detail": str(exc).splitlines()[0] if str(exc) else ""})
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _flush(self) -> None:
        if self.ctx is not None and len(self.ctx.writer):
            try:
                self.ctx.writer.flush()
            except Exception as exc:
                log.error("flush failed", extra={"error": getattr(exc, "code", type(exc).__name__)})
        if self.publisher is not None and not self.stopping.is_set():
            try:
                waiting = self.publisher.local_high() - self._published_high
            except Exception:
                return
            if waiting >= self.settings.lake_publish_articles:
                self._publish()

    def stop(self) -> bool:
        """Stop taking work, end in-flight polls within ``grace``, flush. True when nothing
        was left unwritten."""
        t0 = time.monotonic()
        deadline = t0 + self.grace
        self.stopping.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        ctx = self.ctx
        if ctx is None:
            return True
        # waiting lanes and retry sleeps give up now; running fetches get most of the grace,
        # then the polls stop waiting for them and hand what they fetched to the writer
        ctx.interrupt(max(self.grace - 2.0, self.grace / 2))
        with self._cond:
            while self._running and time.monotonic() < deadline:
                self._cond.wait(0.1)
        clean = False
        while True:
            try:
                clean = ctx.writer.flush()
            except Exception as exc:
                log.error("final flush failed", extra={"error": getattr(exc, "code", type(exc).__name__)})
            if clean or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        # a scheduled publish still running ends first; then one more for what the last flush stored
        if self.publisher is not None and self._publish_lock.acquire(timeout=self.grace):
            self._publish_lock.release()
            self._publish()
        if self.locks is not None:
            self.locks.close()
        ctx.close(wait=False)
        log.info("daemon stopped", extra={"ms": round((time.monotonic() - t0) * 1000),
                                          "unfinished_polls": self._running, "clean": clean})
        return clean and not self._running

    def run_forever(self) -> bool:
        """Start, wait for SIGINT/SIGTERM, stop. Call from the main thread."""
        wake = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal", extra={"signal": signal.Signals(signum).name})
            wake.set()

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not wake.wait(1.0):
                pass
            return self.stop()
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
