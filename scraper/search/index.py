"""The search index beside an archive, kept up by catching up from the archive.

``archive/news.duckdb`` has its index in ``archive/news.search/``: a Tantivy index
(``index/``) and ``state.json``, whose ``watermark`` is the highest ``articles.change_seq``
indexed. Every store bumps an article's ``change_seq`` (schema version 6), so catching up is::

    archive: SELECT … FROM articles WHERE change_seq > watermark (in chunks, short reads)
      | delete the article's old document, add the new one   (one Tantivy writer)
      | commit, then write the new watermark to state.json

Whoever stored the articles (fetch, poll, the daemon, import, reextract, another program)
does not matter: the next catch-up finds them. Adding a document again is harmless (its old
one is deleted first), so a crash between the commit and ``state.json`` only redoes work.
Only one Tantivy writer may be open on an index, across processes: a catch-up that finds the
writer taken skips, and the holder looks at the archive again after letting go, so what was
stored meanwhile is not left behind. Reads never wait for a writer.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import tantivy

from scraper.archive import Archive
from scraper.errors import ArchiveError, ScraperError
from scraper.progress import QUIET, Progress
from scraper.search.schema import (
    SCHEMA_VERSION,
    build_schema,
    field_language,
    register_analyzers,
    text_field,
    title_field,
)

log = logging.getLogger(__name__)

CHUNK = 2000  # articles read from the archive per short read
COMMIT_EVERY = 50_000  # documents between two commits of a long catch-up (progress is kept)
PROGRESS_TASK = "indexing"

_COLUMNS = ("id", "url", "title", "text", "source", "language", "published_at", "date", "access",
            "change_seq")
_SELECT = (
    "SELECT id, url, title, text, source, language, published_at, "
    "coalesce(published_at, first_seen_at) AS date, access, change_seq FROM articles "
    "WHERE change_seq > ? AND change_seq <= ?"
)

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _local_lock(directory: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(directory.resolve()), threading.Lock())


class SearchIndexError(ScraperError):
    """The index directory cannot be used (exit 6, like the archive it belongs to)."""

    exit_code = 6
    code = "search:index"


def index_dir_for(db: Path) -> Path:
    """``archive/news.duckdb`` -> ``archive/news.search``."""
    return db.with_name(db.stem + ".search") if db.suffix else db.with_name(db.name + ".search")


@dataclass(frozen=True)
class CatchUp:
    indexed: int  # documents added or replaced
    busy: bool = False  # another writer held the index: it catches up instead
    watermark: int = 0


class SearchIndex:
    """The index of one archive; cheap to create, opens Tantivy on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._index: tantivy.Index | None = None
        self._open_lock = threading.Lock()

    @classmethod
    def for_archive(cls, db: Path) -> SearchIndex:
        return cls(index_dir_for(Path(db)))

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.directory)!r})"

    # -- state ------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.directory / "state.json"

    def exists(self) -> bool:
        return self._state_path.is_file()

    def state(self) -> dict[str, Any]:
        try:
            state = json.loads(self._state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def watermark(self) -> int:
        return int(self.state().get("watermark", 0))

    def languages(self) -> list[str]:
        return list(self.state().get("languages", []))

    def _write_state(self, watermark: int, languages: set[str]) -> None:
        state = {"schema": SCHEMA_VERSION, "watermark": watermark, "languages": sorted(languages),
                 "updated_at": datetime.now(UTC).isoformat()}
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        os.replace(tmp, self._state_path)

    # -- opening ----------------------------------------------------------------------------

    def open(self) -> tantivy.Index:
        """The Tantivy index, created (or rebuilt empty, when its schema is outdated) if needed."""
        with self._open_lock:
            if self._index is not None:
                return self._index
            state = self.state()
            path = self.directory / "index"
            try:
                if state and state.get("schema") != SCHEMA_VERSION:
                    log.info("search index schema changed, rebuilding path=%s", self.directory)
                    shutil.rmtree(path, ignore_errors=True)
                    self._state_path.unlink(missing_ok=True)
                path.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(build_schema(), str(path), reuse=True)
            except (OSError, ValueError) as exc:
                raise SearchIndexError(
                    f"cannot open the search index {self.directory}: {exc}; remove that "
                    f"directory and run `scraper search --reindex`"
                ) from exc
            register_analyzers(index)
            if not self._state_path.is_file():
                self._write_state(0, set())
            self._index = index
            return index

    def searcher(self) -> tantivy.Searcher:
        index = self.open()
        index.reload()
        return index.searcher()

    @contextmanager
    def _writer(self, *, wait: float, big: bool) -> Iterator[tantivy.IndexWriter | None]:
        """The index's one writer, or None when another holds it for longer than ``wait``."""
        index = self.open()
        local = _local_lock(self.directory)
        if not local.acquire(timeout=max(wait, 0.0)):
            yield None
            return
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    writer = index.writer(256_000_000 if big else 32_000_000, 2 if big else 1)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc):
                        raise SearchIndexError(f"search index {self.directory}: {exc}") from exc
                    if time.monotonic() >= deadline:
                        yield None
                        return
                    time.sleep(0.05)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            finally:
                # ends the writer for good (whoever still holds a reference to it): its merges
                # finish and Tantivy's lock file is released now, not when Python collects it
                writer.wait_merging_threads()
        finally:
            local.release()

    # -- catching up ------------------------------------------------------------------------

    def catch_up(self, archive: Archive, *, progress: Progress = QUIET, wait: float = 0.0,
                 stop: Callable[[], bool] = lambda: False, migrate: bool = True) -> CatchUp:
        """Index what the archive stored since the watermark. Returns at once (``busy``) when
        another writer holds the index for longer than ``wait`` seconds. An archive older than
        schema version 6 is migrated first (an empty write) when ``migrate``, else left alone."""
        total = 0
        watermark = self.watermark()
        for _ in range(10):  # what was stored while we wrote, or while another writer did
            head, missing = _archive_head(archive, migrate=migrate)
            if missing:
                return CatchUp(total, watermark=watermark)
            if head <= self.watermark():
                if head < self.watermark():  # a new archive at the same path: start again
                    return CatchUp(total + self.reindex(archive, progress=progress), watermark=head)
                return CatchUp(total, watermark=head)
            with self._writer(wait=wait, big=head - self.watermark() > CHUNK) as writer:
                if writer is None:
                    return CatchUp(total, busy=True, watermark=watermark)
                done, watermark = self._index_range(archive, writer, self.watermark(), head,
                                                    progress=progress, stop=stop)
                total += done
            if stop():
                break
        return CatchUp(total, watermark=watermark)

    def reindex(self, archive: Archive, *, progress: Progress = QUIET, wait: float = 60.0,
                stop: Callable[[], bool] = lambda: False) -> int:
        """Rebuild the index from the whole archive; readers see the old index until the end."""
        head, missing = _archive_head(archive, migrate=True)
        with self._writer(wait=wait, big=True) as writer:
            if writer is None:
                raise SearchIndexError(
                    f"search index {self.directory} is being written by another process "
                    f"(waited {wait:g}s); retry when it is done"
                )
            writer.delete_all_documents()
            if missing:
                writer.commit()
                self._write_state(0, set())
                return 0
            done, _ = self._index_range(archive, writer, 0, head, progress=progress, stop=stop,
                                        commit_every=None, languages=set())
            return done

    def _index_range(self, archive: Archive, writer: tantivy.IndexWriter, low: int, high: int,
                     *, progress: Progress, stop: Callable[[], bool],
                     commit_every: int | None = COMMIT_EVERY,
                     languages: set[str] | None = None) -> tuple[int, int]:
        """Index articles with ``low < change_seq <= high``; returns (documents, watermark)."""
        languages = set(self.languages()) if languages is None else languages
        todo = archive.read(lambda con: con.execute(
            "SELECT count(*) FROM articles WHERE change_seq > ? AND change_seq <= ?",
            [low, high]).fetchone())
        count = int(todo[0]) if todo else 0
        progress.start(PROGRESS_TASK, total=count)
        done = since_commit = 0
        watermark = low
        step = CHUNK
        while watermark < high and not stop():
            upper = min(high, watermark + step)
            rows = archive.read(functools.partial(_fetch, low=watermark, high=upper))
            for row in rows:
                writer.delete_documents_by_term("id", int(row["id"]))
                writer.add_document(_document(row))
                languages.add(field_language(row["language"]))
            done += len(rows)
            since_commit += len(rows)
            watermark = upper
            progress.advance(PROGRESS_TASK, len(rows))
            # sparse ranges (updates scattered over old numbers) read more numbers at a time
            step = CHUNK if len(rows) >= CHUNK // 2 else min(step * 4, 1_000_000)
            if commit_every is not None and since_commit >= commit_every:
                writer.commit()
                self._write_state(watermark, languages)
                since_commit = 0
        writer.commit()
        self._write_state(watermark, languages)
        log.info("search index caught up path=%s documents=%d watermark=%d",
                 self.directory, done, watermark)
        return done, watermark


def _fetch(con: duckdb.DuckDBPyConnection, low: int, high: int) -> list[dict[str, Any]]:
    con.execute(_SELECT, [low, high])
    return [dict(zip(_COLUMNS, row, strict=True)) for row in con.fetchall()]


def _has_change_seq(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'articles' "
        "AND column_name = 'change_seq' AND schema_name = 'main'").fetchone()
    return bool(row and row[0])


def _archive_head(archive: Archive, *, migrate: bool = True) -> tuple[int, bool]:
    """(highest change_seq, archive missing?). An archive older than schema version 6 is
    migrated first (an empty write), when ``migrate``."""
    if not archive.exists():
        return 0, True

    def head(con: duckdb.DuckDBPyConnection) -> int | None:
        if not _has_change_seq(con):
            return None
        row = con.execute("SELECT coalesce(max(change_seq), 0) FROM articles").fetchone()
        return int(row[0]) if row else 0

    value = archive.read(head)
    if value is None:
        if not migrate:
            return 0, True
        try:
            archive.write(lambda con: None)
        except ArchiveError as exc:
            raise SearchIndexError(f"cannot index {archive.path}: its schema is older than "
                                   f"search needs and it could not be migrated ({exc})") from exc
        value = archive.read(head) or 0
    return value, False


def _document(row: dict[str, Any]) -> tantivy.Document:
    lang = field_language(row["language"])
    doc = tantivy.Document()
    doc.add_integer("id", int(row["id"]))
    doc.add_text("url", row["url"] or "")
    for name in ("source", "access"):
        if row[name]:
            doc.add_text(name, row[name])
    if row["language"]:
        doc.add_text("language", row["language"].strip().lower().replace("_", "-").split("-")[0])
    if row["published_at"] is not None:
        doc.add_date("published_at", _utc(row["published_at"]))
    if row["date"] is not None:
        doc.add_date("date", _utc(row["date"]))
    doc.add_text(title_field(lang), row["title"] or "")
    doc.add_text(text_field(lang), row["text"] or "")
    return doc


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
