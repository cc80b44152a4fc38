"""poll_source / poll_all end to end against a fixture web of each test's own (it publishes)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scraper.archive import Archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.server import SITES_ROOT
from scraper.fixtureweb.sources import render_sources
from scraper.poll import PollContext, PollOptions, poll_all
from scraper.settings import Settings
from scraper.sources.config import SourceSet, load_sources_text

LIGHT_RAIL = "/dailyledger/2024/06/12/city-council-approves-light-rail-expansion/"
PUBLISHED = 5  # articles the fixture sites list (3 developpez, 2 dailyledger)


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        w.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\nCrawl-delay: 0\n")
        yield w


def sources(web: FixtureWeb, **kw: object) -> SourceSet:
    return load_sources_text(render_sources(web.base_url, **kw))  # type: ignore[arg-type]


def poll(db: Path, srcs: SourceSet, **opts: object) -> dict[str, dict[str, object]]:
    settings = Settings(db=db)
    now = opts.pop("now", None)
    with PollContext(settings, Archive(db), options=PollOptions(force=True, **opts),  # type: ignore[arg-type]
                     now=now) as ctx:  # type: ignore[arg-type]
        return {s.source: s.row() for s in poll_all(srcs, ctx)}


def q(db: Path, sql: str) -> list[tuple[object, ...]]:
    return Archive(db).read(lambda con: con.execute(sql).fetchall())


def test_first_poll_archives_every_article_once_and_skips_robots(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    rows = poll(db, sources(web))
    assert rows["developpez"]["new"] == 3 and rows["dailyledger"]["new"] == 2
    assert q(db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(PUBLISHED, PUBLISHED)]
    assert q(db, "SELECT reason, url LIKE '%/private/%' FROM skips") == [("robots-disallowed", True)]
    assert not [r for r in web.requests() if "/private/" in r.path]
    for path in {r.path for r in web.requests() if "/actu/3" in r.path or "/2024/06/" in r.path}:
        assert web.hits(path) == 1, path


def test_second_poll_sends_validators_gets_304s_and_fetches_no_article(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    srcs = sources(web)
    poll(db, srcs)
    before = len(web.requests())
    rows = poll(db, srcs)
    again = [r for r in web.requests()[before:] if r.path != "/robots.txt"]  # a new process's cache
    assert all(r.header("If-None-Match") for r in again), [r.path for r in again]
    assert {r.path for r in again} == {"/developpez/index/rss", "/developpez/actu/", "/dailyledger/feed.atom",
                                       "/sitemap-index.xml"}
    assert sum(int(r["not_modified"]) for r in rows.values()) == 4
    assert q(db, "SELECT count(*) FROM articles") == [(PUBLISHED,)]
    assert q(db, "SELECT sum(not_modified) FROM feeds") == [(4,)]


def test_new_article_is_archived_and_an_update_adds_a_version(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    srcs = sources(web)
    poll(db, srcs)
    # publish: a new Developpez article (feed + page), and an update of the light-rail article
    new_path = "/developpez/actu/365000/un-nouvel-article-de-test/"
    page = (SITES_ROOT / "developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-"
            "experimental-et-un-compilateur-jit/index.html").read_bytes()
    web.put(new_path, page.replace(b"364012", b"365000").replace(b"Python 3.13", b"Python 3.14"),
            content_type="text/html; charset=iso-8859-1")
    rss = (SITES_ROOT / "developpez/index/rss").read_bytes()
    item = (f"<item><title>Nouveau</title><link>{new_path}</link><guid isPermaLink=\"false\">365000</guid>"
            "</item>\n</channel>").encode()
    web.put("/developpez/index/rss", rss.replace(b"</channel>", item),
            content_type="application/rss+xml; charset=iso-8859-1")
    html = (SITES_ROOT / LIGHT_RAIL.lstrip("/") / "index.html").read_bytes()
    assert b"</p>" in html
    web.put(LIGHT_RAIL, html.replace(b"</p>", b" Update: the vote was confirmed on Friday.</p>", 1),
            content_type="text/html; charset=utf-8")
    stamp = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    atom = (SITES_ROOT / "dailyledger/feed.atom").read_bytes()
    web.put("/dailyledger/feed.atom", atom.replace(b"<updated>2024-06-12T18:00:00Z</updated>",
                                                   b"<updated>" + stamp + b"</updated>"),
            content_type="application/atom+xml; charset=utf-8")

    rows = poll(db, srcs)
    assert rows["developpez"]["new"] == 1
    assert rows["dailyledger"]["updated"] == 1
    assert q(db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(PUBLISHED + 1,) * 2]
    assert q(db, f"SELECT max(v.version), count(*) FROM article_versions v JOIN articles a ON a.id = v.article_id "
                 f"WHERE a.url LIKE '%{LIGHT_RAIL}'") == [(2, 2)]
    assert q(db, "SELECT count(*) FROM skips WHERE reason = 'already-archived'")[0][0] >= 3


def test_stale_validators_are_detected_and_no_longer_sent(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    # a server that sends an ETag but never answers 304
    feed = (SITES_ROOT / "dailyledger/feed.atom").read_bytes()
    web.put("/stale/feed.atom", feed, headers={"ETag": '"always-the-same"'}, validators=False,
            content_type="application/atom+xml")
    text = render_sources(web.base_url).split("  - name: dailyledger")[1]
    text = "sources:\n  - name: dailyledger" + text.replace("/dailyledger/feed.atom", "/stale/feed.atom")
    text = text.replace("    sitemaps:", "    # sitemaps:")
    srcs = load_sources_text(text)
    for _ in range(3):
        poll(db, srcs)
    sent = [r.header("If-None-Match") for r in web.requests("/stale/feed.atom")]
    assert sent == [None, '"always-the-same"', None]
    assert q(db, "SELECT validators_stale, not_modified FROM feeds") == [(True, 2)]


def test_crawl_delay_spaces_requests_to_a_host(web: FixtureWeb, tmp_path: Path) -> None:
    web.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\nCrawl-delay: 0.3\n")
    poll(tmp_path / "a.duckdb", sources(web, concurrency=2))
    starts = sorted(r.at for r in web.requests() if r.path != "/robots.txt")
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) >= 8
    assert min(gaps) >= 0.25, gaps


def test_429_backs_off_the_whole_host(web: FixtureWeb, tmp_path: Path) -> None:
    web.put("/t429/feed.xml", (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        "<item><link>/_/429?retry_after=1&amp;fail=1&amp;key=t429</link></item>"
        "<item><link>/t429/a/</link></item><item><link>/t429/b/</link></item>"
        "</channel></rss>"), content_type="application/rss+xml")
    for name in ("a", "b"):
        web.put(f"/t429/{name}/", f"<html><body><article><p>{name} text here.</p></article></body></html>")
    srcs = load_sources_text(
        "sources:\n  - name: t429\n    domains: ['127.0.0.1']\n    allow_private: true\n"
        f"    feeds: ['{web.base_url}/t429/feed.xml']\n"
        "    article_url: {include: ['/_/429', '/t429/[ab]/']}\n"
        "    politeness: {min_delay: 0.2, concurrency: 2}\n    poll_interval: 1m\n")
    poll(tmp_path / "a.duckdb", srcs)
    reqs = [r for r in web.requests() if r.path.startswith(("/_/429", "/t429/a", "/t429/b"))]
    first_429 = next(r.at for r in reqs if r.path.startswith("/_/429"))
    later = [r.at - first_429 for r in reqs if r.at > first_429]
    assert len(reqs) == 4 and later  # the 429, its retry, the two articles (some may precede it)
    assert min(later) >= 0.9, later  # nothing reached the host during its Retry-After


def test_truncated_article_is_rechecked_and_access_change_recorded(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    srcs = sources(web)
    poll(db, srcs)
    grocery = "%/grocery-chains-margins-investigation/"
    [(access, count, due)] = q(db, f"SELECT access, check_count, next_check_at - fetched_at FROM articles "
                                   f"WHERE url LIKE '{grocery}'")
    assert (access, count, due) == ("truncated", 0, timedelta(days=1))
    # the site opens the article; two days later the re-check finds it full
    full = (SITES_ROOT / LIGHT_RAIL.lstrip("/") / "index.html").read_text(encoding="utf-8")
    web.put("/dailyledger/2024/06/13/grocery-chains-margins-investigation/",
            full.replace(LIGHT_RAIL, "/dailyledger/2024/06/13/grocery-chains-margins-investigation/"))
    later = datetime.now(UTC) + timedelta(days=2)
    rows = poll(db, srcs, now=lambda: later)
    assert rows["dailyledger"]["updated"] >= 1
    assert q(db, f"SELECT access, check_count, next_check_at FROM articles WHERE url LIKE '{grocery}'") == [
        ("full", 1, None)]
    assert q(db, f"SELECT list(v.access ORDER BY v.version) FROM article_versions v JOIN articles a "
                 f"ON a.id = v.article_id WHERE a.url LIKE '{grocery}'") == [(["truncated", "full"],)]


def test_extraction_in_worker_processes_stores_the_same(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    rows = poll(db, sources(web), process_threshold=1, processes=2)
    assert sum(int(r["new"]) for r in rows.values()) == PUBLISHED
    assert q(db, "SELECT count(*) FILTER (WHERE word_count > 100) FROM articles") == [(PUBLISHED,)]


def test_writes_are_kept_while_another_process_holds_the_archive(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    Archive(db).write(lambda con: None)
    with subprocess.Popen([sys.executable, "-c", (
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('held', flush=True); time.sleep(3)"), str(db)], stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        ctx = PollContext(Settings(db=db), Archive(db, lock_timeout=10),
                          options=PollOptions(force=True, lock_timeout=0.3))
        try:
            summaries = poll_all(sources(web), ctx)
            assert sum(s.pending for s in summaries) == PUBLISHED
            assert len(ctx.writer) > 0
            holder.wait(timeout=10)
            assert ctx.writer.flush()
        finally:
            ctx.close()
    assert q(db, "SELECT count(*) FROM articles") == [(PUBLISHED,)]
    assert q(db, "SELECT count(*) FROM polls") == [(2,)]


def test_writer_thread_coalesces_batches_and_waits_only_for_the_final_one(tmp_path: Path) -> None:
    from scraper.archive.record import WriteRecord
    from scraper.archive.store import Skip
    from scraper.archive.writer import WriteBuffer

    db = tmp_path / "a.duckdb"
    archive = Archive(db)
    archive.write(lambda con: None)
    writes = 0
    real_write = archive.write

    def counting_write(fn):  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return real_write(fn)

    archive.write = counting_write  # type: ignore[method-assign]
    buf = WriteBuffer(archive, interval=30.0)
    buf.start()
    try:
        now = datetime.now(UTC)
        first = buf.submit(WriteRecord(skips=[Skip(url="https://a.example/0", reason="robots-disallowed", at=now)]))
        assert first.attempted.wait(10)  # written at once: nothing written before
        records = [WriteRecord(skips=[Skip(url=f"https://a.example/{i}", reason="robots-disallowed", at=now)])
                   for i in range(1, 6)]
        t0 = time.monotonic()
        tickets = [buf.submit(r) for r in records[:-1]]  # returns at once: the writer waits for its interval
        assert time.monotonic() - t0 < 1.0
        assert not any(t.attempted.is_set() for t in tickets)
        tickets.append(buf.submit(records[-1], wait=True))  # a waiting submit is written now, with the others
        assert all(t.attempted.is_set() and t.error is None and t.record is None for t in tickets)
    finally:
        buf.close()
    assert writes == 2
    assert q(db, "SELECT count(*) FROM skips") == [(6,)]


@pytest.mark.parametrize("workers", [False, True], ids=["in-process", "worker-processes"])
def test_a_listed_page_without_article_text_is_an_error_not_an_article(
    web: FixtureWeb, tmp_path: Path, workers: bool
) -> None:
    db = tmp_path / "a.duckdb"
    empty = "/developpez/actu/365001/une-page-vide/"
    web.put(empty, "<html><head><title>Developpez</title></head><body><nav><a href='/'>Accueil</a>"
                   "</nav></body></html>", content_type="text/html; charset=utf-8")
    rss = (SITES_ROOT / "developpez/index/rss").read_bytes()
    item = (f"<item><title>Vide</title><link>{empty}</link><guid isPermaLink=\"false\">365001</guid>"
            "</item>\n</channel>").encode()
    web.put("/developpez/index/rss", rss.replace(b"</channel>", item),
            content_type="application/rss+xml; charset=iso-8859-1")
    opts = {"process_threshold": 1, "processes": 2} if workers else {}
    rows = poll(db, sources(web), **opts)
    assert (rows["developpez"]["new"], rows["developpez"]["errors"]) == (3, 1)
    assert q(db, f"SELECT count(*) FROM articles WHERE url LIKE '%{empty}'") == [(0,)]
    assert q(db, f"SELECT error FROM fetches WHERE url LIKE '%{empty}'") == [("extract:no-article",)]
