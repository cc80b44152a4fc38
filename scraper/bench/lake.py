"""Benchmark 6: the lake and the WARC raw store (README "Running on many machines").

Publishing: an archive of synthetic captures (``archive.captures``: ~500-word texts, no raw
responses) published to an empty lake by :class:`scraper.lake.publish.Publisher` (all four
tables; articles/s counts articles), to a local warehouse with a SQLite catalog, then to S3
(moto's server on 127.0.0.1, in this process, so the figure is the client side plus a local
S3, not a network). Baseline: DuckDB's own ``COPY articles TO 'x.parquet'`` of the same rows.

Queries: 1,000,000 articles generated in SQL (each text one paragraph of ~60 words from a pool,
to keep the build near a minute; 50 sources over 12 months) and published in batches of
250,000; then ``scraper lake sql``'s path (plan the snapshot's files, register them with DuckDB)
and typical queries, each three times, median reported, against the same query on the DuckDB
archive the rows came from.

WARC: the one write path (``record.store``) with raw responses (~40 KB pages) in batches of 200, bodies zlib-ed in
DuckDB (the default) against bodies in WARC files (``raw_store: warc``); ms per page each.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from scraper.archive import Archive, rawstore
from scraper.archive.record import WriteRecord, store
from scraper.bench.archive import captures
from scraper.bench.common import Row, fmt_rate, target_row
from scraper.bench.sites import VOCABULARY
from scraper.lake.catalog import Lake, open_lake
from scraper.lake.publish import Publisher
from scraper.lake.query import lake_connection
from scraper.settings import Settings


def _lake(root: Path, warehouse: str, environ: dict[str, str] | None = None) -> Lake:
    conf = Settings(lake_catalog=f"sqlite:///{root}/catalog-{time.monotonic_ns()}.db", lake_warehouse=warehouse)
    return open_lake(conf, environ)


def _fill(path: Path, n: int) -> Archive:
    archive = Archive(path)
    caps = captures(n, responses=False)
    for i in range(0, n, 1000):
        store(archive, [WriteRecord(captures=caps[i:i + 1000])])
    return archive


def publish_rows(root: Path, n: int) -> list[Row]:
    archive = _fill(root / "pub.duckdb", n)
    start = time.perf_counter()
    con = duckdb.connect(str(archive.path), read_only=True)
    con.execute(f"COPY (SELECT * FROM articles) TO '{root / 'copy.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    copy = time.perf_counter() - start
    rows = []
    start = time.perf_counter()
    Publisher(_lake(root, str(root / "wh")), archive).publish()
    local = time.perf_counter() - start
    rows.append(target_row(f"lake publish, {n:,} articles, local warehouse (articles/s)",
                           fmt_rate(n / local, "art/s"), f"{fmt_rate(n / copy, 'art/s')} (COPY TO parquet)",
                           round(local / copy, 2), "", note="ratio: time / COPY's time; all 4 tables",
                           values={"seconds": local, "copy_seconds": copy}))
    try:
        from scraper.bench.s3 import moto_server
    except ImportError as exc:
        rows.append(Row("lake publish to S3", "skipped", note=str(exc)))
        return rows
    with moto_server() as env:
        start = time.perf_counter()
        Publisher(_lake(root, "s3://lake/wh", env), archive, publisher="s3-run").publish()
        s3 = time.perf_counter() - start
    rows.append(target_row(f"lake publish, {n:,} articles, S3 (moto on loopback) (articles/s)",
                           fmt_rate(n / s3, "art/s"), f"{fmt_rate(n / local, 'art/s')} (local)",
                           round(s3 / local, 2), "", values={"seconds": s3}))
    return rows


def build(path: Path, n: int) -> None:
    Archive(path).write(lambda con: None)
    rng = random.Random(5)
    pool = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(45, 80))).capitalize() + "."
            for _ in range(2000)]
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """
        INSERT INTO articles (id, url, canonical_url, source, title, published_at, language, text,
                              word_count, access, fetched_at, first_seen_at, updated_at, version)
        SELECT r + 1, 'https://site' || (r % 50) || '.example/news/' || r,
               'https://site' || (r % 50) || '.example/news/' || r, 'site' || (r % 50), 'Headline ' || r,
               TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(r * 31),
               'en', pool[1 + (hash(r) % 2000)::INTEGER], 60,
               CASE WHEN r % 10 = 0 THEN 'truncated' ELSE 'full' END,
               TIMESTAMPTZ '2025-01-01 00:05:00+00' + to_seconds(r * 31),
               TIMESTAMPTZ '2025-01-01 00:05:00+00' + to_seconds(r * 31),
               TIMESTAMPTZ '2025-01-01 00:05:00+00' + to_seconds(r * 31), 1
        FROM range($2) t(r), (SELECT $1::VARCHAR[] AS pool)
        """, [pool, n])
    con.execute(f"SELECT setval('articles_id_seq', {n + 1})")
    con.close()


QUERIES: dict[str, str] = {
    "count per source": "SELECT source, count(*) FROM articles GROUP BY 1",
    "latest 20 of one source": "SELECT id, title, published_at FROM articles WHERE source = 'site7' "
                               "ORDER BY published_at DESC LIMIT 20",
    "truncated share per source per month": "SELECT source, date_trunc('month', first_seen_at) m, "
        "avg(CASE WHEN access <> 'full' THEN 1 ELSE 0 END) FROM articles GROUP BY ALL",
    "one article by canonical_url": "SELECT title FROM articles WHERE source = 'site3' AND "
                                    "canonical_url = 'https://site3.example/news/500003'",
}


def _median(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def query_rows(root: Path, n: int) -> list[Row]:
    path = root / "big.duckdb"
    start = time.perf_counter()
    build(path, n)
    built = time.perf_counter() - start
    lake = _lake(root, str(root / "bigwh"))
    start = time.perf_counter()
    Publisher(lake, Archive(path), batch_rows=250_000).publish()
    published = time.perf_counter() - start
    rows = [Row(f"lake: {n:,} articles built in SQL, then published", f"{built:.0f} s + {published:.0f} s",
                note=fmt_rate(n / published, "art/s") + " publishing")]
    setup = _median(lambda: lake_connection(lake).close())
    rows.append(Row("lake sql: open (plan files, register tables) (s)", f"{setup * 1000:,.0f} ms"))
    con = lake_connection(lake)
    local = duckdb.connect(str(path), read_only=True)
    for label, sql in QUERIES.items():
        ours = _median(lambda sql=sql: con.execute(sql).fetchall())
        base = _median(lambda sql=sql: local.execute(sql).fetchall())
        rows.append(target_row(f"lake query on {n:,} articles: {label} (s)", f"{ours * 1000:,.0f} ms",
                               f"{base * 1000:,.0f} ms (DuckDB archive)", round(ours, 3), "< 1",
                               values={"lake_s": ours, "duckdb_s": base}))
    con.close()
    local.close()
    return rows


def warc_rows(root: Path, n: int) -> list[Row]:
    caps = captures(n, responses=True, seed=9)

    def ingest(db: Path, warc: bool) -> float:
        archive = Archive(db)
        archive.write(lambda con: None)
        if warc:
            rawstore.configure(db, rawstore.WarcStore(root / "warc"))
        try:
            start = time.perf_counter()
            for i in range(0, n, 200):
                store(archive, [WriteRecord(captures=caps[i:i + 200])])
            return time.perf_counter() - start
        finally:
            rawstore.configure(db, None)

    duck = ingest(root / "raw-duck.duckdb", False)
    warc = ingest(root / "raw-warc.duckdb", True)
    size_duck = os.path.getsize(root / "raw-duck.duckdb")
    size_warc = os.path.getsize(root / "raw-warc.duckdb") + sum(p.stat().st_size for p in (root / "warc").iterdir())
    return [target_row(f"raw responses: {n:,} pages (~40 KB) in WARC files vs in DuckDB (ms/page)",
                       f"{warc / n * 1000:.2f} ms/page", f"{duck / n * 1000:.2f} ms/page (zlib in DuckDB)",
                       round(warc / duck, 2), "", note=f"overhead {(warc - duck) / n * 1000:+.2f} ms/page; "
                       f"bytes {size_warc / 1e6:.0f} MB vs {size_duck / 1e6:.0f} MB",
                       values={"warc_s": warc, "duckdb_s": duck})]


def run(quick: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp:
        root = Path(tmp)
        rows = publish_rows(root, 2_000 if quick else 20_000)
        rows += query_rows(root, 100_000 if quick else 1_000_000)
        rows += warc_rows(root, 300 if quick else 2_000)
    return rows
