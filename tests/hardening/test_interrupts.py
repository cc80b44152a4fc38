"""Interrupts: real SIGINT / SIGTERM sent to a real ``scraper`` process.

One signal: the command stops taking work, running fetches get the grace (5 s), what was fetched
or extracted is stored, the summary printed, exit 130 (SIGINT) or 143 (SIGTERM). Two signals:
exit at once, and the archive still opens and is sound. No process of the command survives it.

Slow hosts are pages of the fixture web published with a ``delay``; a write is held back
deterministically by keeping a read-only DuckDB connection open on the archive (DuckDB's file
lock makes the writer wait), so the signal lands while the work is in hand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import duckdb
import psutil
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.archive import Archive
from scraper.faults import check_archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.faults import article_html
from tests.hardening.conftest import ROOT

GRACE = 5.0  # scraper.cli.interrupt.GRACE
SLACK = 6.0  # start-up, the final write and a loaded machine
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


# -- helpers ----------------------------------------------------------------------------------


def start(args: list[str], tmp: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    env["PYTHONPATH"] = str(ROOT)
    env["SCRAPER_LOCK_TIMEOUT"] = "60"
    return subprocess.Popen([sys.executable, "-m", "scraper", *args], env=env, cwd=tmp, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(proc: subprocess.Popen[str], bound: float) -> tuple[int, str, str, float]:
    """Wait for the process (at most ``bound`` seconds): exit code, stdout, stderr, seconds."""
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"still running {bound:g} s after the signal\n{err[-2000:]}")
    return proc.returncode, out, err, time.monotonic() - t0


def survivors(pgid: int, timeout: float = 10.0) -> list[str]:
    """Processes of the command's process group still alive after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        alive = []
        for p in psutil.process_iter(["pid", "status", "cmdline"]):
            try:
                if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])[:120]}")
            except (ProcessLookupError, psutil.Error):
                continue
        if not alive or time.monotonic() >= end:
            return alive
        time.sleep(0.2)


def workers(pgid: int) -> int:
    """Extraction worker processes running in the group (children of its fork server)."""
    n = 0
    for p in psutil.process_iter(["cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid and "multiprocessing.forkserver" in " ".join(p.info["cmdline"] or []):
                n += len(p.children())
        except (ProcessLookupError, psutil.Error):
            continue
    return n


def wait_until(pred: object, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def publish(web: FixtureWeb, prefix: str, delays: list[float]) -> list[str]:
    urls = []
    for i, delay in enumerate(delays):
        urls.append(web.put(f"/{prefix}/{i}/", article_html(f"{prefix} article {i}", slug=f"{prefix}-{i}"),
                            delay=delay))
    items = "".join(f"<item><title>{i}</title><link>{u}</link><guid>{u}</guid></item>" for i, u in enumerate(urls))
    web.put(f"/{prefix}/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>{prefix}</title>'
                                   f"<link>{web.url(prefix)}</link>{items}</channel></rss>",
            content_type="application/rss+xml")
    return urls


def sources_file(tmp: Path, web: FixtureWeb, prefix: str) -> Path:
    path = tmp / "sources.yaml"
    path.write_text(f"""\
sources:
  - name: {prefix}
    domains: [127.0.0.1]
    allow_private: true
    feeds: [{web.url(f'/{prefix}/feed.xml')}]
    article_url:
      include: ['/{prefix}/\\d+/$']
    politeness: {{min_delay: 0, concurrency: 2}}
""", encoding="utf-8")
    return path


def article_requests(web: FixtureWeb, prefix: str) -> list[str]:
    return [web.url(r.path) for r in web.requests() if r.path.startswith(f"/{prefix}/") and "feed" not in r.path]


def archived(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
    finally:
        con.close()


@contextmanager
def reader_lock(db: Path) -> Iterator[None]:
    """Hold a read-only connection: writers of other processes wait until it closes."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        yield
    finally:
        con.close()


def write_warc(path: Path, n: int) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        for i in range(n):
            body = article_html(f"Imported article {i}", slug=f"imported-{i}").encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"https://news.example/imported/{i}/", "response", payload=BytesIO(body), length=len(body),
                http_headers=http, warc_headers_dict={"WARC-Date": "2026-01-02T03:04:05Z"}))
    return path


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        yield w


# -- poll ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sig", "to_group"), [(signal.SIGINT, False), (signal.SIGTERM, False),
                                               (signal.SIGINT, True)],
                         ids=["SIGINT", "SIGTERM", "Ctrl-C-to-the-process-group"])
def test_poll_stops_on_a_signal_and_stores_what_it_fetched(web: FixtureWeb, tmp_path: Path,
                                                           sig: signal.Signals, to_group: bool) -> None:
    # 30 articles (extracted in worker processes), 1.5 s each, two at a time: about 25 s in all
    urls = publish(web, "slowpoll", [1.5] * 30)
    db = tmp_path / "a.duckdb"
    proc = start(["poll", "--sources", str(sources_file(tmp_path, web, "slowpoll")), "--db", str(db)], tmp_path)
    wait_until(lambda: len(article_requests(web, "slowpoll")) >= 5, 40, "five article requests")
    if to_group:  # as a terminal does: the extraction workers get it too, and ignore it
        wait_until(lambda: workers(proc.pid) > 0, 40, "the extraction workers")
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    code, out, err, took = finish(proc, GRACE + SLACK + 10)
    assert code == CODES[sig], err
    assert took < 1.5 + SLACK, err  # the fetches running got the time they needed, no more
    assert "Traceback" not in err
    requested = article_requests(web, "slowpoll")
    assert 5 <= len(requested) < len(urls)  # no new work once signalled
    # every fetch that was started (before the signal) was stored, and the summary says so
    assert archived(db) == set(requested)
    row = next(line for line in out.splitlines() if "slowpoll" in line)
    assert f" {len(requested)} " in row.replace("│", " ").replace("|", " ")
    assert f"interrupted ({sig.name})" in err
    assert check_archive(db) == {}
    assert survivors(proc.pid) == []


def test_poll_gives_running_fetches_the_grace_then_leaves_them(web: FixtureWeb, tmp_path: Path) -> None:
    fast = publish(web, "gracepoll", [0.0] * 4 + [60.0] * 6)[:4]
    db = tmp_path / "a.duckdb"
    proc = start(["poll", "--sources", str(sources_file(tmp_path, web, "gracepoll")), "--db", str(db)], tmp_path)
    wait_until(lambda: len(article_requests(web, "gracepoll")) >= 6, 40, "the slow fetches")
    proc.send_signal(signal.SIGINT)
    code, out, err, took = finish(proc, GRACE + SLACK + 10)
    assert code == 130, err
    assert GRACE - 0.5 < took < GRACE + SLACK, err
    assert archived(db) == set(fast)
    assert "gracepoll" in out
    assert check_archive(db) == {}
    assert survivors(proc.pid) == []


def test_poll_leaves_a_feed_slower_than_the_grace(web: FixtureWeb, tmp_path: Path) -> None:
    publish(web, "slowfeed", [0.0] * 3)
    feed = web.page("/slowfeed/feed.xml")
    assert feed is not None and not isinstance(feed, str)
    web.put("/slowfeed/feed.xml", feed.body, content_type="application/rss+xml", delay=60.0)
    db = tmp_path / "a.duckdb"
    proc = start(["poll", "--sources", str(sources_file(tmp_path, web, "slowfeed")), "--db", str(db)], tmp_path)
    wait_until(lambda: web.hits("/slowfeed/feed.xml") >= 1, 40, "the feed request")
    proc.send_signal(signal.SIGTERM)
    code, out, err, took = finish(proc, GRACE + SLACK + 10)
    assert code == 143, err
    assert took < GRACE + SLACK, err
    assert "slowfeed" in out  # its summary row, though its poll never got past the feed
    assert archived(db) == set() and check_archive(db) == {}
    assert survivors(proc.pid) == []


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_poll_second_signal_exits_at_once_and_the_archive_is_sound(web: FixtureWeb, tmp_path: Path,
                                                                   second: signal.Signals) -> None:
    publish(web, "twice", [1.0] * 6 + [60.0] * 24)
    db = tmp_path / "a.duckdb"
    proc = start(["poll", "--sources", str(sources_file(tmp_path, web, "twice")), "--db", str(db)], tmp_path)
    wait_until(lambda: len(article_requests(web, "twice")) >= 8, 40, "the slow fetches")
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    proc.send_signal(second)
    code, _out, err, took = finish(proc, 10)
    assert code == CODES[second], err
    assert took < 3.0, err
    assert "interrupted again" in err and "Traceback" not in err
    assert check_archive(db) == {}  # opens; no partial row
    assert survivors(proc.pid) == []


# -- fetch --------------------------------------------------------------------------------------


def test_fetch_stops_on_sigterm_with_a_summary(web: FixtureWeb, tmp_path: Path) -> None:
    urls = publish(web, "slowfetch", [0.0, 0.0, 60.0, 0.0, 0.0])
    db = tmp_path / "a.duckdb"
    proc = start(["fetch", "--allow-private", "--db", str(db), *urls], tmp_path)
    wait_until(lambda: web.hits("/slowfetch/2/") >= 1, 40, "the slow fetch")
    proc.send_signal(signal.SIGTERM)
    code, out, err, took = finish(proc, GRACE + SLACK + 10)
    assert code == 143, err
    assert took < GRACE + SLACK
    assert archived(db) == set(urls[:2])
    assert out.count("new ") == 2
    assert "interrupted after 2 of 5 URL(s): 2 archived, 0 failed, 3 not done" in err
    assert web.hits("/slowfetch/3/") == 0
    assert survivors(proc.pid) == []


# -- import and reextract: the write is held back by a reader, so the signal lands mid-work ---


def test_import_stops_on_sigint_and_archives_what_it_read(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "big.warc", 1500)
    db = tmp_path / "a.duckdb"
    Archive(db).write(lambda con: None)  # an empty archive, so a reader can hold it
    with reader_lock(db):
        proc = start(["import", "--db", str(db), str(warc)], tmp_path)
        time.sleep(4.0)  # the first batch of 100 waits for the lock
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
    code, out, err, _took = finish(proc, 60)
    assert code == 130, err
    stored = archived(db)
    assert 0 < len(stored) < 1500
    assert f"archived {len(stored)} page(s) from 1 file(s) (new {len(stored)}) before the interrupt" in out
    assert check_archive(db) == {}


def test_import_second_signal_exits_at_once_while_a_write_waits(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "big.warc", 600)
    db = tmp_path / "a.duckdb"
    Archive(db).write(lambda con: None)
    with reader_lock(db):
        proc = start(["import", "--db", str(db), str(warc)], tmp_path)
        time.sleep(4.0)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        code, _out, err, took = finish(proc, 10)
    assert code == 130, err
    assert took < 3.0
    assert check_archive(db) == {}
    assert archived(db) == set()  # the batch never got the lock: nothing half-written


def test_reextract_stops_on_sigterm_and_stores_what_it_extracted(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "big.warc", 400)
    db = tmp_path / "a.duckdb"
    done = start(["import", "--db", str(db), str(warc)], tmp_path)
    assert finish(done, 120)[0] == 0
    with reader_lock(db):
        proc = start(["reextract", "--db", str(db)], tmp_path)
        time.sleep(4.0)  # the first batch of 100 waits for the lock
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
    code, out, err, _took = finish(proc, 60)
    assert code == 143, err
    first = out.splitlines()[0]
    assert first.startswith("re-extracted ") and first.endswith("(interrupted: the others keep their text)")
    assert 0 < int(first.split()[1]) < 400
    assert check_archive(db) == {}


def test_export_to_stdout_stops_between_rows(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "big.warc", 400)
    db = tmp_path / "a.duckdb"
    done = start(["import", "--db", str(db), str(warc)], tmp_path)
    assert finish(done, 120)[0] == 0
    proc = start(["export", "--format", "jsonl", "--db", str(db), "-"], tmp_path)
    assert proc.stdout is not None
    first = os.read(proc.stdout.fileno(), 1).decode()  # the export started; it soon blocks on the full pipe
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    code, out, err, _took = finish(proc, 30)
    assert code == 130, err
    assert (first + out).endswith("\n")
    lines = (first + out).split("\n")[:-1]
    assert 0 < len(lines) < 400
    assert all(json.loads(line)["url"] for line in lines)  # whole rows
    assert f"exported {len(lines)} article(s) as jsonl to stdout (interrupted: whole rows only)" in err
