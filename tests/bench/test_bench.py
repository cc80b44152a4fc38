"""Smoke tests of the benchmark suite: the table is printed and the ratios computed. No timing
is asserted (the machines are shared and noisy)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scraper.bench import common, extraction
from scraper.bench.__main__ import main
from scraper.bench.common import Row, check, render_table
from scraper.bench.memory import slope
from scraper.bench.sites import WebSpec, serving


@pytest.mark.parametrize(
    ("value", "target", "met"),
    [(1.1, "<= 1.15", True), (1.2, "<= 1.15", False), (5.0, ">= 5", True), (0.4, "< 1", True),
     (1.0, "< 1", False), (12000.0, ">= 10000", True), (None, ">= 5", None), (3.0, "", None)],
)
def test_check_reads_the_target(value: float | None, target: str, met: bool | None) -> None:
    assert check(value, target) is met


def test_table_has_a_line_per_row_with_ratio_and_verdict() -> None:
    rows = [Row("a", "1 ms", "2 ms", 0.5, "<= 1.15", True), Row("b", "9", "", None, "", None, note="n")]
    lines = render_table(rows).splitlines()
    assert lines[0].split() == ["benchmark", "ours", "baseline", "ratio", "target", "met?"]
    assert "0.50" in lines[2] and lines[2].rstrip().endswith("yes")
    assert lines[3].rstrip().endswith("-") and lines[-1] == "- b: n"


def test_slope_of_a_line() -> None:
    assert slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert slope([(0, 7.0)]) == 0.0


@pytest.mark.skipif(not common.CORPORA.is_dir(), reason="../shared/corpora is not checked out")
def test_quick_run_prints_the_table_and_computes_the_ratios(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(extraction, "QUICK_PAGES", 4)  # a handful of pages
    out = tmp_path / "bench.json"
    assert main(["--quick", "--only", "extraction,rules", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "benchmark" in printed and "met?" in printed
    for name in ("ours vs trafilatura", "cores", "stage paywall", "rules vs generic"):
        assert name in printed
    data = json.loads(out.read_text())
    assert data["quick"] is True and data["machine"]["cores"] >= 1
    rows = {r["benchmark"]: r for r in data["rows"]}
    targeted = [r for r in rows.values() if r["target"]]
    assert len(targeted) == 4  # 1 core, all cores, rules on all pages, rules where they matched
    assert all(r["ratio"] > 0 and r["met"] in (True, False) for r in targeted)
    shares = [r["ratio"] for name, r in rows.items() if "stage" in name]
    assert sum(shares) == pytest.approx(1.0)


def test_unknown_benchmark_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--only", "nope"])
    assert exc.value.code == 2
    assert "unknown benchmark nope" in capsys.readouterr().err


def test_synthetic_web_serves_a_feed_and_its_articles() -> None:
    with serving(WebSpec(hosts=2, per_round=3, latency=0.0)) as web:
        assert len({h.split(":")[0] for h in web.hosts}) == 2  # distinct hosts
        feed = httpx.get(web.feed_urls()[1])
        assert feed.status_code == 200 and feed.text.count("<item>") == 3
        urls = list(web.article_urls())
        page = httpx.get(urls[0])
        assert page.status_code == 200 and 25_000 < len(page.content) < 90_000
        assert httpx.get(urls[0]).content == page.content  # deterministic
        web.advance()
        assert httpx.get(web.feed_urls()[0]).text.count("<item>") == 3
        assert "/news/6/" in httpx.get(web.feed_urls()[0]).text
