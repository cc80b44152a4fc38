from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from scraper.archive import Archive
from scraper.archive.db import archive_error
from scraper.errors import ArchiveError, ArchiveLockedError, ArchiveMissingError

# A second process that opens the archive and holds it for a while.
_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == "ro")
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@contextmanager
def held_by_another_process(path: Path, seconds: float, mode: str = "rw") -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _insert(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO fetches (url, status, fetched_at) VALUES ('https://x.test', 200, now())"
    )


def _skips(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM fetches").fetchone()
    return int(row[0]) if row else 0


def test_write_creates_parent_directory(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a" / "b" / "news.duckdb")
    archive.write(_insert)
    assert archive.exists()
    assert archive.read(_skips) == 1


def test_the_file_is_closed_between_operations(archive: Archive) -> None:
    archive.write(_insert)
    # another connection in this process, read-write, would fail if the archive still held it
    con = duckdb.connect(str(archive.path))
    con.close()


def test_write_waits_for_another_process_and_succeeds(archive: Archive) -> None:
    archive.write(lambda con: None)
    with held_by_another_process(archive.path, 1.0):
        started = time.monotonic()
        archive.write(_insert)
        waited = time.monotonic() - started
    assert waited > 0.5
    assert archive.read(_skips) == 1


def test_write_waits_for_a_reader_in_another_process(archive: Archive) -> None:
    archive.write(lambda con: None)
    with held_by_another_process(archive.path, 1.0, "ro"):
        archive.write(_insert)
    assert archive.read(_skips) == 1


def test_read_waits_for_a_writer_in_another_process(archive: Archive) -> None:
    archive.write(_insert)
    with held_by_another_process(archive.path, 1.0):
        assert archive.read(_skips) == 1


def test_lock_timeout_raises_archive_locked(db_path: Path) -> None:
    Archive(db_path).write(lambda con: None)
    archive = Archive(db_path, lock_timeout=0.3)
    with held_by_another_process(db_path, 30.0):
        started = time.monotonic()
        with pytest.raises(ArchiveLockedError) as info:
            archive.write(_insert)
        assert time.monotonic() - started < 5
    message = str(info.value)
    assert "\n" not in message
    assert str(db_path) in message and "retry" in message
    assert info.value.exit_code == 6


def test_read_of_a_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveMissingError, match="no archive at"):
        Archive(tmp_path / "nope.duckdb").read(_skips)
    assert not (tmp_path / "nope.duckdb").exists()


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("just some text, not a database " * 200)
    with pytest.raises(ArchiveError) as info:
        Archive(path).write(_insert)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_directory_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArchiveError, match="file"):
        Archive(tmp_path / "file" / "news.duckdb").write(_insert)


def test_threads_of_one_process_take_turns(archive: Archive) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                archive.write(_insert)
                archive.read(_skips)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert archive.read(_skips) == 20


@pytest.mark.parametrize(
    ("message", "code", "phrase"),
    [
        ('IO Error: Could not write file "x": No space left on device', "archive:disk-full", "disk is full"),
        ('IO Error: Cannot open file "x": Permission denied', "archive:read-only", "read-only"),
        ('IO Error: Cannot open file "x": Read-only file system', "archive:read-only", "read-only"),
        ("IO Error: something else\nwith detail", "archive:error", "something else"),
    ],
)
def test_archive_errors_are_one_clear_line(message: str, code: str, phrase: str) -> None:
    err = archive_error(Path("archive/news.duckdb"), duckdb.IOException(message))
    assert err.code == code
    assert phrase in str(err)
    assert "archive/news.duckdb" in str(err)
    assert "\n" not in str(err)


def test_each_write_is_checkpointed_and_readable_by_another_process_at_once(tmp_path: Path) -> None:
    """Writes skip the row-group merge most of the time (db.VACUUM_EVERY) and checkpoint at
    commit: every write must still be in the file, with no WAL left, for a read-only process
    opening it right after, including writes that did not merge row groups."""
    from scraper.archive import db as dbmod

    archive = Archive(tmp_path / "a.duckdb")
    archive.write(lambda con: con.execute("CREATE TABLE t (i INTEGER, s VARCHAR)"))
    for n in range(1, dbmod.VACUUM_EVERY + 3):
        archive.write(lambda con, n=n: con.execute(
            "INSERT INTO t SELECT range, repeat('x', 3000) FROM range(?)", [n]))
        wal = archive.path.with_name(archive.path.name + ".wal")
        assert not wal.exists() or wal.stat().st_size == 0
        seen = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
             "print(c.execute('SELECT count(*) FROM t').fetchone()[0])", str(archive.path)],
            capture_output=True, text=True, timeout=60, check=True)
        assert int(seen.stdout) == n * (n + 1) // 2
