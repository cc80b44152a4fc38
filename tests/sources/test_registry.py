from __future__ import annotations

from pathlib import Path

import pytest

from scraper.discover.feeds import parse_feed
from scraper.sources.config import load_sources, load_sources_text
from scraper.sources.plugins.base import SourcePlugin, SourcePluginProtocol
from scraper.sources.plugins.developpez import DeveloppezSource
from scraper.sources.registry import PLUGINS, article_key, candidate_entries, get_plugin, match_source

ROOT = Path(__file__).resolve().parents[2]
FEEDS = ROOT / "tests" / "fixtures" / "feeds"

SOURCES = load_sources_text(
    """\
sources:
  - name: developpez
    domains: [developpez.com]
    article_url: {include: ['^https?://[a-z0-9-]+\\.developpez\\.com/actu/\\d+/']}
    article_id: '/actu/(\\d+)/'
    plugin: developpez
  - name: dvp-securite
    domains: [securite.developpez.com]
    article_url: {include: ['/actu/\\d+/'], exclude: ['/actu/1/']}
  - name: news
    domains: [news.example.org, example.org]
    article_url: {exclude: ['/live/']}
  - name: news-shadow
    domains: [example.org]
    enabled: false
""",
    "test.yaml",
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.developpez.com/actu/363891/La-Poste/", "developpez"),
        ("https://securite.developpez.com/actu/309772/x/", "dvp-securite"),  # longest domain wins
        ("https://SECURITE.Developpez.com./actu/309772/x/", "dvp-securite"),
        ("https://securite.developpez.com/actu/1/x/", "developpez"),  # excluded there, falls back
        ("https://www.developpez.com/tutoriels/x/", None),  # not an article
        ("https://notdeveloppez.com/actu/1/", None),  # suffix must be a whole label
        ("https://a.news.example.org/2024/x", "news"),
        ("https://example.org/2024/x", "news"),  # same domain length: file order
        ("https://example.org/live/x", "news-shadow"),
        ("ftp://www.developpez.com/actu/1/", None),
        ("not a url", None),
        ("http://[::1/", None),
    ],
)
def test_match_source(url: str, expected: str | None) -> None:
    found = match_source(url, SOURCES)
    assert (found.name if found else None) == expected


def test_match_source_domain_only() -> None:
    found = match_source("https://www.developpez.com/tutoriels/x/", SOURCES, articles_only=False)
    assert found is not None and found.name == "developpez"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.developpez.com/actu/363891/La-Poste/", "developpez:363891"),
        ("https://javascript.developpez.com/actu/384649/x/", "developpez:384649"),
        ("https://www.developpez.com/actu/384649", "developpez:384649"),
        ("https://www.developpez.com/tutoriels/384649/", None),
    ],
)
def test_article_key_developpez(url: str, key: str | None) -> None:
    assert article_key(SOURCES.get("developpez"), url) == key


def test_article_key_from_yaml_pattern_without_plugin() -> None:
    s = load_sources_text("sources:\n  - {name: ex, domains: [ex.com], article_id: '-(\\d+)\\.html$'}\n").get("ex")
    assert article_key(s, "https://ex.com/a/some-title-12345.html") == "ex:12345"
    assert article_key(s, "https://ex.com/a/") is None
    assert article_key(SOURCES.get("news"), "https://example.org/1") is None


def test_plugins_registered_by_name() -> None:
    assert PLUGINS["developpez"] is DeveloppezSource
    plugin = get_plugin("developpez")
    assert isinstance(plugin, SourcePluginProtocol) and isinstance(plugin, SourcePlugin)
    assert get_plugin("developpez") is plugin


def test_developpez_fix_feed_title() -> None:
    assert DeveloppezSource().fix_feed_title("Python 3.13~? JIT~? GIL") == "Python 3.13, JIT, GIL"


def test_developpez_candidate_entries_fix_titles_and_skip_books() -> None:
    feed = parse_feed((FEEDS / "developpez-rss20-iso-8859-1.xml").read_bytes(), "https://www.developpez.com/index/rss")
    assert len(feed.entries) == 3
    entries = candidate_entries(load_sources(ROOT / "sources.yaml").get("developpez"), feed)
    assert [e.title for e in entries] == [
        "La Poste victime d’une cyberattaque DDoS, les services en ligne perturbés",
        "Python 3.13, JIT et GIL optionnel",
    ]
    assert all("/actu/" in (e.link or "") for e in entries)


def test_source_rules_go_through_plugin() -> None:
    dev = load_sources(ROOT / "sources.yaml").get("developpez")
    assert dev.rules() == dev.declared_rules()
