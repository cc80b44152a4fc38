"""A full disk, a read-only archive, a --db that cannot be a file: one clear line, a non-zero
exit, and the archive still opens with every row stored before."""

from __future__ import annotations

import random
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from scraper.faults import check_archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.faults import article_html
from tests.hardening.conftest import one_error_line, run_cli


def articles(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
    finally:
        con.close()


def publish(web: FixtureWeb, tag: str, n: int, words: int = 60) -> list[str]:
    rng = random.Random(tag)
    vocab = [f"w{rng.randrange(10**9)}" for _ in range(5000)]  # compresses badly: real growth
    urls = []
    for i in range(n):
        filler = " ".join(rng.choice(vocab) for _ in range(words))
        html = article_html(f"{tag} {i}", slug=f"{tag}-{i}").replace("</article>", f"<p>{filler}</p></article>")
        urls.append(web.put(f"/hardening/{tag}/{i}/", html))
    return urls


def test_disk_full_gives_one_line_and_keeps_what_was_stored(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    first = publish(fixture_web, "before-full", 3)
    proc = run_cli(["fetch", "--db", str(db), "--allow-private", *first], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    size = db.stat().st_size
    wal = db.with_name(db.name + ".wal")
    limit = max(size, wal.stat().st_size if wal.exists() else 0)

    def small_files() -> None:  # writes past the limit fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    more = publish(fixture_web, "when-full", 6, words=40000)
    proc = run_cli(["fetch", "--db", str(db), "--allow-private", *more], cwd=tmp_path,
                   preexec_fn=small_files)
    assert proc.returncode == 6, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "disk is full" in proc.stderr.splitlines()[0]
    assert check_archive(db) == {}
    assert set(first) <= articles(db)


def test_db_path_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    proc = run_cli(["fetch", "--db", str(tmp_path / "plain" / "a.duckdb"), "http://127.0.0.1:9/"],
                   cwd=tmp_path)
    assert proc.returncode == 6
    line = one_error_line(proc.stderr)
    assert "archive" in line and "plain" in line


def test_a_file_that_is_not_an_archive_is_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(b"my notes\n")
    proc = run_cli(["sql", "--db", str(other), "SELECT 1"])
    assert proc.returncode == 6
    assert "not a DuckDB archive" in one_error_line(proc.stderr)
    assert other.read_bytes() == b"my notes\n"


def _can_mount_read_only(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            f"mount --bind {tmp_path} {tmp_path} && mount -o remount,bind,ro {tmp_path}"],
                           capture_output=True)
    return probe.returncode == 0


def test_read_only_archive_gives_one_line_and_stays_readable(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    # root ignores chmod 0444, so the directory is made read-only for real: a read-only bind
    # mount in a mount namespace of the subprocess's own
    if not _can_mount_read_only(tmp_path):
        pytest.skip("needs unshare -m and mount (a read-only bind mount)")
    data = tmp_path / "data"
    data.mkdir()
    db = data / "a.duckdb"
    first = publish(fixture_web, "before-ro", 2)
    assert run_cli(["fetch", "--db", str(db), "--allow-private", *first]).returncode == 0
    before = db.read_bytes()
    more = publish(fixture_web, "when-ro", 1)
    ro = ["unshare", "-m", "sh", "-c",
          f'mount --bind {data} {data} && mount -o remount,bind,ro {data} && exec "$0" "$@"']
    proc = run_cli(["fetch", "--db", str(db), "--allow-private", *more], prefix=ro)
    assert proc.returncode == 6, proc.stderr
    line = one_error_line(proc.stderr)
    assert "read-only" in line
    assert db.read_bytes() == before
    query = run_cli(["sql", "--db", str(db), "--format", "csv", "SELECT count(*) AS n FROM articles"],
                    prefix=ro)
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines()[-1] == "2"
