"""A plugin's postprocess hook runs on every article captured for its source."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from scraper.models import Article, FetchResult
from scraper.pipeline import capture_page
from scraper.sources.config import load_sources_text
from scraper.sources.plugins.base import SourcePlugin
from scraper.sources.registry import PLUGINS, register_plugin

PAGE = (b"<html><head><title>Old title</title></head><body><article><p>"
        + b"Some words of a short story about a plugin. " * 30 + b"</p></article></body></html>")


def test_postprocess_hook_runs_in_the_pipeline() -> None:
    @register_plugin
    class Upper(SourcePlugin):
        name = "test-upper"

        def postprocess(self, article: Article) -> Article:
            return dataclasses.replace(article, title=(article.title or "").upper())

    try:
        sources = load_sources_text(
            "sources:\n  - name: up\n    domains: [example.org]\n    plugin: test-upper\n")
        source = sources.get("up")
        result = FetchResult(url="https://example.org/a", final_url="https://example.org/a", status=200,
                             headers=(("content-type", "text/html; charset=utf-8"),), content=PAGE,
                             fetched_at=datetime.now(timezone.utc), elapsed_ms=1.0)
        capture = capture_page("https://example.org/a", result, source)
        assert capture.article.title == "OLD TITLE"
        assert capture.source == "up"
    finally:
        PLUGINS.pop("test-upper", None)


def test_rules_stop_applying_after_valid_until() -> None:
    sources = load_sources_text(
        "sources:\n  - name: old\n    domains: [example.org]\n    valid_until: 2024-01-31\n"
        "    extraction: {body: ['article']}\n")
    source = sources.get("old")

    def capture(day: datetime) -> Article:
        result = FetchResult(url="https://example.org/a", final_url="https://example.org/a", status=200,
                             headers=(("content-type", "text/html; charset=utf-8"),), content=PAGE,
                             fetched_at=day, elapsed_ms=1.0)
        return capture_page("https://example.org/a", result, source).article

    assert capture(datetime(2024, 1, 31, 23, tzinfo=timezone.utc)).extractor == "rules:old"
    assert capture(datetime(2024, 2, 1, tzinfo=timezone.utc)).extractor != "rules:old"
