"""The archive's on-disk format: which DuckDB releases can open it, and the rewrite of an
archive written in a newer format into :data:`~scraper.archive.db.STORAGE_VERSION`.

New archives are written in that format already (``Archive`` connects with DuckDB's
``storage_compatibility_version``). A file created before, by a newer DuckDB in its latest
format, stays in it: :func:`rewrite_storage` copies every table, view and sequence into a new
file attached with ``STORAGE_VERSION`` and puts it in the old one's place, while holding the
archive's write lock, so no write of the daemon falls between the copy and the swap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scraper.archive.db import OLDEST_DUCKDB, STORAGE_VERSION, Archive
from scraper.errors import ArchiveError

__all__ = ["StorageInfo", "rewrite_storage", "storage_info"]


@dataclass(frozen=True)
class StorageInfo:
    path: Path
    storage_version: str  # as DuckDB tags the file: "v1.4.0+", "v2.0.0+"…
    compatible: bool  # written in STORAGE_VERSION or older

    @property
    def oldest_duckdb(self) -> str:
        return self.storage_version.lstrip("v").rstrip("+")


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.lstrip("v").rstrip("+").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _tag(con: duckdb.DuckDBPyConnection, name: str) -> str:
    row = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = ?", [name]).fetchone()
    tags = (row[0] if row else None) or {}
    return str(tags.get("storage_version") or f"v{OLDEST_DUCKDB}+")


def storage_info(archive: Archive) -> StorageInfo:
    """The archive file's storage version (the oldest DuckDB that opens it)."""
    version = archive.read(lambda con: _tag(con, con.execute("SELECT current_database()").fetchone()[0]))
    compatible = _version_tuple(version) <= _version_tuple(STORAGE_VERSION)
    return StorageInfo(archive.path, version, compatible)


def rewrite_storage(archive: Archive) -> StorageInfo:
    """Copy the archive into a file in :data:`STORAGE_VERSION` and swap it in. Returns the
    new file's :class:`StorageInfo`. The old file is kept as ``<name>.before-rewrite``."""
    tmp = archive.path.with_name(archive.path.name + ".rewrite")
    backup = archive.path.with_name(archive.path.name + ".before-rewrite")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)

    with archive.connect(read_only=False) as con:  # the lock is held until the swap is done
        old = con.execute("SELECT current_database()").fetchone()[0]
        try:
            con.execute(f"ATTACH '{_quote(tmp)}' AS rewritten (STORAGE_VERSION '{STORAGE_VERSION}')")
            con.execute(f'COPY FROM DATABASE "{old}" TO rewritten')  # tables, views, sequences
            con.execute("DETACH rewritten")
            os.replace(archive.path, backup)
            try:
                os.replace(tmp, archive.path)
            except OSError:
                os.replace(backup, archive.path)
                raise
        except (duckdb.Error, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise ArchiveError(f"cannot rewrite archive {archive.path}: {str(exc).splitlines()[0]}; "
                               "the archive is unchanged", code="archive:rewrite") from exc
    return storage_info(archive)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
