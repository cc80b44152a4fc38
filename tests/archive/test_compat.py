"""The archive opens in DuckDB 1.4 (the LTS line), and other programs read it while it is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scraper.archive import Archive, OLDEST_DUCKDB, STORAGE_VERSION, connect_readonly
from scraper.archive.compat import rewrite_storage, storage_info
from scraper.archive.store import store_captures
from scraper.errors import ArchiveLockedError, ArchiveMissingError

ROOT = Path(__file__).resolve().parents[2]
LTS_DIR = Path(os.environ.get("SCRAPER_TEST_DUCKDB_LTS", ROOT / ".cache" / "duckdb-1.4"))

READ = """
import duckdb, sys
assert duckdb.__version__.startswith("1.4."), duckdb.__version__
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM articles").fetchone()[0],
      con.execute("SELECT count(*) FROM latest_articles").fetchone()[0])
"""


@pytest.fixture(scope="module")
def duckdb_lts() -> Path:
    """A directory holding DuckDB 1.4, installed there (never into .venv) when missing."""
    if not (LTS_DIR / ".installed").exists():
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(LTS_DIR), "duckdb==1.4.*"],
            capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.skip(f"duckdb 1.4 cannot be installed into {LTS_DIR} "
                        f"(pip: {proc.stderr.strip().splitlines()[-1:]}); compatibility not checked")
        (LTS_DIR / ".installed").touch()
    return LTS_DIR


def _read_with_lts(lts: Path, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(lts)}
    return subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=lts.parent)


def test_a_new_archive_opens_in_duckdb_1_4(duckdb_lts: Path, archive: Archive, make_capture) -> None:
    archive.write(lambda con: store_captures(con, [make_capture()]))
    proc = _read_with_lts(duckdb_lts, archive.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "1"]
    info = storage_info(archive)
    assert info.compatible and info.oldest_duckdb == OLDEST_DUCKDB == STORAGE_VERSION.lstrip("v")


def test_rewrite_makes_an_archive_in_the_latest_format_readable(
        duckdb_lts: Path, archive: Archive, make_capture, tmp_path: Path) -> None:
    # an archive made before the setting: the installed DuckDB's own latest format
    archive.path.parent.mkdir(parents=True, exist_ok=True)
    latest = duckdb.connect(str(archive.path))  # no storage setting: the newest format
    latest.close()
    archive.write(lambda con: store_captures(con, [make_capture()]))
    before = storage_info(archive)
    if before.compatible:
        pytest.skip(f"this DuckDB ({duckdb.__version__}) writes {before.storage_version} anyway")
    assert _read_with_lts(duckdb_lts, archive.path).returncode != 0
    after = rewrite_storage(archive)
    assert after.compatible
    proc = _read_with_lts(duckdb_lts, archive.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "1"]
    # ids go on from where they were, and the old file is kept beside it
    archive.write(lambda con: store_captures(con, [make_capture(url="https://news.test/a/2", canonical_url=None)]))
    ids = archive.read(lambda con: con.execute("SELECT id FROM articles ORDER BY id").fetchall())
    assert len({i for (i,) in ids}) == 2
    assert archive.path.with_name(archive.path.name + ".before-rewrite").exists()


def test_connect_readonly_retries_while_a_writer_holds_the_file(archive: Archive, make_capture) -> None:
    archive.write(lambda con: store_captures(con, [make_capture()]))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(1.0); c.close(); time.sleep(5)", str(archive.path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        con = connect_readonly(archive.path, timeout=20)
        try:
            assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        finally:
            con.close()
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_connect_readonly_gives_up_after_its_timeout(archive: Archive, make_capture) -> None:
    archive.write(lambda con: store_captures(con, [make_capture()]))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(30)", str(archive.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveLockedError):
            connect_readonly(archive.path, timeout=0.5)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_connect_readonly_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArchiveMissingError):
        connect_readonly(tmp_path / "none.duckdb")
