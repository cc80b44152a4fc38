"""Benchmark 2: source rules against the generic path on pages of sources with body rules.

Pages: every shipped source's fixture pages (``tests/fixtures/sources/<source>/*.html`` with
their ``.meta.json``), the fixture web's Developpez articles, and the corpus pages whose URL
matches a shipped source. Each page is extracted with ``rules=source.rules()`` and with
``rules=None``, alternating the order page by page; the ratio is generic time / rules time.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from scraper.bench.common import Row, corpus_pages, target_row
from scraper.errors import ScraperError
from scraper.extract.article import extract_article
from scraper.models import SourceRules
from scraper.sources import load_sources, match_source

ROOT = Path(__file__).resolve().parents[2]
SOURCES_YAML = ROOT / "sources.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
FIXTURE_WEB = ROOT / "scraper" / "fixtureweb" / "sites"


@dataclass(frozen=True)
class RulePage:
    name: str
    url: str | None
    content_type: str | None
    html: bytes
    rules: SourceRules


def rule_pages(quick: bool = False) -> list[RulePage]:
    sources = load_sources(SOURCES_YAML)
    by_name = {s.name: s for s in sources}
    pages: list[RulePage] = []

    def add(name: str, url: str | None, ctype: str | None, html: bytes, source_name: str | None) -> None:
        source = by_name.get(source_name) if source_name else (match_source(url, sources) if url else None)
        if source is None:
            return
        rules = source.rules()
        if rules.body:
            pages.append(RulePage(name, url, ctype, html, rules))

    for html_path in sorted(FIXTURES.glob("*/*.html")):
        meta_path = html_path.with_suffix(".meta.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        headers = {k.lower(): v for k, v in (meta.get("headers") or {}).items()}
        add(html_path.parent.name + "/" + html_path.name, meta.get("url"), headers.get("content-type"),
            html_path.read_bytes(), html_path.parent.name)
    for html_path in sorted((FIXTURE_WEB / "developpez" / "actu").glob("*/*/index.html")):
        article_id = html_path.parent.parent.name
        add(f"fixtureweb/developpez/{article_id}", f"https://www.developpez.com/actu/{article_id}/{html_path.parent.name}/",
            "text/html; charset=iso-8859-1", html_path.read_bytes(), "developpez")
    if not quick:
        for page in corpus_pages():
            if page.url:
                add(f"{page.corpus}/{page.id}", page.url, None, page.html, None)
    return pages


def _time(page: RulePage, rules: SourceRules | None) -> tuple[float, str]:
    start = time.perf_counter()
    article = extract_article(page.html, page.url, page.content_type, rules=rules)
    return time.perf_counter() - start, article.extractor


def run(quick: bool = False) -> list[Row]:
    pages = []
    for page in rule_pages(quick):
        try:
            extract_article(page.html, page.url, page.content_type, rules=page.rules)  # warm
            pages.append(page)
        except ScraperError:
            continue
    rounds = 3
    ruled = [0.0] * len(pages)
    generic = [0.0] * len(pages)
    hit = [False] * len(pages)
    for r in range(rounds):
        for i, page in enumerate(pages):
            order = (page.rules, None) if (i + r) % 2 else (None, page.rules)
            for rules in order:
                seconds, extractor = _time(page, rules)
                if rules is None:
                    generic[i] += seconds
                else:
                    ruled[i] += seconds
                    hit[i] = extractor.startswith("rules:")
    n = len(pages) * rounds
    sources = sorted({p.rules.name for p in pages})
    hits = [i for i in range(len(pages)) if hit[i]]
    hit_rules, hit_generic = sum(ruled[i] for i in hits), sum(generic[i] for i in hits)
    misses = sorted({pages[i].name for i in range(len(pages)) if not hit[i]})
    return [
        target_row(
            "rules vs generic path, all pages of ruled sources (speed-up)",
            f"{sum(ruled) / n * 1000:.1f} ms/page", f"{sum(generic) / n * 1000:.1f} ms/page",
            sum(generic) / sum(ruled) if sum(ruled) else None, ">= 5",
            note=(f"{len(pages)} pages of {len(sources)} sources ({', '.join(sources)}); "
                  f"{len(hits)} took the rules path, {len(misses)} fell back to trafilatura"
                  + (f" ({', '.join(misses[:6])}{'...' if len(misses) > 6 else ''})" if misses else "")),
            values={"pages": len(pages), "rules_s": sum(ruled), "generic_s": sum(generic), "hits": len(hits)},
        ),
        target_row(
            "  same, pages where the rules matched (speed-up)",
            f"{hit_rules / max(1, len(hits) * rounds) * 1000:.1f} ms/page",
            f"{hit_generic / max(1, len(hits) * rounds) * 1000:.1f} ms/page",
            hit_generic / hit_rules if hit_rules else None, ">= 5",
            values={"pages": len(hits), "rules_s": hit_rules, "generic_s": hit_generic},
        ),
    ]
