"""Crash safety: the daemon is killed with SIGKILL at random (seeded) moments while it ingests;
after every kill the archive opens, passes the integrity check (no partial row, no duplicate),
no process of the killed daemon survives it (its extraction workers and their fork server),
and in the end every article the fixture web publishes is archived exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from scraper.faults import check_archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.faults import article_html
from tests.hardening.conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(
    not (ROOT / "scraper" / "daemon.py").exists() or not (ROOT / "scraper" / "cli" / "daemon.py").exists(),
    reason="needs the polling daemon (scraper/daemon.py, scraper/cli/daemon.py)",
)

N_ARTICLES = 40
KILLS = 10
NEW_PER_KILL = 4
SEED = 20240612


def publish(web: FixtureWeb, start: int = 0, count: int = N_ARTICLES) -> list[str]:
    """Publish articles ``start`` .. ``start + count - 1`` and a feed listing every one so far."""
    for i in range(start, start + count):
        web.put(f"/crash/{i}/", article_html(f"Crash test article {i}", slug=f"crash-{i}"))
    urls = [web.url(f"/crash/{i}/") for i in range(start + count)]
    items = "".join(f"<item><title>Crash {i}</title><link>{u}</link><guid>{u}</guid></item>"
                    for i, u in enumerate(urls))
    web.put("/crash/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>crash</title>'
                               f"<link>{web.url('/crash/')}</link>{items}</channel></rss>",
            content_type="application/rss+xml")
    return urls


def sources_yaml(web: FixtureWeb) -> str:
    return f"""\
sources:
  - name: crash
    domains: [127.0.0.1]
    allow_private: true
    feeds: [{web.url('/crash/feed.xml')}]
    article_url:
      include: ['/crash/\\d+/$']
    poll_interval: {{every: 1s, min: 1s, max: 2s}}
    politeness: {{min_delay: 0.05, concurrency: 1}}
"""


def article_hits(web: FixtureWeb) -> int:
    return sum(1 for r in web.requests() if r.path.startswith("/crash/") and "feed" not in r.path)


def archived(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT url FROM articles").fetchall()]
    finally:
        con.close()


def versions(db: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions)"
                          ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)
    finally:
        con.close()


def extracted(log: Path, offset: int) -> int:
    """Article pages a daemon run has extracted so far: its "fetched" lines in the log."""
    with log.open("rb") as fh:
        fh.seek(offset)
        return sum(1 for line in fh if b" fetched " in line)


def group(pgid: int) -> list[psutil.Process]:
    """Live processes of the process group ``pgid`` (zombies waiting to be reaped are dead)."""
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def survivors(pgid: int, timeout: float = 10.0) -> list[str]:
    """What of the group is still alive ``timeout`` seconds after its leader was killed."""
    end = time.monotonic() + timeout
    while (alive := group(pgid)) and time.monotonic() < end:
        time.sleep(0.1)
    out = []
    for p in alive:
        try:
            out.append(f"{p.pid} {' '.join(p.cmdline())[:100]}")
        except psutil.Error:
            continue
    return out


def test_sigkill_during_ingestion_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db = tmp_path / "crash.duckdb"
    sources = tmp_path / "sources.yaml"
    log = tmp_path / "daemon.stderr"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    env["PYTHONPATH"] = str(ROOT)
    with FixtureWeb() as web, log.open("ab") as errors:
        urls = publish(web)
        sources.write_text(sources_yaml(web), encoding="utf-8")
        check = run_cli(["sources", "check", "--sources", str(sources)])
        assert check.returncode == 0, check.stderr
        kills = feed_hits = max_helpers = 0
        progress: list[tuple[int, int]] = []  # (articles, versions) after each kill
        started = time.monotonic()
        while kills < KILLS and time.monotonic() - started < 90:
            errors.flush()
            run_start = log.stat().st_size
            proc = subprocess.Popen(
                [sys.executable, "-m", "scraper", "-v", "daemon", "--sources", str(sources), "--db", str(db),
                 "--batch-size", str(rng.choice([1, 2, 5]))],
                env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
            # kill at a random moment while the daemon ingests: once it has extracted a random
            # number of article pages in this run (its "fetched" log lines: start-up and the
            # worker processes' start vary with the machine's load), plus a random delay, so
            # kills land before, during and after its writes
            deadline = time.monotonic() + 20
            while web.hits("/crash/feed.xml") <= feed_hits and time.monotonic() < deadline:
                time.sleep(0.02)
            feed_hits = web.hits("/crash/feed.xml")
            wanted = rng.randint(1, 6)
            deadline = time.monotonic() + 15
            while extracted(log, run_start) < wanted and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.5))
            helpers = len(group(proc.pid)) - 1  # fork server, workers, resource tracker
            proc.kill()  # the daemon alone, as the OOM killer would: its helpers must follow it
            proc.wait(timeout=10)
            kills += 1
            left = survivors(proc.pid)
            if left:
                os.killpg(proc.pid, signal.SIGKILL)
            assert not left, f"after kill {kills}, of {helpers} helper process(es): {left}"
            max_helpers = max(max_helpers, helpers)
            if db.exists():
                assert check_archive(db) == {}, f"after kill {kills}"
                progress.append(versions(db))
            # keep the crashes inside ingestion: publish new articles so the next run has work
            urls = publish(web, len(urls), NEW_PER_KILL)
        assert kills >= 8
        assert max_helpers >= 2  # some kills found extraction workers running
        print("articles, versions after each kill:", progress)
        # some kills landed in the middle of ingestion, not only before or after it
        assert any(0 < a < len(urls) for a, _ in progress) and len(set(progress)) > 2
        assert "Traceback" not in log.read_text(errors="replace")
        # the last run is left to finish: one foreground poll tick
        final = run_cli(["poll", "--sources", str(sources), "--db", str(db)], timeout=120)
        assert final.returncode == 0, final.stderr
    assert check_archive(db) == {}
    got = archived(db)
    assert sorted(got) == sorted(urls)  # every article exactly once
