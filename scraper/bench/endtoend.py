"""Benchmark 3: end to end, ``scraper poll`` of a synthetic web against a naive baseline.

20 hosts (``127.0.0.2`` ... ``127.0.0.21``), one RSS feed each listing 100 articles (2,000 in all;
``--quick``: 5 each), 50 ms of latency before every response, politeness set to no delay and two
connections per host. Ours is the real command, ``python -m scraper poll --sources S --db D``,
timed from launch to exit (interpreter start, imports and the process pool included) on a new
archive. The naive baseline fetches the feeds, then each article in turn with httpx, extracts it
with ``trafilatura.extract`` and stores it with one autocommitted ``INSERT`` into DuckDB; being
strictly sequential its rate is steady, so it runs on a spread sample of the articles (every
host, round robin) and the whole run's time is extrapolated from it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import httpx
import trafilatura

from scraper.bench.common import Row, fmt_rate, target_row
from scraper.bench.sites import SyntheticWeb, WebSpec, serving

FULL = WebSpec(hosts=20, per_round=100, latency=0.05)
QUICK = WebSpec(hosts=20, per_round=5, latency=0.05)


def run_ours(web: SyntheticWeb, workdir: Path, *, rules: bool = False) -> tuple[float, int, str]:
    """(seconds, articles archived, the command's output); ``rules``: the sources declare their
    body selector (the rules path) instead of leaving extraction to trafilatura."""
    name = "rules" if rules else "generic"
    sources = workdir / f"sources-{name}.yaml"
    sources.write_text(web.sources_yaml(concurrency=2, min_delay=0.0, rules=rules), encoding="utf-8")
    db = workdir / f"ours-{name}.duckdb"
    cmd = [sys.executable, "-m", "scraper", "poll", "--sources", str(sources), "--db", str(db), "--format", "csv"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"scraper poll exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
    finally:
        con.close()
    return seconds, int(row[0]) if row else 0, proc.stdout


def run_naive(web: SyntheticWeb, workdir: Path, sample: int) -> tuple[float, int, float]:
    """(extrapolated seconds for every article, articles in the sample, sample seconds)."""
    con = duckdb.connect(str(workdir / "naive.duckdb"))
    con.execute("CREATE TABLE articles (url VARCHAR PRIMARY KEY, text VARCHAR, fetched_at TIMESTAMP)")
    links_by_host: list[list[str]] = []
    with httpx.Client(timeout=30) as client:
        start = time.perf_counter()
        for url in web.feed_urls():
            root = ET.fromstring(client.get(url).content)
            links_by_host.append([el.text or "" for el in root.iter("link")][1:])  # [0]: the channel's
        feed_seconds = time.perf_counter() - start
        chosen = [links[i] for i in range(max(len(x) for x in links_by_host))
                  for links in links_by_host if i < len(links)][:sample]
        start = time.perf_counter()
        for url in chosen:
            response = client.get(url)
            text = trafilatura.extract(response.text) or ""
            con.execute("INSERT INTO articles VALUES (?, ?, now())", [url, text])
        sample_seconds = time.perf_counter() - start
    con.close()
    total = sum(len(x) for x in links_by_host)
    return feed_seconds + sample_seconds / len(chosen) * total, len(chosen), sample_seconds


def run(quick: bool = False) -> list[Row]:
    spec = QUICK if quick else FULL
    with serving(spec) as web, tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        workdir = Path(tmp)
        total = spec.hosts * spec.per_round
        naive_s, sampled, _ = run_naive(web, workdir, sample=min(total, 40 if quick else 300))
        runs = {rules: run_ours(web, workdir, rules=rules) for rules in (False, True)}
    naive_rate = total / naive_s
    rows = []
    for rules, (ours_s, stored, _) in runs.items():
        ours_rate = total / ours_s
        path = "sources with body rules" if rules else "generic path (trafilatura)"
        rows.append(target_row(
            f"end to end: scraper poll, {total:,} articles / {spec.hosts} hosts, {path} (speed-up)",
            f"{fmt_rate(ours_rate, 'art/s')} ({ours_s:.1f} s)",
            f"{fmt_rate(naive_rate, 'art/s')} ({naive_s:.0f} s est.)",
            ours_rate / naive_rate, ">= 10",
            note=(f"{int(spec.latency * 1000)} ms latency per response, politeness 0 delay x 2 connections/host; "
                  f"ours archived {stored}/{total} (wall time of the command incl. start-up); "
                  f"naive: sequential httpx + trafilatura + 1 INSERT/article, timed on {sampled} articles "
                  "and extrapolated"),
            values={"articles": total, "ours_s": ours_s, "stored": stored, "naive_s_est": naive_s,
                    "naive_sample": sampled, "rules": rules},
        ))
    return rows
