"""`scraper discover` on a fixture site: feeds from <link rel=alternate>, sitemaps from robots.txt,
a guessed article pattern, and an entry that loads and matches the site's articles."""

from __future__ import annotations

from click.testing import CliRunner

from scraper.cli import cli
from scraper.sources.config import load_sources_text
from scraper.sources.registry import match_source

LEDGER_ARTICLE = "/dailyledger/2024/06/12/city-council-approves-light-rail-expansion/"


def test_discover_prints_a_ready_entry_for_a_fixture_site(fixture_web) -> None:
    res = CliRunner().invoke(cli, ["discover", "--allow-private", fixture_web.url("/dailyledger/")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    sources = load_sources_text(res.stdout)
    (source,) = list(sources)
    assert [f.url for f in source.feeds] == [fixture_web.url("/dailyledger/feed.atom")]
    assert [s.url for s in source.sitemaps] == [fixture_web.url("/sitemap-index.xml")]
    assert source.language == "en"
    assert match_source(fixture_web.url(LEDGER_ARTICLE), sources) is source
    assert match_source(fixture_web.url("/dailyledger/"), sources) is None


def test_discover_refuses_a_bad_url() -> None:
    res = CliRunner().invoke(cli, ["discover", "ftp://example.com/"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error:")
