"""Progress bars for long commands: counts and rates on a terminal, silence everywhere else.

The library reports progress through the small :class:`Progress` protocol (``start`` a task,
``advance`` it); it never knows whether anyone is watching. ``cli/`` picks the implementation:
:func:`progress_bar` draws rich bars on stderr when both stdout and stderr are terminals and
returns :data:`QUIET` otherwise, so pipes, files, cron jobs and tests see no bar at all::

    with progress_bar() as bar:
        result = reextract(archive, sources, progress=bar)

The poll command can use the same helper: ``bar.start("developpez", total=None)`` then
``bar.advance("developpez")`` per fetched URL.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

__all__ = ["QUIET", "Progress", "QuietProgress", "RichProgress", "is_interactive", "progress_bar"]


class Progress(Protocol):
    """What the library calls; ``name`` identifies a task (one bar)."""

    def start(self, name: str, total: int | None = None) -> None: ...

    def advance(self, name: str, step: int = 1) -> None: ...

    def total(self, name: str, total: int | None) -> None: ...


class QuietProgress:
    """Progress nobody sees."""

    def start(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, name: str, step: int = 1) -> None:
        return None

    def total(self, name: str, total: int | None) -> None:
        return None


QUIET = QuietProgress()


def _rate_column() -> type:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Items per second, as rich measures it over the last seconds."""

        def render(self, task: object) -> Text:
            speed = getattr(task, "speed", None)
            return Text(f"{speed:,.1f}/s" if speed else "", style="progress.data.speed")

    return RateColumn


class RichProgress:
    """One rich bar per task: description, bar, done/total, rate, elapsed and remaining time."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress as _Bars,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        _RateColumn = _rate_column()

        self._bars = _Bars(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def start(self, name: str, total: int | None = None) -> None:
        if name in self._tasks:
            self._bars.reset(self._tasks[name], total=total)
            return
        self._tasks[name] = self._bars.add_task(name, total=total)

    def advance(self, name: str, step: int = 1) -> None:
        if name not in self._tasks:
            self.start(name)
        self._bars.advance(self._tasks[name], step)

    def total(self, name: str, total: int | None) -> None:
        if name not in self._tasks:
            self.start(name, total)
        else:
            self._bars.update(self._tasks[name], total=total)


def is_interactive(stdout: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    """True when both streams are terminals (a bar on stderr would not mix into piped output)."""
    streams = (stdout or sys.stdout, stderr or sys.stderr)
    return all(getattr(s, "isatty", lambda: False)() for s in streams)


@contextmanager
def progress_bar(enabled: bool | None = None, stream: TextIO | None = None) -> Iterator[Progress]:
    """Rich bars on ``stream`` (stderr) when ``enabled`` (default: :func:`is_interactive`)."""
    if enabled is None:
        enabled = is_interactive()
    if not enabled:
        yield QUIET
        return
    with RichProgress(stream or sys.stderr) as bars:
        yield bars
