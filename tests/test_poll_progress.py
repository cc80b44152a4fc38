"""A foreground poll reports progress per source (what `scraper poll` draws as bars), and the
plugin hook runs on articles extracted in worker processes too."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.archive import Archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.sources import render_sources
from scraper.models import Article
from scraper.poll import PollContext, PollOptions, poll_all
from scraper.settings import Settings
from scraper.sources.config import load_sources_text
from scraper.sources.plugins.developpez import DeveloppezSource
from scraper.sources.registry import PLUGINS, register_plugin


class Recorder:
    def __init__(self) -> None:
        self.totals: dict[str, int | None] = {}
        self.done: dict[str, int] = defaultdict(int)

    def start(self, name: str, total: int | None = None) -> None:
        self.totals[name] = total

    def advance(self, name: str, step: int = 1) -> None:
        self.done[name] += step

    def total(self, name: str, total: int | None) -> None:
        self.totals[name] = total


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        w.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\nCrawl-delay: 0\n")
        yield w


@pytest.mark.parametrize("process_threshold", [1_000, 1])  # extraction in threads, then in processes
def test_poll_reports_progress_and_runs_the_plugin_hook(web: FixtureWeb, tmp_path: Path,
                                                        process_threshold: int) -> None:
    @register_plugin
    class Marked(DeveloppezSource):
        name = "developpez"

        def postprocess(self, article: Article) -> Article:
            return dataclasses.replace(article, section="marked")

    try:
        db = tmp_path / "a.duckdb"
        recorder = Recorder()
        srcs = load_sources_text(render_sources(web.base_url))
        with PollContext(Settings(db=db), Archive(db),
                         options=PollOptions(force=True, process_threshold=process_threshold),
                         progress=recorder) as ctx:
            poll_all(srcs, ctx)
        # dailyledger lists 3 URLs, one of them disallowed by robots.txt: handled, not archived
        assert recorder.totals == {"developpez": 3, "dailyledger": 3}
        assert dict(recorder.done) == recorder.totals
        sections = Archive(db).read(lambda con: con.execute(
            "SELECT source, list(DISTINCT section) FROM articles GROUP BY 1 ORDER BY 1").fetchall())
        assert dict(sections)["developpez"] == ["marked"]
        assert dict(sections)["dailyledger"] != ["marked"]
    finally:
        PLUGINS["developpez"] = DeveloppezSource
        from scraper.sources import registry
        registry._INSTANCES.pop("developpez", None)
