"""raw_store: warc — bodies in rotating WARC files that pass ``warcio check``, rows pointing
into them, files sealed before the rows commit, and reads back from a directory or S3."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.archive import Archive, rawstore, store_captures
from scraper.archive.queries import stored_response
from scraper.archive.rawstore import WarcStore
from scraper.models import Article, Capture, FetchResult


def capture(i: int) -> Capture:
    url = f"https://example.org/a/{i}"
    body = (f"<html><body><p>article {i}</p>" + __import__("random").Random(i).randbytes(3000).hex()
            + "</body></html>").encode()
    response = FetchResult(url=url, final_url=url, status=200,
                           headers=(("content-type", "text/html"), ("set-cookie", "secret=1"),
                                    ("content-encoding", "gzip")),
                           content=body, fetched_at=datetime(2026, 3, 1, tzinfo=UTC), elapsed_ms=1.0)
    return Capture(url=url, article=Article(text=f"article {i}", canonical_url=url),
                   fetched_at=response.fetched_at, source="s", response=response)


@pytest.fixture()
def warc_archive(tmp_path: Path) -> Iterator[tuple[Archive, WarcStore]]:
    archive = Archive(tmp_path / "a.duckdb")
    store = WarcStore(tmp_path / "warc", max_bytes=8000)
    rawstore.configure(archive.path, store)
    yield archive, store
    rawstore.configure(archive.path, None)
    store.seal()


def rows(archive: Archive) -> list[dict[str, object]]:
    def read(con: object) -> list[dict[str, object]]:
        cur = con.execute("SELECT * FROM responses ORDER BY id")  # type: ignore[attr-defined]
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return archive.read(read)


def test_bodies_go_to_rotating_warc_files_that_warcio_accepts(warc_archive: tuple[Archive, WarcStore],
                                                               tmp_path: Path) -> None:
    archive, _ = warc_archive
    archive.write(lambda con: store_captures(con, [capture(i) for i in range(6)]))
    stored = rows(archive)
    assert {r["codec"] for r in stored} == {"warc"} and all(r["body"] is None for r in stored)
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) >= 2  # size-bounded: rotated
    for row, i in zip(stored, range(6), strict=True):
        assert stored_response(row).content == capture(i).response.content  # type: ignore[union-attr]
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *map(str, files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(" request") == 6 and check.stdout.count(" response") == 6
    assert check.stdout.count(" metadata") == 6
    assert all(b"secret=1" not in __import__("gzip").decompress(f.read_bytes()) for f in files)


def test_files_are_sealed_before_the_rows_commit(warc_archive: tuple[Archive, WarcStore],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    archive, store = warc_archive
    order: list[str] = []
    real_seal = store.seal
    monkeypatch.setattr(store, "seal", lambda: (order.append("seal"), real_seal())[1])

    def write(con: object) -> None:
        store_captures(con, [capture(1)])  # type: ignore[arg-type]
        order.append("stored")

    archive.write(write)
    assert order == ["stored", "seal"]
    assert store._stream is None  # closed


def test_a_failing_seal_commits_no_row(warc_archive: tuple[Archive, WarcStore],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper.errors import ArchiveError

    archive, store = warc_archive

    def broken() -> None:
        raise ArchiveError("cannot write WARC file: disk full")

    monkeypatch.setattr(store, "seal", broken)
    with pytest.raises(ArchiveError):
        archive.write(lambda con: store_captures(con, [capture(1)]))
    assert rows(archive) == []


def test_without_warc_nothing_changes(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "plain.duckdb")
    archive.write(lambda con: store_captures(con, [capture(1)]))
    [row] = rows(archive)
    assert row["codec"] == "zlib" and row["warc_file"] is None and row["body"]
    assert not (tmp_path / "warc").exists()
