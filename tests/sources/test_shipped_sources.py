"""The real sources shipped in sources.yaml extract their fixtures as a reader would.

Fixtures live in tests/fixtures/sources/<source>/ (pages with a .meta.json, a feed or sitemap);
expected values in tests/fixtures/sources/expected.json, recomputed and diffed by
tests/fixtures/sources/regenerate.py. docs/sources.md says where each fixture comes from.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
SOURCES_YAML = ROOT / "sources.yaml"


def _load_regenerate() -> Any:
    spec = importlib.util.spec_from_file_location("sources_regenerate", FIXTURES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


regen = _load_regenerate()
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))

# Sources whose wall is drawn client-side: a cookie-less fetch gets the whole text, so no
# truncated page exists to capture (docs/sources.md, "Paywall behaviour").
METERED = {"washingtonpost", "nytimes", "thenation", "elpais", "eldiario", "corriere"}


def _source_dirs() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_"))


ARTICLES = [
    pytest.param(name, page.name, id=f"{name}/{page.stem}")
    for name in _source_dirs()
    for page in regen.article_fixtures(FIXTURES / name)
]
FEEDS = [
    pytest.param(name, path.name, id=f"{name}/{path.name}")
    for name in _source_dirs()
    for path in regen.feed_fixtures(FIXTURES / name)
]


@pytest.fixture(scope="module")
def sources() -> Any:
    from scraper.sources.config import load_sources

    return load_sources(SOURCES_YAML)


def _expected(source: Any, fixture: str) -> dict[str, Any]:
    versions = EXPECTED.get(source.name, {}).get(fixture)
    assert versions, f"no expected values for {source.name}/{fixture}: run regenerate.py"
    assert source.rules_version in versions, (
        f"{source.name}/{fixture}: no expected values for rules_version {source.rules_version!r}"
    )
    return versions[source.rules_version]


# --------------------------------------------------------------------------- the catalogue


def test_at_least_ten_publishers_in_four_languages(sources: Any) -> None:
    shipped = [s for s in sources if s.name != "developpez" and (FIXTURES / s.name).is_dir()]
    assert len(shipped) >= 10
    assert len({(s.language or "").split("-")[0] for s in shipped}) >= 4


def test_every_source_has_fixtures_and_expected_values(sources: Any) -> None:
    for source in sources:
        if source.allow_private:  # loopback test sources are not publishers
            continue
        folder = FIXTURES / source.name
        assert folder.is_dir(), f"{source.name}: no fixtures in {folder}"
        pages = regen.article_fixtures(folder)
        assert pages, f"{source.name}: no article fixture"
        assert regen.feed_fixtures(folder), f"{source.name}: no feed or sitemap fixture"
        for page in pages:
            assert page.name in EXPECTED.get(source.name, {}), f"{source.name}/{page.name}: not in expected.json"


def test_paywalled_sources_have_a_truncated_fixture(sources: Any) -> None:
    for source in sources:
        has_rules = source.paywall.notices or source.paywall.boxes or source.paywall.paid_url_patterns
        if not has_rules or source.name in METERED or not (FIXTURES / source.name).is_dir():
            continue
        accesses = {
            version.get("access")
            for versions in EXPECTED.get(source.name, {}).values()
            for version in versions.values()
        }
        # a teaser counts whether the engine calls it truncated or (at most a lede) locked
        assert accesses & {"truncated", "locked"}, f"{source.name} has paywall rules but no truncated fixture"


def test_expected_json_is_sorted_and_has_no_empty_values() -> None:
    text = (FIXTURES / "expected.json").read_text(encoding="utf-8")
    assert text == regen.dump(json.loads(text))

    def walk(value: Any, where: str) -> None:
        assert value not in (None, "", [], {}), f"empty value at {where}"
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")

    walk(EXPECTED, "expected")


# --------------------------------------------------------------------------- articles


@pytest.mark.parametrize(("name", "fixture"), ARTICLES)
def test_fixture_url_matches_its_source(sources: Any, name: str, fixture: str) -> None:
    from scraper.sources.registry import match_source

    meta = regen.read_meta(FIXTURES / name / fixture)
    source = match_source(meta["url"], sources)
    assert source is not None and source.name == name


@pytest.mark.parametrize(("name", "fixture"), ARTICLES)
def test_article_fixture_extracts_as_expected(sources: Any, name: str, fixture: str) -> None:
    source = sources.get(name)
    expected = _expected(source, fixture)
    got = regen.article_values(source, FIXTURES / name / fixture)
    for key in ("title", "first_sentence", "last_sentence", "access", "paywall_declared", "extractor"):
        assert got.get(key) == expected.get(key), f"{name}/{fixture}: {key}"


# --------------------------------------------------------------------------- feeds and sitemaps


@pytest.mark.parametrize(("name", "fixture"), FEEDS)
def test_feed_fixture_lists_the_articles(sources: Any, name: str, fixture: str) -> None:
    source = sources.get(name)
    expected = _expected(source, fixture)
    got = regen.feed_values(source, FIXTURES / name / fixture)
    assert got == expected
    pages = {regen.read_meta(p)["url"] for p in regen.article_fixtures(FIXTURES / name)}
    assert pages & set(got["articles"]), f"{name}/{fixture}: no entry points at an article fixture"


# --------------------------------------------------------------------------- end to end


def test_fetch_and_extract_a_shipped_source_through_the_fixture_web(sources: Any, fixture_web: Any) -> None:
    """Le Monde's truncated page served over HTTP with its recorded Content-Type, fetched by
    the project's fetch layer, then extracted with the rules of the source its public URL matches."""
    from scraper.extract.article import extract_article
    from scraper.net.client import make_client
    from scraper.net.fetch import fetch
    from scraper.settings import Settings
    from scraper.sources.registry import match_source

    page = FIXTURES / "lemonde" / "sophie-binet-macron-cgt_2023-09-01.html"
    meta = regen.read_meta(page)
    source = match_source(meta["url"], sources)
    assert source is not None and source.name == "lemonde"
    url = fixture_web.put(
        "shipped-sources/lemonde/sophie-binet.html",
        page.read_bytes(),
        content_type=meta["headers"]["content-type"],
    )
    settings = Settings(allow_private=True)
    with make_client(settings) as client:
        result = fetch(client, url, settings, source=source.name)
    assert result.status == 200
    assert result.content == page.read_bytes()
    article = extract_article(result.content, meta["url"], result.content_type, rules=source.rules())
    expected = _expected(source, page.name)
    said = regen.sentences(article.text)
    assert article.title == expected["title"]
    assert said[0] == expected["first_sentence"]
    assert said[-1] == expected["last_sentence"]
    assert article.access == expected["access"]
