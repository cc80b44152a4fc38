"""The polling daemon: APScheduler jobs that say "poll source X now", and a clean shutdown.

What is due lives in the archive (``feeds.next_poll_at``), so a job only asks
:func:`scraper.poll.poll_source` to poll what is due; a restart loses nothing. One job per
enabled source fires every ``poll_interval.min`` seconds (the shortest interval the adaptive
schedule may choose) with jitter, ``max_instances=1`` and coalescing, so a slow source never
piles up runs nor delays another. Writes go through the poll context's archive writer thread
(one ``Archive.write`` for what all sources handed it, at most every ``write_interval``); a
second job also flushes writes kept while another process held the archive.

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

from apscheduler.schedulers.background import BackgroundScheduler

from scraper.archive import Archive
from scraper.poll import PollContext, PollOptions, poll_source
from scraper.settings import Settings
from scraper.sources.config import Source, SourceSet

__all__ = ["Daemon"]

log = logging.getLogger(__name__)


class Daemon:
    def __init__(self, sources: SourceSet, settings: Settings, *, options: PollOptions | None = None,
                 grace: float = 10.0, flush_every: float = 5.0, lock_timeout: float = 5.0) -> None:
        self.sources = [s for s in sources if s.enabled]
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

    def _poll(self, source: Source) -> None:
        if self.stopping.is_set() or self.ctx is None:
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
