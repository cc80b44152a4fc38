"""Crash safety: the daemon is killed with SIGKILL at random (seeded) moments while it ingests;
after every kill the archive opens, passes the integrity check (no partial row, no duplicate),
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
        kills = feed_hits = 0
        progress: list[tuple[int, int]] = []  # (articles, versions) after each kill
        started = time.monotonic()
        while kills < KILLS and time.monotonic() - started < 75:
            proc = subprocess.Popen(
                [sys.executable, "-m", "scraper", "daemon", "--sources", str(sources), "--db", str(db),
                 "--batch-size", str(rng.choice([1, 2, 5]))],
                env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
            # kill at a random moment while the daemon ingests: once it has fetched a random
            # number of article pages in this run (startup time varies with the machine's load),
            # plus a random delay, so kills land before, during and after its writes
            deadline = time.monotonic() + 20
            while web.hits("/crash/feed.xml") <= feed_hits and time.monotonic() < deadline:
                time.sleep(0.02)
            feed_hits = web.hits("/crash/feed.xml")
            wanted = article_hits(web) + rng.randint(1, 6)
            deadline = time.monotonic() + 8
            while article_hits(web) < wanted and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.5))
            os.killpg(proc.pid, signal.SIGKILL)  # the daemon and its extraction workers
            proc.wait(timeout=10)
            kills += 1
            if db.exists():
                assert check_archive(db) == {}, f"after kill {kills}"
                progress.append(versions(db))
            # keep the crashes inside ingestion: publish new articles so the next run has work
            urls = publish(web, len(urls), NEW_PER_KILL)
        assert kills >= 8
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
