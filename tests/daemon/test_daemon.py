"""The daemon as a process: SIGTERM within the bound, concurrent readers and one-off fetches,
kill -9 and restart. Each test runs its own fixture web and archive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from scraper.archive import Archive
from scraper.errors import ArchiveError
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.server import SITES_ROOT
from scraper.fixtureweb.sources import render_sources

TEMPLATE = (SITES_ROOT / "developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-"
            "experimental-et-un-compilateur-jit/index.html").read_bytes()


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        w.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\nCrawl-delay: 0\n")
        yield w


def publish(web: FixtureWeb, ids: range) -> list[str]:
    """Developpez-like articles ``ids`` and a feed listing them (replacing the fixture feed)."""
    paths = []
    for i in ids:
        path = f"/developpez/actu/{i}/article-{i}/"
        body = TEMPLATE.replace(b"364012", str(i).encode()).replace(
            b"Python 3.13", f"Python 3.13 ({i})".encode()).replace(b"<p>", f"<p>Article {i}. ".encode(), 3)
        web.put(path, body, content_type="text/html; charset=iso-8859-1")
        paths.append(path)
    items = "".join(f"<item><title>A {i}</title><link>/developpez/actu/{i}/article-{i}/</link>"
                    f"<guid isPermaLink='false'>{i}</guid></item>" for i in ids)
    web.put("/developpez/index/rss", f"<?xml version='1.0'?><rss version='2.0'><channel><title>d</title>"
                                     f"{items}</channel></rss>", content_type="application/rss+xml")
    return paths


def start(tmp: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    log = open(tmp / f"daemon-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - closed by the process end
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "scraper", "-v", "daemon", "--sources", str(tmp / "sources.yaml"),
             "--db", str(db), *extra], stdout=log, stderr=subprocess.STDOUT, text=True, cwd=tmp)
    finally:
        log.close()


def count(db: Path, sql: str = "SELECT count(*) FROM articles") -> int:
    try:
        return int(Archive(db, lock_timeout=20).read(lambda con: con.execute(sql).fetchone()[0]))
    except ArchiveError:
        return -1


def wait_for(pred: object, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen[str], bound: float = 15.0) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=bound)
    return time.monotonic() - t0


def _running(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE  # a zombie is dead, waiting to be reaped
    except psutil.NoSuchProcess:
        return False


def check_once(db: Path, expected: int) -> None:
    assert count(db, "SELECT count(*) FROM articles") == expected
    assert count(db, "SELECT count(DISTINCT canonical_url) FROM articles") == expected
    assert count(db, "SELECT count(*) FROM (SELECT article_key FROM articles WHERE article_key IS NOT NULL "
                     "GROUP BY 1 HAVING count(*) > 1)") == 0


def test_sigterm_exits_within_the_bound(web: FixtureWeb, tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(render_sources(web.base_url, poll_interval=1))
    db = tmp_path / "a.duckdb"
    proc = start(tmp_path, db, "--grace", "3")
    try:
        assert wait_for(lambda: count(db) == 5, 30)
    finally:
        took = stop(proc)
    assert proc.returncode == 0
    assert took < 6
    check_once(db, 5)


def test_concurrent_readers_and_fetches_lose_nothing(web: FixtureWeb, tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(render_sources(web.base_url, poll_interval=1))
    oneoff = web.put("/oneoff/page/", "<html><head><title>One-off</title></head><body><article>"
                     + "<p>A page fetched by hand while the daemon runs.</p>" * 20 + "</article></body></html>")
    db = tmp_path / "a.duckdb"
    proc = start(tmp_path, db)
    failures: list[str] = []
    commands = 0
    try:
        assert wait_for(db.exists, 20)  # the daemon creates the archive on start
        end = time.monotonic() + 8
        rounds = 0
        while rounds < 2 or time.monotonic() < end:
            if rounds == 1:
                publish(web, range(370001, 370006))  # new articles mid-run
            rounds += 1
            for args in (["sql", "SELECT source, count(*) FROM articles GROUP BY 1"],
                         ["fetch", "--allow-private", oneoff],
                         ["status"]):
                res = subprocess.run([sys.executable, "-m", "scraper", *args, "--db", str(db)],
                                     capture_output=True, text=True, cwd=tmp_path, timeout=120)
                commands += 1
                if res.returncode != 0:
                    failures.append(f"{args[0]}: {res.returncode} {res.stderr.strip()[-300:]}")
        # 5 new developpez + 2 dailyledger (the fixture feed was replaced) + index page's 3 + one-off
        assert wait_for(lambda: count(db) == 11, 30), count(db)
    finally:
        took = stop(proc)
    assert not failures, failures
    assert commands >= 3
    assert proc.returncode == 0 and took < 15
    check_once(db, 11)


def test_kill_9_mid_ingestion_then_restart(web: FixtureWeb, tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(render_sources(web.base_url, poll_interval=1, min_delay=0.1,
                                                         concurrency=1))
    ids = range(380001, 380041)
    publish(web, ids)
    db = tmp_path / "a.duckdb"
    proc = start(tmp_path, db, "--batch-size", "4")
    try:
        assert wait_for(lambda: count(db) >= 3, 40)
    finally:
        helpers = psutil.Process(proc.pid).children(recursive=True)  # fork server, workers…
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # they follow the daemon (none is left running forever)
    _gone, alive = psutil.wait_procs(helpers, timeout=10)
    alive = [p for p in alive if _running(p)]
    for p in alive:
        p.kill()
    assert helpers and not alive, [" ".join(p.cmdline())[:100] for p in alive]
    first = count(db)
    expected = len(ids) + 3 + 2  # published + developpez index page + dailyledger
    assert 0 < first < expected
    proc = start(tmp_path, db, "--batch-size", "4")
    try:
        assert wait_for(lambda: count(db) == expected, 60), count(db)
    finally:
        stop(proc)
    check_once(db, expected)
    assert count(db, "SELECT count(*) FROM article_versions") == expected
