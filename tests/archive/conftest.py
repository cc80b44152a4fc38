from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scraper.archive import Archive
from scraper.models import Article, Capture, FetchResult

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

MakeCapture = Callable[..., Capture]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive" / "news.duckdb"


@pytest.fixture
def archive(db_path: Path) -> Archive:
    return Archive(db_path, lock_timeout=5.0)


@pytest.fixture
def make_capture() -> MakeCapture:
    counter = iter(range(1, 10_000))

    def make(
        text: str = "Le texte de l’article.",
        *,
        url: str = "https://news.test/a/1?utm_source=feed",
        canonical_url: str | None = "https://news.test/a/1",
        access: str = "full",
        title: str = "Un titre",
        key: str | None = None,
        source: str | None = "news",
        body: bytes | None = b"<html><p>body</p></html>",
        minutes: int | None = None,
    ) -> Capture:
        at = T0 + timedelta(minutes=next(counter) if minutes is None else minutes)
        response = None
        if body is not None:
            response = FetchResult(
                url=url,
                final_url=canonical_url or url,
                status=200,
                headers=(("content-type", "text/html; charset=utf-8"), ("set-cookie", "sid=1")),
                content=body,
                fetched_at=at,
                elapsed_ms=12.5,
            )
        article = Article(
            text=text,
            title=title,
            authors=("Ada", "Bob"),
            published_at="2026-03-01T09:30:00+01:00",
            language="fr",
            tags=("ia",),
            canonical_url=canonical_url,
            word_count=len(text.split()),
            access=access,  # type: ignore[arg-type]
            paywall_signals=("notice:meaning",) if access != "full" else (),
            paywall_notice="Il vous reste 57% de cet article à lire" if access != "full" else None,
            extractor="trafilatura",
            rules_version="1",
            encoding="utf-8",
        )
        return Capture(
            url=url,
            article=article,
            fetched_at=at,
            source=source,
            response=response,
            article_key=key,
        )

    return make


@pytest.fixture
def count(archive: Archive) -> Callable[[str], int]:
    """Rows in a table of the test archive."""

    def rows(table: str) -> int:
        row = archive.read(lambda con: con.execute(f"SELECT count(*) FROM {table}").fetchone())
        assert row is not None
        return int(row[0])

    return rows
