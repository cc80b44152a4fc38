"""Benchmark 1: extraction throughput on the real pages of ../shared/corpora.

Our full pipeline (``extract_article(bytes, url)``: decode, parse, metadata, body, paywall) against
plain ``trafilatura.extract(text)`` on the same pages, decoded beforehand (untimed). One process,
each page timed by both, the order alternating page by page so that machine noise hits both
sides alike. Then ours on every core through a process pool, against cores x the one-core rate
just measured. Then where our time goes, stage by stage (the stages called directly).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence

import trafilatura

from scraper.bench.common import CorpusPage, Row, corpus_pages, cores, fmt_rate, target_row
from scraper.decode import decode_html
from scraper.errors import ScraperError
from scraper.extract.article import _final_text, extract_article, sniff_not_html
from scraper.extract.body import extract_body
from scraper.extract.document import MAX_DEPTH, nesting_depth, parse_document
from scraper.extract.metadata import extract_metadata
from scraper.paywall.verdict import assess

QUICK_PAGES = 16
_POOL_PAGES: Sequence[CorpusPage] = ()  # set before the pool forks; workers read it, not pickles


def _ours(page: CorpusPage) -> float:
    start = time.perf_counter()
    extract_article(page.html, page.url, None)
    return time.perf_counter() - start


def _plain(text: str) -> float:
    start = time.perf_counter()
    trafilatura.extract(text)
    return time.perf_counter() - start


def compare(pages: Sequence[CorpusPage]) -> tuple[list[CorpusPage], float, float]:
    """(pages both could handle, our total seconds, plain trafilatura's total seconds)."""
    kept: list[tuple[CorpusPage, str]] = []
    for page in pages:
        try:
            extract_article(page.html, page.url, None)  # also warms caches on both sides
        except ScraperError:
            continue  # not HTML: neither side is timed on it
        kept.append((page, decode_html(page.html).text))
    for page, text in kept[:3]:
        trafilatura.extract(text)
    ours = plain = 0.0
    for i, (page, text) in enumerate(kept):
        if i % 2:
            ours += _ours(page)
            plain += _plain(text)
        else:
            plain += _plain(text)
            ours += _ours(page)
    return [p for p, _ in kept], ours, plain


def _pool_extract(i: int) -> int:
    page = _POOL_PAGES[i]
    return extract_article(page.html, page.url, None).word_count


def pool_rate(pages: Sequence[CorpusPage], workers: int) -> float:
    """Pages per second of ``extract_article`` over ``workers`` forked processes (the articles
    come back pickled, as they would to a writer)."""
    global _POOL_PAGES
    _POOL_PAGES = pages
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_pool_extract, range(min(len(pages), workers * 2)))  # warm the workers
        start = time.perf_counter()
        pool.map(_pool_extract, range(len(pages)), chunksize=2)
        elapsed = time.perf_counter() - start
    _POOL_PAGES = ()
    return len(pages) / elapsed


def _spin(n: int) -> int:
    x = 0
    for i in range(n):
        x ^= i
    return x


def parallel_capacity(workers: int, n: int = 3_000_000) -> float:
    """How many cores' worth of pure CPU ``workers`` processes get right now (ideally
    ``workers``): the same spin loop alone, then in every worker at once. On a shared machine
    this is what the pool can hope for."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pool.map(_spin, [1000] * workers)
        start = time.perf_counter()
        pool.map(_spin, [n])
        alone = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(_spin, [n] * workers, chunksize=1)
        together = time.perf_counter() - start
    return workers * alone / together


STAGES = ("guards", "decode", "parse", "metadata", "body", "paywall", "finish")


def breakdown(pages: Sequence[CorpusPage]) -> dict[str, float]:
    """Seconds spent in each stage over ``pages``, calling the stages the way extract_article does."""
    spent = dict.fromkeys(STAGES, 0.0)
    for page in pages:
        g0 = time.perf_counter()
        sniff_not_html(page.html)  # the checks extract_article makes before decoding
        _ = page.html.count(b"<") >= MAX_DEPTH and nesting_depth(page.html) >= MAX_DEPTH
        t0 = time.perf_counter()
        decoded = decode_html(page.html, None)
        t1 = time.perf_counter()
        doc = parse_document(decoded.text, page.url)
        t2 = time.perf_counter()
        meta = extract_metadata(doc, page.url)
        t3 = time.perf_counter()
        body = extract_body(doc, None)
        t4 = time.perf_counter()
        _, text = assess(doc, body.text, rules=None, description=meta.description, body_node=body.node)
        t5 = time.perf_counter()
        _final_text(text)
        t6 = time.perf_counter()
        for stage, seconds in zip(STAGES, (t0 - g0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            spent[stage] += seconds
    return spent


def run(quick: bool = False) -> list[Row]:
    pages = corpus_pages(QUICK_PAGES if quick else None)
    kept, ours, plain = compare(pages)
    n = len(kept)
    one_core = n / ours
    rows = [
        target_row(
            "extract: ours vs trafilatura, 1 core (time ratio)",
            f"{fmt_rate(one_core)} ({ours / n * 1000:.1f} ms/page)",
            f"{fmt_rate(n / plain)} ({plain / n * 1000:.1f} ms/page)",
            ours / plain, "<= 1.15",
            note=f"{n} corpus pages, interleaved; baseline is trafilatura.extract(str) with defaults",
            values={"pages": n, "ours_s": ours, "plain_s": plain},
        )
    ]
    workers = cores()
    capacity = parallel_capacity(workers)
    rate = pool_rate(kept, workers)
    rows.append(
        target_row(
            f"extract: ours on {workers} cores (pool rate / cores x 1-core rate)",
            fmt_rate(rate), f"{workers} x {fmt_rate(one_core)}", rate / (workers * one_core), ">= 0.85",
            note=(f"a CPU spin loop in {workers} processes at once got {capacity:.2f} cores' worth just "
                  f"before (shared machine); against that capacity the pool reached "
                  f"{rate / (capacity * one_core):.2f}"),
            values={"workers": workers, "pool_rate": rate, "one_core_rate": one_core, "capacity": capacity},
        )
    )
    spent = breakdown(kept)
    total = sum(spent.values())
    for stage in STAGES:
        rows.append(
            Row(f"  stage {stage} (ms/page, share)", f"{spent[stage] / n * 1000:.2f} ms",
                "", spent[stage] / total, "", None, values={"seconds": spent[stage]})
        )
    return rows
