"""Archives for the search and web tests: the fixture web's five pages (stored through the
library, no network) plus articles written for the case (stemming, ranking, hostile markup)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scraper.archive import Archive, store_captures
from scraper.cli import cli
from scraper.models import Article, Capture, FetchResult, Signal
from scraper.sources.config import load_sources
from tests.tools.conftest import captures as fixture_captures
from tests.tools.conftest import write_sources

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

HOSTILE_TITLE = ('<script>window.__pwned = "title"; alert("title")</script>'
                 '<img src=x onerror="window.__pwned = \'img\'"> Hostile headline')
HOSTILE_TEXT = (
    'Opening <img src=x onerror="window.__pwned = \'text\'; alert(2)"> paragraph.\n\n'
    '<a href="javascript:window.__pwned = \'link\'">click me</a> and '
    '<svg onload="window.__pwned = \'svg\'"></svg> <iframe src="javascript:alert(3)"></iframe>\n\n'
    '<style>body{display:none}</style><meta http-equiv="refresh" content="0;url=javascript:alert(4)">'
)
HOSTILE_RAW = (b'<!doctype html><html><head><title>x</title>'
               b'<script>window.__pwned = "raw"; alert(5)</script>'
               b'<meta http-equiv="refresh" content="0;url=javascript:alert(6)"></head>'
               b'<body onload="window.__pwned = \'body\'"><p>Hostile raw page</p></body></html>')


def article_capture(url: str, title: str, text: str, *, language: str | None = "fr",
                    source: str = "testsite", access: str = "full", published: datetime | None = None,
                    at: datetime = T0, raw: bytes | None = None, notice: str | None = None,
                    evidence: tuple[Signal, ...] = ()) -> Capture:
    art = Article(
        text=text, title=title, language=language, canonical_url=url, word_count=len(text.split()),
        access=access, published_at=(published or at).isoformat(), paywall_notice=notice,
        paywall_evidence=evidence, paywall_signals=tuple(s.name for s in evidence),
        paywall_confidence=0.9,
    )
    response = None
    if raw is not None:
        response = FetchResult(url=url, final_url=url, status=200,
                               headers=(("content-type", "text/html; charset=utf-8"),),
                               content=raw, fetched_at=at, elapsed_ms=1.0)
    return Capture(url=url, article=art, fetched_at=at, source=source, response=response)


# articles written for the search tests: (url, title, text, language, access, published)
EXTRA = (
    ("https://testsite.example/fr/municipales", "Le calendrier des municipales",
     "Les élections municipales auront lieu en mars. Les candidats préparent leurs listes.",
     "fr", "full", T0 - timedelta(days=30)),
    ("https://testsite.example/fr/maire", "Le nouveau maire",
     "L’élection du maire a eu lieu hier soir au conseil municipal.",
     "fr", "truncated", T0 - timedelta(days=3)),
    ("https://testsite.example/en/turbines", "Turbines, turbines everywhere",
     "Wind turbines. More turbines are planned; turbines dominate the plan for turbines.",
     "en", "full", T0 - timedelta(days=2)),
    ("https://testsite.example/en/harbour", "Harbour works",
     "The harbour works include one new turbine among many other machines and cranes.",
     "en", "full", T0 - timedelta(days=1)),
)


def extra_captures() -> list[Capture]:
    return [article_capture(url, title, text, language=lang, access=access, published=pub,
                            at=T0 + timedelta(hours=10 + i))
            for i, (url, title, text, lang, access, pub) in enumerate(EXTRA)]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive" / "news.duckdb"


@pytest.fixture
def archive(db_path: Path, tmp_path: Path) -> Archive:
    """The five fixture pages and the four written articles."""
    sources = load_sources(write_sources(tmp_path / "sources.yaml"))
    arc = Archive(db_path, lock_timeout=5.0)
    caps = fixture_captures(sources) + extra_captures()
    arc.write(lambda con: store_captures(con, caps))
    return arc


@pytest.fixture
def run(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``scraper ARGS`` through CliRunner, against the test archive."""
    monkeypatch.setenv("SCRAPER_DB", str(db_path))
    monkeypatch.setenv("SCRAPER_SOURCES", str(write_sources(tmp_path / "sources.yaml")))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke
