"""Benchmark 5: memory of the poller over a long run, and whether it grows.

A driver process (spawned, so it inherits nothing from the benchmark) keeps one
:class:`~scraper.poll.PollContext` (fetch threads, extraction processes, write buffer) as the
daemon does, and polls all 20 synthetic hosts round after round; before each round every feed
moves forward by 50 new articles (20,000 articles in 20 rounds; ``--quick``: 400). RSS of the
driver and of its children (the extraction workers) is sampled every 0.1 s with psutil and at the
end of each round. Reported: the peak, and the growth over the second half of the run as a slope
of the end-of-round RSS against articles archived (MB per 1,000 articles); then the main
process's own peak against its target (350 MB at 20,000 articles).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from scraper.bench.common import Row, target_row
from scraper.bench.sites import WebSpec, serving

MAIN_TARGET_MB = 350  # the daemon's main process, at 20,000 articles
FULL = (WebSpec(hosts=20, per_round=50, latency=0.005), 20)
QUICK = (WebSpec(hosts=10, per_round=10, latency=0.005), 4)


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(RSS of ``proc``, RSS of ``proc`` and all its descendants), in bytes."""
    own = proc.memory_info().rss
    total = own
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return own, total


def _drive(sources_text: str, db: str, round_value: Any, rounds: int, reports: Any) -> None:
    from scraper.archive import Archive
    from scraper.poll import PollContext, PollOptions, poll_all
    from scraper.settings import Settings
    from scraper.sources.config import load_sources_text

    sources = load_sources_text(sources_text)
    me = psutil.Process()
    stored = 0
    with PollContext(Settings(db=Path(db)), Archive(Path(db)), options=PollOptions(force=True)) as ctx:
        for r in range(rounds):
            with round_value.get_lock():
                round_value.value = r
            summaries = poll_all(sources, ctx)
            stored += sum(s.new for s in summaries)
            own, total = tree_rss(me)
            reports.put((r, stored, own, total, sum(s.errors for s in summaries)))
    reports.put(None)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def run(quick: bool = False) -> list[Row]:
    spec, rounds = QUICK if quick else FULL
    ctx = multiprocessing.get_context("spawn")
    reports = ctx.Queue()
    with serving(spec) as web, tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        driver = ctx.Process(target=_drive, name="bench-poller",
                             args=(web.sources_yaml(), str(Path(tmp) / "mem.duckdb"), web.round_value, rounds, reports))
        start = time.perf_counter()
        driver.start()
        proc = psutil.Process(driver.pid)
        peak_own = peak_total = 0
        ends: list[tuple[int, int, int, int, int]] = []
        while True:
            try:
                own, total = tree_rss(proc)
                peak_own, peak_total = max(peak_own, own), max(peak_total, total)
            except psutil.Error:
                pass
            try:
                item = reports.get(timeout=0.1)
            except Exception:  # queue.Empty
                if not driver.is_alive():
                    break
                continue
            if item is None:
                break
            ends.append(item)
        driver.join(60)
        seconds = time.perf_counter() - start
    if driver.exitcode not in (0, None) or not ends:
        raise RuntimeError(f"the poller exited with {driver.exitcode} after {len(ends)} rounds")
    stored = ends[-1][1]
    half = ends[len(ends) // 2 :]
    mb_per_k_own = slope([(s / 1000, own / 1e6) for _, s, own, _, _ in half])
    mb_per_k_total = slope([(s / 1000, total / 1e6) for _, s, _, total, _ in half])
    # growth over the second half from the fitted slope (end-of-round RSS swings by tens of MB
    # with what the allocator happens to hold; the slope is steadier than first-vs-last)
    growth = mb_per_k_total * (half[-1][1] - half[0][1]) / 1000
    grow_share = growth / (peak_total / 1e6) if peak_total else 0.0
    return [
        target_row(
            f"memory: poller over {stored:,} articles, growth in 2nd half / peak",
            f"peak {peak_total / 1e6:,.0f} MB (main {peak_own / 1e6:,.0f} MB)",
            f"{growth:+.0f} MB fitted over 2nd half", grow_share, "< 0.05",
            note=(f"{rounds} polls x {spec.hosts} hosts x {spec.per_round} new articles, one PollContext, "
                  f"{seconds:.0f} s; 2nd-half slope {mb_per_k_total:+.2f} MB/1k articles "
                  f"(main process {mb_per_k_own:+.2f}); errors {sum(e[4] for e in ends)}"),
            values={"rounds": [list(e) for e in ends], "peak_total": peak_total, "peak_main": peak_own,
                    "slope_total_mb_per_k": mb_per_k_total, "slope_main_mb_per_k": mb_per_k_own,
                    "seconds": seconds},
        ),
        target_row(
            f"memory: poller main process peak RSS over {stored:,} articles (MB)",
            f"{peak_own / 1e6:,.0f} MB", "", peak_own / 1e6, f"<= {MAIN_TARGET_MB}",
            note=("the daemon's own process (fetch threads, collector, archive writer thread, DuckDB), "
                  "without the extraction workers; sampled every 0.1 s"),
            values={"peak_main": peak_own},
        ),
    ]
