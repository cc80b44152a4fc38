"""Keeping the index current in any process that writes the archive.

:func:`follow_archive_writes` (called by the CLI and the demo) registers a listener on the
archive's after-commit hook. After each committed write to an archive whose index exists (the
first ``scraper search`` creates it), a background thread of this process catches the index
up; the write itself never waits for it. At exit, the process gives the thread a bounded time
to finish (whatever it leaves is caught up by the next write or search of anyone).
"""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scraper.hooks import add_commit_listener

if TYPE_CHECKING:  # loaded on the first commit to an indexed archive (CLI start-up stays light)
    from scraper.archive import Archive
    from scraper.search.index import SearchIndex

log = logging.getLogger(__name__)

EXIT_GRACE = 30.0  # seconds a finishing process waits for its last catch-up
LOCK_TIMEOUT = 5.0  # a catch-up's archive reads wait this long for another process's lock

_followers: dict[str, Follower] = {}
_guard = threading.Lock()


class Follower:
    """One background thread per archive: woken after each commit, catches the index up."""

    def __init__(self, db: Path) -> None:
        from scraper.archive import Archive
        from scraper.search.index import SearchIndex

        self.archive: Archive = Archive(db, lock_timeout=LOCK_TIMEOUT)
        self.index: SearchIndex = SearchIndex.for_archive(db)
        self._cond = threading.Condition()
        self._dirty = False
        self._busy = False
        self._closed = False
        self.runs = 0
        self._thread = threading.Thread(target=self._run, name=f"search-follow:{db.name}",
                                        daemon=True)
        self._thread.start()

    def poke(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._closed:
                    self._cond.wait()
                if self._closed and not self._dirty:
                    return
                self._dirty = False
                self._busy = True
            try:
                result = self.index.catch_up(self.archive, stop=lambda: self._closed)
                log.debug("search catch-up path=%s indexed=%d busy=%s", self.index.directory,
                          result.indexed, result.busy)
            except Exception as exc:  # never let indexing hurt the process that writes
                log.warning("search index catch-up failed path=%s error=%s",
                            self.index.directory, exc)
            finally:
                with self._cond:
                    self._busy = False
                    self.runs += 1
                    self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is pending (True) or ``timeout`` passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._dirty and not self._busy, timeout)

    def close(self, timeout: float) -> bool:
        done = self.drain(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        return done


def _index_dir(db: Path) -> Path:  # as scraper.search.index.index_dir_for, without importing it
    return db.with_name(db.stem + ".search") if db.suffix else db.with_name(db.name + ".search")


def _on_commit(db: Path) -> None:
    if not (_index_dir(db) / "state.json").is_file():
        return  # nobody has searched this archive: its first search builds the index
    key = str(db.resolve())
    with _guard:
        follower = _followers.get(key)
        if follower is None:
            follower = _followers[key] = Follower(db)
    follower.poke()


def follower(db: Path) -> Follower | None:
    with _guard:
        return _followers.get(str(Path(db).resolve()))


def drain_all(timeout: float = EXIT_GRACE) -> bool:
    with _guard:
        followers = list(_followers.values())
        _followers.clear()
    ok = True
    for f in followers:
        try:
            ok = f.close(timeout) and ok
        except KeyboardInterrupt:  # a second Ctrl-C at exit: leave the rest to the next run
            return False
    return ok


_registered = False


def follow_archive_writes() -> None:
    """Catch the search index up after every archive write of this process (idempotent)."""
    global _registered
    with _guard:
        if _registered:
            return
        _registered = True
    add_commit_listener(_on_commit)
    atexit.register(drain_all)
