"""Benchmark 4b: the search index on the archive benchmark's 1,000,000-article archive.

Run by ``archive`` (on its big archive, beside its ``ILIKE`` figure):

- indexing rate: ``scraper search --reindex`` of the whole archive (``SearchIndex.reindex``:
  short archive reads, per-language analysis, stored text for snippets, one commit);
- query latency: 40 queries (single words, two required words, phrases taken from the texts,
  ``OR``, and words with a source filter), top 20 with snippets, each run 3 times after one
  warm-up pass on a searcher kept open (as ``scraper serve`` keeps it); p50 and p95 of all runs,
  against the ``ILIKE '%word word%'`` median of the same archive;
- catch-up: 1,000 articles stored into the big archive, then the catch-up that indexes them.

The archive's texts are drawn from a 614-word vocabulary, so every word is in a large share of
the articles: a worst case for an inverted index (real news has a long tail of rare words).
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from scraper.archive import Archive
from scraper.archive.record import WriteRecord, store
from scraper.bench.common import Row, fmt_rate, target_row
from scraper.bench.sites import VOCABULARY
from scraper.search import Filters, SearchIndex, search

QUERIES = 40
RUNS = 3


def queries(archive: Archive, seed: int = 7) -> list[tuple[str, Filters]]:
    rng = random.Random(seed)
    words = [w for w in VOCABULARY if len(w) > 3]
    sample = archive.read(lambda con: con.execute(
        "SELECT text FROM articles USING SAMPLE 10 ROWS").fetchall())
    texts = [t for (t,) in sample if t]
    out: list[tuple[str, Filters]] = []
    for _ in range(10):
        out.append((rng.choice(words), Filters()))
    for _ in range(10):
        out.append((f"{rng.choice(words)} {rng.choice(words)}", Filters()))
    for _ in range(10):
        tokens = rng.choice(texts).replace(".", " ").split()
        i = rng.randrange(0, max(1, len(tokens) - 2))
        out.append(('"' + " ".join(tokens[i:i + 2]) + '"', Filters()))
    for _ in range(5):
        out.append((f"{rng.choice(words)} OR {rng.choice(words)}", Filters()))
    for _ in range(QUERIES - len(out)):
        out.append((rng.choice(words), Filters(source=f"site{rng.randrange(50)}")))
    return out


def run_on(big: Path, n_archive: int, rows_so_far: list[Row]) -> list[Row]:
    """The search figures for the archive at ``big`` (``n_archive`` articles)."""
    from scraper.bench.archive import BATCH, captures

    rows: list[Row] = []
    archive = Archive(big)
    index = SearchIndex.for_archive(big)
    start = time.perf_counter()
    indexed = index.reindex(archive)
    build_s = time.perf_counter() - start
    size_mb = sum(f.stat().st_size for f in index.directory.rglob("*") if f.is_file()) / 1e6
    rows.append(Row(f"search index: reindex of {indexed:,} articles (articles/s)",
                    fmt_rate(indexed / build_s, "art/s"), f"{build_s:.0f} s", None, "", None,
                    note=f"index {size_mb:,.0f} MB on disk (text stored for snippets)",
                    values={"rate": indexed / build_s, "seconds": build_s, "mb": size_mb}))

    qs = queries(archive)
    for text, filters in qs:  # warm-up: the searcher and the pages it reads
        search(index, text, filters)
    times: list[float] = []
    for _ in range(RUNS):
        for text, filters in qs:
            t = time.perf_counter()
            search(index, text, filters)
            times.append(time.perf_counter() - t)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    ilike = next((r.values or {}).get("median_s") for r in rows_so_far if "ILIKE" in r.benchmark)
    rows.append(target_row(
        f"search on {n_archive:,} articles: p95 of {len(qs)} queries, top 20 + snippets (s)",
        f"p95 {p95 * 1000:.0f} ms (p50 {p50 * 1000:.0f} ms)",
        f"ILIKE {ilike * 1000:.0f} ms" if ilike else "", p95, "< 0.05",
        note=f"{len(qs)} queries x {RUNS} runs: words, 2 words, phrases, OR, with a source filter; "
             "ratio column = p95 in seconds",
        values={"p50_s": p50, "p95_s": p95, "ilike_s": ilike},
    ))

    caps = captures(BATCH, responses=False, seed=5, offset=n_archive + 100_000)
    store(archive, [WriteRecord(captures=caps)])
    start = time.perf_counter()
    result = index.catch_up(archive, wait=60)
    catch_s = time.perf_counter() - start
    rows.append(Row(f"  search catch-up after {BATCH:,} articles stored", f"{catch_s:.2f} s",
                    "", None, "", None, values={"seconds": catch_s, "indexed": result.indexed}))
    return rows
