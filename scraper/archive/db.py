"""Opening the archive: short connections, one transaction per write, retry on a lock.

DuckDB lets one process open a file for writing, and a process that opens it read-only blocks
writers too. So nothing here keeps the file open between operations: :meth:`Archive.write`
opens, runs one transaction, commits and closes; :meth:`Archive.read` opens read-only and
closes. Meeting another process's lock, both retry with exponential backoff and jitter until
``lock_timeout`` and then raise :class:`ArchiveLockedError`. This is datasette's single write
path (one writer, read-only readers) fitted to DuckDB's file lock.

Inside one process, operations on the same file are serialised by a lock per path: DuckDB
would otherwise share one database instance between threads and fail on write conflicts.
Do not call ``read``/``write`` from inside another ``read``/``write`` on the same archive.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from scraper.archive import rawstore
from scraper.archive.migrations import ensure_schema
from scraper.errors import ArchiveError, ArchiveLockedError, ArchiveMissingError, ScraperError

log = logging.getLogger(__name__)

T = TypeVar("T")

_BACKOFF_FIRST = 0.02  # seconds before the first retry
_BACKOFF_MAX = 1.0  # longest single wait between two attempts

# The on-disk format new archive files are written in: DuckDB's storage compatibility setting.
# A file written by a newer DuckDB in its own latest format cannot be opened by an older one
# ("database file with version number 69, but we can only read versions between 64 and 68"),
# so the archive is written as the 1.4 LTS line reads it: DuckDB 1.4.0 or newer opens it, the
# CLI included. An archive created before this setting keeps its format until
# ``scraper storage --rewrite`` (scraper/archive/compat.py) copies it into this one.
STORAGE_VERSION = "v1.4.0"
OLDEST_DUCKDB = "1.4.0"
_storage_config: dict[str, str] | None = {"storage_compatibility_version": STORAGE_VERSION}

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()

# Every write ends with a checkpoint (DuckDB checkpoints when the last connection closes; the
# file must be released between writes). By default each checkpoint also "vacuums": it merges
# the small row groups the last writes appended into bigger ones, rewriting them; with one row
# group per write that merge rewrites 1, 2, 4, 8... writes' worth of rows in turn, on average
# more than the write itself (bench: 4,000 -> 5,000+ articles/s in batches of 1,000 without
# it). So only one write in VACUUM_EVERY per file and process (the first included: one-off
# commands behave as before) lets the checkpoint merge row groups; the others skip the merge.
# Nothing about durability changes: every commit is still checkpointed before the file is
# released. A tiny checkpoint threshold makes DuckDB checkpoint at COMMIT, skipping the WAL
# write of big transactions, instead of writing the WAL and then checkpointing it on close.
VACUUM_EVERY = 16
_write_counts: dict[str, int] = {}


def _process_lock(path: Path) -> threading.Lock:
    key = str(path)
    with _process_locks_guard:
        lock = _process_locks.get(key)
        if lock is None:
            lock = _process_locks[key] = threading.Lock()
        return lock


def is_lock_error(exc: BaseException) -> bool:
    """True when DuckDB refused to open the file because another connection holds it."""
    message = str(exc)
    if isinstance(exc, duckdb.IOException):
        return "Could not set lock" in message or "Conflicting lock" in message
    if isinstance(exc, duckdb.ConnectionException):
        # the same file opened elsewhere in this process with another mode
        return "different configuration" in message
    return False


def first_line(exc: BaseException) -> str:
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def archive_error(path: Path, exc: BaseException) -> ArchiveError:
    """A one-line ArchiveError for a failure of DuckDB or of the file system."""
    detail = first_line(exc)
    lowered = detail.lower()
    if "no space left" in lowered or "disk full" in lowered or "file too large" in lowered:
        return ArchiveError(
            f"cannot write archive {path}: the disk is full or a file size limit was reached "
            f"({detail}); free some space and retry — what was stored before is intact",
            code="archive:disk-full",
        )
    if "not a directory" in lowered or "is a directory" in lowered or "file exists" in lowered:
        return ArchiveError(
            f"cannot use {path} as an archive: {detail}; --db must name a file in a directory",
            code="archive:bad-path",
        )
    if "permission denied" in lowered or "read-only file system" in lowered:
        return ArchiveError(
            f"cannot open archive {path} for writing: the file or its directory is read-only "
            f"({detail}); fix the permissions or choose another --db",
            code="archive:read-only",
        )
    if "not a valid duckdb database" in lowered:
        return ArchiveError(
            f"{path} is not a DuckDB archive ({detail}); choose another --db",
            code="archive:not-duckdb",
        )
    return ArchiveError(f"archive {path}: {detail}")


class Archive:
    """A DuckDB archive file, opened only for the length of one operation.

    ``on_commit``: listeners ``fn(article_ids)`` called after every committed write of
    captures made through the one write path (:func:`scraper.archive.record.store`); see
    that module's doc. ``memory_limit``: DuckDB's ``memory_limit`` for its connections
    (e.g. ``"256MB"``; None: DuckDB's default, 80% of RAM), so a long-running writer's
    buffer pool stays bounded."""

    def __init__(self, path: Path, *, lock_timeout: float = 60.0, memory_limit: str | None = None,
                 on_commit: list[Callable[[list[int]], None]] | None = None) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        if memory_limit is not None and not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise ValueError(f"memory_limit {memory_limit!r}: expected a size such as '256MB'")
        self.memory_limit = memory_limit
        self.on_commit: list[Callable[[list[int]], None]] = on_commit if on_commit is not None else []

    def with_options(self, *, lock_timeout: float | None = None,
                     memory_limit: str | None = None) -> Archive:
        """The same file with other options; shares this archive's ``on_commit`` list."""
        return Archive(self.path,
                       lock_timeout=self.lock_timeout if lock_timeout is None else lock_timeout,
                       memory_limit=memory_limit or self.memory_limit, on_commit=self.on_commit)

    def __repr__(self) -> str:
        return f"Archive({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    # -- public operations ------------------------------------------------------------------

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(con)`` in one transaction: commit if it returns, roll back if it raises.

        Creates the file (and its directory) and migrates the schema when needed. DuckDB and
        file-system failures become :class:`ArchiveError`; a ``ScraperError`` or any other
        exception raised by ``fn`` propagates unchanged, after the rollback."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise archive_error(self.path, exc) from exc
        with self.connect(read_only=False) as con:
            try:
                _tune_writer(con, self.path)
                ensure_schema(con, path=self.path)
                con.execute("BEGIN TRANSACTION")
                raw = rawstore.store_for(self.path)
                token = rawstore.activate(raw)
                try:
                    result = fn(con)
                    if raw is not None:
                        raw.seal()  # WARC files closed and fsynced before rows point into them
                    con.execute("COMMIT")
                except BaseException:
                    _rollback(con)
                    raise
                finally:
                    rawstore.deactivate(token)
            except ScraperError:
                raise
            except (duckdb.Error, OSError) as exc:
                raise archive_error(self.path, exc) from exc
        return result

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(con)`` on a read-only connection. DuckDB failures become ArchiveError."""
        with self.connect(read_only=True) as con:
            try:
                return fn(con)
            except ScraperError:
                raise
            except duckdb.Error as exc:
                raise archive_error(self.path, exc) from exc

    def hold(self, timeout: float) -> bool:
        """Before this process exits at once: wait up to ``timeout`` seconds for an operation on
        this file in flight in another thread (a write commits or rolls back) and let no other
        start, for good. True when the file was left closed; False if one was still running."""
        return _process_lock(self.path.resolve()).acquire(timeout=max(timeout, 0.0))

    @contextmanager
    def connect(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held for the ``with`` block only, opened with lock retries.

        The lower-level door for callers that stream results (``run_sql``); it does not
        start a transaction nor migrate the schema."""
        if read_only and not self.exists():
            raise ArchiveMissingError(
                f"no archive at {self.path}; fetch or poll something to create it, "
                f"or point --db / SCRAPER_DB at an existing archive"
            )
        deadline = time.monotonic() + self.lock_timeout
        lock = _process_lock(self.path.resolve())
        if not lock.acquire(timeout=max(self.lock_timeout, 0.0)):
            raise self._locked("another thread of this process")
        try:
            con = self._open(read_only=read_only, deadline=deadline)
            try:
                yield con
            finally:
                con.close()
        finally:
            lock.release()

    # -- internals --------------------------------------------------------------------------

    def _open(self, *, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
        delay = _BACKOFF_FIRST
        tries = 0
        while True:
            tries += 1
            try:
                con = _connect(self.path, read_only=read_only)
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    if read_only and "does not exist" in str(exc):
                        raise ArchiveMissingError(f"no archive at {self.path}") from exc
                    raise archive_error(self.path, exc) from exc
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._locked("another process") from exc
                wait = min(random.uniform(delay / 2, delay), remaining)
                log.debug(
                    "archive locked path=%s attempt=%d wait_ms=%.0f", self.path, tries, wait * 1000
                )
                time.sleep(wait)
                delay = min(delay * 2, _BACKOFF_MAX)
                continue
            except OSError as exc:
                raise archive_error(self.path, exc) from exc
            try:
                con.execute("SET TimeZone = 'UTC'")
            except duckdb.Error:  # ICU missing: timestamps still carry their offsets
                pass
            if self.memory_limit:  # reads too: the poller reads between its writes
                try:
                    con.execute(f"SET memory_limit = '{self.memory_limit}'")
                except duckdb.Error:
                    pass
            return con

    def _locked(self, holder: str) -> ArchiveLockedError:
        return ArchiveLockedError(
            f"archive {self.path} is locked by {holder} (waited {self.lock_timeout:g}s); "
            f"retry when it is done, or raise SCRAPER_LOCK_TIMEOUT"
        )


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with the storage compatibility setting (new files are written in
    :data:`STORAGE_VERSION`); a DuckDB older than that version, which does not know it and
    writes an older format anyway, connects without it."""
    global _storage_config
    if _storage_config is not None:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=_storage_config)
        except duckdb.InvalidInputException as exc:
            if "version" not in str(exc).lower():
                raise
            _storage_config = None
    return duckdb.connect(str(path), read_only=read_only)


def connect_readonly(path: str | Path, timeout: float = 10.0) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to the archive at ``path`` for other programs' readers
    (notebooks, scripts), retried with exponential backoff and jitter (20 ms doubling to 1 s)
    while a writer (the daemon) holds the file, for up to ``timeout`` seconds.

    Close it soon: while it is open the daemon's writes wait (they keep what they fetched and
    retry). Raises :class:`ArchiveMissingError` when there is no file,
    :class:`ArchiveLockedError` when the lock outlasts ``timeout``, :class:`ArchiveError` for
    any other failure. The session's time zone is UTC, as in ``scraper sql``."""
    archive = Archive(Path(path), lock_timeout=timeout)
    if not archive.exists():
        raise ArchiveMissingError(f"no archive at {archive.path}")
    return archive._open(read_only=True, deadline=time.monotonic() + timeout)


def _tune_writer(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Checkpoint at commit; merge row groups on one write in VACUUM_EVERY (see above)."""
    key = str(path.resolve())
    with _process_locks_guard:
        n = _write_counts.get(key, 0)
        _write_counts[key] = n + 1
    try:
        con.execute("SET checkpoint_threshold = '1KB'")
        if n % VACUUM_EVERY:
            con.execute("SET max_vacuum_tasks = 0")
    except duckdb.Error:  # an older DuckDB without these settings: its defaults are fine
        pass


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # no transaction left (a failed COMMIT already ended it)
        pass
