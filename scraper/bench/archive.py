"""Benchmark 4: the DuckDB archive.

Ingest: synthetic captures (~500-word texts, metadata, paywall evidence) stored through
:func:`scraper.archive.record.store` (the one write path) in batches of 1,000, one ``Archive.write`` (one
transaction) per batch, against one autocommitted ``INSERT`` per article into the same table.
Ours runs twice: articles only, then with the raw responses (~40 KB pages, zlib-compressed)
that a poll also keeps.

Queries: an archive of 1,000,000 articles generated in SQL (``range()``; each text is eight
paragraphs drawn from a pool of 2,000, about 500 words), then the typical queries, each run
three times (the median is reported, the first run is the cold one): latest articles of a
source (``queries.latest_articles``), truncated share per source per day, text search with
``ILIKE``, and the dedup lookup a poll makes for 100 candidate URLs (``queries.archived_lookup``).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from scraper.archive import Archive
from scraper.archive.queries import archived_lookup, latest_articles
from scraper.archive.record import WriteRecord, store
from scraper.bench.common import Row, fmt_rate, target_row
from scraper.bench.sites import VOCABULARY, article_page
from scraper.models import Article, Capture, FetchResult, Signal

BATCH = 1000


def _text(rng: random.Random, words: int = 500) -> str:
    out, n = [], 0
    while n < words:
        para = [rng.choice(VOCABULARY) for _ in range(rng.randint(30, 90))]
        n += len(para)
        out.append(" ".join(para).capitalize() + ".")
    return "\n\n".join(out)


def captures(n: int, *, responses: bool, seed: int = 1, offset: int = 0) -> list[Capture]:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(offset, offset + n):
        url = f"https://site{i % 50}.example/news/{i}/story.html"
        text = _text(rng)
        access = "truncated" if i % 10 == 0 else "full"
        article = Article(
            text=text, title=f"Headline {i}", authors=(f"Reporter {i % 40}",),
            published_at=(base + timedelta(minutes=i)).isoformat(), language="en", section="news",
            tags=("a", "b"), description=text[:150], site_name=f"Site {i % 50}", canonical_url=url,
            word_count=len(text.split()), access=access, paywall_declared=False, paywall_confidence=0.1,
            paywall_signals=("jsonld:isAccessibleForFree=true",),
            paywall_evidence=(Signal("jsonld:isAccessibleForFree=true", "declared free", -1.0),),
            extractor="trafilatura", encoding="utf-8",
        )
        fetched = base + timedelta(minutes=i, seconds=5)
        response = None
        if responses:
            response = FetchResult(url=url, final_url=url, status=200,
                                   headers=(("content-type", "text/html; charset=utf-8"),),
                                   content=article_page(f"site{i % 50}.example", i), fetched_at=fetched,
                                   elapsed_ms=50.0)
        out.append(Capture(url=url, article=article, fetched_at=fetched, source=f"site{i % 50}",
                           response=response))
    return out


def ingest_ours(path: Path, caps: list[Capture]) -> float:
    archive = Archive(path)
    archive.write(lambda con: None)  # schema first, as a running daemon has it
    start = time.perf_counter()
    for i in range(0, len(caps), BATCH):
        chunk = caps[i : i + BATCH]
        store(archive, [WriteRecord(captures=chunk)])
    return time.perf_counter() - start


def ingest_naive(path: Path, caps: list[Capture]) -> float:
    Archive(path).write(lambda con: None)
    con = duckdb.connect(str(path))
    start = time.perf_counter()
    for c in caps:
        a = c.article
        con.execute(
            "INSERT INTO articles (url, canonical_url, source, title, authors, published_at, language, "
            "text, word_count, access, fetched_at, first_seen_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [c.url, a.canonical_url, c.source, a.title, list(a.authors), a.published_at, a.language,
             a.text, a.word_count, a.access, c.fetched_at, c.fetched_at],
        )
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def build_archive(path: Path, n: int) -> float:
    """``n`` articles written by SQL alone; returns the seconds it took."""
    archive = Archive(path)
    archive.write(lambda con: None)
    rng = random.Random(3)
    pool = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(45, 80))).capitalize() + "."
            for _ in range(2000)]
    picks = ", ".join(f"pool[1 + (hash(r, {k}) % 2000)::INTEGER]" for k in range(8))
    start = time.perf_counter()
    con = duckdb.connect(str(path))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            f"""
            INSERT INTO articles (id, url, canonical_url, source, title, published_at, language, text,
                                  word_count, access, fetched_at, first_seen_at, updated_at, version, extractor)
            SELECT r + 1, 'https://site' || (r % 50) || '.example/news/' || r || '/story.html',
                   'https://site' || (r % 50) || '.example/news/' || r || '/story.html',
                   'site' || (r % 50), 'Headline ' || r,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(r * 30),
                   'en', array_to_string([{picks}], chr(10) || chr(10)), 500,
                   CASE WHEN r % 10 = 0 THEN 'truncated' WHEN r % 97 = 0 THEN 'locked' ELSE 'full' END,
                   TIMESTAMPTZ '2024-01-01 00:05:00+00' + to_seconds(r * 30),
                   TIMESTAMPTZ '2024-01-01 00:05:00+00' + to_seconds(r * 30),
                   TIMESTAMPTZ '2024-01-01 00:05:00+00' + to_seconds(r * 30), 1, 'trafilatura'
            FROM range({n}) t(r), (SELECT $1::VARCHAR[] AS pool)
            """,
            [pool],
        )
        con.execute(f"SELECT setval('articles_id_seq', {n + 1})")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - start


TRUNCATED_SHARE = """
SELECT source, date_trunc('day', published_at) AS day, count(*) AS articles,
       round(avg(CASE WHEN access <> 'full' THEN 1 ELSE 0 END), 3) AS truncated_share
FROM articles GROUP BY ALL ORDER BY source, day
"""
SEARCH = """
SELECT id, title, published_at FROM articles WHERE text ILIKE $1
ORDER BY published_at DESC LIMIT 20
"""


def time_query(archive: Archive, fn: Callable[[duckdb.DuckDBPyConnection], Any], runs: int = 3) -> tuple[float, float]:
    """(median seconds, first run's seconds) over ``runs`` fresh read-only connections."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        archive.read(fn)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times[0]


def run(quick: bool = False) -> list[Row]:
    n_ours, n_naive, n_archive = (2_000, 300, 100_000) if quick else (20_000, 2_000, 1_000_000)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        tmpdir = Path(tmp)
        caps = captures(n_ours, responses=False)
        ours_s = ingest_ours(tmpdir / "ours.duckdb", caps)
        naive_s = ingest_naive(tmpdir / "naive.duckdb", caps[:n_naive])
        ours_rate, naive_rate = n_ours / ours_s, n_naive / naive_s
        rows.append(target_row(
            "archive ingest: store_captures, batches of 1,000 (articles/s)",
            fmt_rate(ours_rate, "art/s"), fmt_rate(naive_rate, "art/s") + " (1 INSERT each)",
            ours_rate, ">= 10000",
            note=f"ratio column = our rate; x{ours_rate / naive_rate:.1f} the one-INSERT-per-article baseline; "
                 f"{n_ours:,} articles, ~500 words each",
            values={"ours_rate": ours_rate, "naive_rate": naive_rate},
        ))
        del caps
        n_resp = n_ours // 4
        caps = captures(n_resp, responses=True, seed=2)
        resp_s = ingest_ours(tmpdir / "ours-responses.duckdb", caps)
        rows.append(Row("  ingest incl. raw responses (~40 KB, zlib)", fmt_rate(n_resp / resp_s, "art/s"),
                        "", None, "", None, values={"rate": n_resp / resp_s}))
        del caps

        big = tmpdir / "big.duckdb"
        build_s = build_archive(big, n_archive)
        size_mb = big.stat().st_size / 1e6
        archive = Archive(big)
        queries: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]] = [
            ("latest 20 articles of a source", lambda con: latest_articles(con, 20, "site7")),
            ("truncated share per source per day", lambda con: con.execute(TRUNCATED_SHARE).fetchall()),
            ("text search ILIKE '%word%'", lambda con: con.execute(SEARCH, [f"%{VOCABULARY[123]} {VOCABULARY[45]}%"]).fetchall()),
            ("dedup lookup of 100 URLs (archived_lookup)", lambda con: archived_lookup(
                con, [f"https://site{i % 50}.example/news/{i}/story.html" for i in range(0, n_archive, n_archive // 100)], [])),
        ]
        for name, fn in queries:
            median, first = time_query(archive, fn)
            rows.append(target_row(
                f"query on {n_archive:,} articles: {name} (s)", f"{median * 1000:.0f} ms", f"cold {first * 1000:.0f} ms",
                median, "< 1", values={"median_s": median, "first_s": first},
            ))
        rows[-len(queries)].note = (f"archive built in SQL in {build_s:.0f} s, {size_mb:,.0f} MB on disk; "
                                    "median of 3 runs, each on a fresh read-only connection")
        # a batch stored into the big archive: lookups and the UNIQUE index at scale
        caps = captures(BATCH, responses=False, seed=4, offset=n_archive + 10)
        start = time.perf_counter()
        store(archive, [WriteRecord(captures=caps)])
        big_s = time.perf_counter() - start
        rows.append(Row(f"  store_captures batch of 1,000 into the {n_archive:,} archive",
                        fmt_rate(BATCH / big_s, "art/s"), "", None, "", None, values={"seconds": big_s}))
        # the search index on the same archive, beside the ILIKE figure (scraper/bench/search.py)
        from scraper.bench.search import run_on

        rows += run_on(big, n_archive, rows)
    return rows
