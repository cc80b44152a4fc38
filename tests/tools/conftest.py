"""An archive built from the fixture web's pages, stored through the library (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scraper.archive import Archive, store_captures
from scraper.cli import cli
from scraper.models import Capture, FetchResult
from scraper.pipeline import capture_page
from scraper.sources.config import SourceSet, load_sources

SITES = Path(__file__).resolve().parents[2] / "scraper" / "fixtureweb" / "sites"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

SOURCES_YAML = """
sources:
  - name: developpez
    domains: [developpez.com]
    language: fr
    article_url:
      include: ['^https?://[a-z0-9-]+\\.developpez\\.com/actu/\\d+/']
    article_id: '/actu/(\\d+)/'
    extraction:
      body: ['div[itemprop=articleBody]', 'div.content']
      authors: ['[itemprop=creator]']
    paywall:
      notices: ['La fin de cet article est réservée aux abonnés']
    plugin: developpez
    rules_version: "1"
  - name: dailyledger
    domains: [dailyledger.test]
    language: en
    rules_version: "1"
"""

# (site path under SITES, public URL, source)
PAGES: tuple[tuple[str, str], ...] = (
    ("developpez/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai-les-entreprises-s-inquietent-de-l-usage-des-chatbots-par-leurs-employes",
     "https://www.developpez.com/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai-les-entreprises-s-inquietent-de-l-usage-des-chatbots-par-leurs-employes/"),
    ("developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-et-un-compilateur-jit",
     "https://www.developpez.com/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-et-un-compilateur-jit/"),
    ("developpez/actu/363950/firefox-imposera-la-signature-de-toutes-les-extensions-y-compris-en-entreprise",
     "https://www.developpez.com/actu/363950/firefox-imposera-la-signature-de-toutes-les-extensions-y-compris-en-entreprise/"),
    ("dailyledger/2024/06/13/grocery-chains-margins-investigation",
     "https://dailyledger.test/dailyledger/2024/06/13/grocery-chains-margins-investigation/"),
    ("dailyledger/2024/06/12/city-council-approves-light-rail-expansion",
     "https://dailyledger.test/dailyledger/2024/06/12/city-council-approves-light-rail-expansion/"),
)  # fmt: skip


def write_sources(path: Path, text: str = SOURCES_YAML) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def fetch_result(site_path: str, url: str, at: datetime) -> FetchResult:
    """The fixture page as the fetcher would have returned it: raw bytes, received headers."""
    page = SITES / site_path / "index.html"
    meta = json.loads((SITES / site_path / "index.html.headers.json").read_text("utf-8"))
    headers = tuple((k.lower(), v) for k, v in meta.get("headers", {}).items())
    headers += (("content-encoding", "gzip"), ("content-length", "123"), ("set-cookie", "sid=1"))
    return FetchResult(url=url, final_url=url, status=int(meta.get("status", 200)),
                       headers=headers, content=page.read_bytes(), fetched_at=at,
                       elapsed_ms=10.0)


def captures(sources: SourceSet, start: datetime = T0) -> list[Capture]:
    out = []
    for i, (site_path, url) in enumerate(PAGES):
        result = fetch_result(site_path, url, start + timedelta(hours=i))
        out.append(capture_page(url, result, _source(sources, url)))
    return out


def _source(sources: SourceSet, url: str):  # type: ignore[no-untyped-def]
    from scraper.sources.registry import match_source

    return match_source(url, sources)


@pytest.fixture
def sources_path(tmp_path: Path) -> Path:
    return write_sources(tmp_path / "sources.yaml")


@pytest.fixture
def sources(sources_path: Path) -> SourceSet:
    return load_sources(sources_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive" / "news.duckdb"


@pytest.fixture
def archive(db_path: Path, sources: SourceSet) -> Archive:
    """An archive holding the five fixture pages."""
    arc = Archive(db_path, lock_timeout=5.0)
    caps = captures(sources)
    arc.write(lambda con: store_captures(con, caps))
    return arc


@pytest.fixture
def run(db_path: Path, sources_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``scraper ARGS`` through CliRunner, against the test archive and sources."""
    monkeypatch.setenv("SCRAPER_DB", str(db_path))
    monkeypatch.setenv("SCRAPER_SOURCES", str(sources_path))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def query(archive: Archive, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    return archive.read(lambda con: con.execute(sql, params or []).fetchall())
