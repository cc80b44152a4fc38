"""SIGINT and SIGTERM for the one-off commands (``poll``, ``fetch``, ``import``, ``reextract``,
``export``), the way the daemon stops.

The first signal asks the command's work to stop: no new work is taken, fetches running now get
:data:`GRACE` seconds, what was fetched or extracted is written, the command prints its summary
and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once, with its own code: it
waits at most :data:`HOLD` seconds for an archive write in flight to commit and lets no other
start, so the archive keeps every committed transaction and nothing half-written.

The handlers only put the signal's number on a :class:`queue.SimpleQueue` (safe to call from a
signal handler); a watcher thread does the rest, so a handler never takes a lock the interrupted
main thread may hold, and nothing raises inside DuckDB or httpx::

    with Interrupt() as interrupt:
        interrupt.guard(archive)                       # held before any early exit
        report = import_warcs(..., stop=interrupt.stop)
        print the summary
    interrupt.exit()                                   # 130 / 143 if a signal came
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import TypeVar

import click

from scraper.archive import Archive

__all__ = ["GRACE", "HOLD", "Interrupt"]

GRACE = 5.0  # seconds running fetches get after the first signal
HOLD = 1.0  # seconds the immediate exit waits for an archive write in flight
SIGNALS = (signal.SIGINT, signal.SIGTERM)

T = TypeVar("T")
_END = object()


class Interrupt:
    def __init__(self, *, grace: float = GRACE) -> None:
        self.grace = grace
        self.stop = threading.Event()  # set by the first signal: take no new work
        self.signum: int | None = None
        self.give_up_at: float | None = None  # monotonic end of the grace
        self._archives: list[Archive] = []
        self._on_stop: list[Callable[[], None]] = []
        self._on_abort: list[Callable[[], None]] = []
        self._signals: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._old: dict[int, object] = {}
        self._watcher: threading.Thread | None = None

    # -- what the command registers ---------------------------------------------------------
    def guard(self, archive: Archive) -> None:
        """Wait for ``archive``'s write in flight (and start no other) before exiting."""
        self._archives.append(archive)

    def on_stop(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (in the watcher thread) on the first signal."""
        self._on_stop.append(fn)
        if self.stop.is_set():
            fn()

    def on_abort(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` before exiting at once on a second signal (e.g. remove a partial file)."""
        self._on_abort.append(fn)

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else 128 + self.signum

    # -- the signals ------------------------------------------------------------------------
    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._watcher = threading.Thread(target=self._watch, name="interrupt", daemon=True)
            self._watcher.start()
            self._old = {s: signal.signal(s, self._handler) for s in SIGNALS}
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Keep catching signals until :meth:`exit`: a second one still exits at once."""
        if exc_type is not None or self.signum is None:
            self.restore()

    def restore(self) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)  # type: ignore[arg-type]
        self._old = {}
        if self._watcher is not None:
            self._signals.put(None)
            self._watcher = None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self._signals.put(signum)

    def _watch(self) -> None:
        while (signum := self._signals.get()) is not None:
            if self.signum is None:
                self._first(signum)
            else:
                self._abort(signum)

    def _first(self, signum: int) -> None:
        self.signum = signum
        self.give_up_at = time.monotonic() + self.grace
        self.stop.set()
        click.echo(f"interrupted ({signal.Signals(signum).name}): finishing the work in hand (a "
                   f"running fetch gets {self.grace:g} s) and storing it; a second signal quits at once",
                   err=True)
        for fn in self._on_stop:
            fn()

    def _abort(self, signum: int) -> None:
        self.signum = signum
        for fn in self._on_abort:
            try:
                fn()
            except Exception:  # noqa: S110 - leaving anyway
                pass
        click.echo(f"error: interrupted again ({signal.Signals(signum).name}): quit at once; "
                   "what was stored before is kept", err=True)
        self._leave()

    # -- leaving ----------------------------------------------------------------------------
    def given_up(self) -> bool:
        return self.give_up_at is not None and time.monotonic() >= self.give_up_at

    def iterate(self, items: Iterator[T]) -> Iterator[T]:
        """``items`` produced by a helper thread: once interrupted, the item in hand gets the
        grace, then iteration ends (the helper is left behind; :meth:`exit` follows)."""
        box: queue.Queue[object] = queue.Queue()

        def produce() -> None:
            try:
                for item in items:
                    box.put(item)
            except BaseException as exc:  # raised again in the caller's thread
                box.put(_Raised(exc))
            box.put(_END)

        threading.Thread(target=produce, name="work", daemon=True).start()
        while True:
            try:
                item = box.get(timeout=0.1)
            except queue.Empty:
                if self.given_up():
                    return
                continue
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]

    def exit(self) -> None:
        """After an interrupt: exit 130 / 143 now (threads abandoned past the grace would
        otherwise hold the interpreter). Without one, return."""
        if self.signum is None:
            self.restore()
            return
        click.echo(f"error: interrupted ({signal.Signals(self.signum).name}); what was done "
                   "before is stored", err=True)
        self._leave()

    def _leave(self) -> None:
        for archive in self._archives:
            archive.hold(HOLD)
        code = self.exit_code or 1
        if sys.stderr.isatty():
            sys.stderr.write("\x1b[?25h")  # a progress bar left behind hides the cursor
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: S110 - a closed pipe: nothing more to say
                pass
        os._exit(code)


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
