"""The SQL views of migration 2 (the README's SQL cookbook)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scraper.archive import Archive, store_captures
from scraper.models import Article, Capture
from tests.tools.conftest import query

NOW = datetime.now(UTC).replace(microsecond=0)


def capture(url: str, source: str, published: datetime, *, text: str = "Some words here.",
            access: str = "full", fetched: datetime | None = None) -> Capture:
    article = Article(text=text, title=url.rsplit("/", 1)[-1], canonical_url=url,
                      published_at=published.isoformat(), word_count=len(text.split()),
                      access=access)  # type: ignore[arg-type]
    return Capture(url=url, article=article, fetched_at=fetched or published, source=source)


def store(archive: Archive, *captures: Capture) -> None:
    archive.write(lambda con: store_captures(con, list(captures)))


def test_latest_articles_newest_first(archive: Archive) -> None:
    rows = query(archive, "SELECT title, source FROM latest_articles LIMIT 2")
    assert [r[1] for r in rows] == ["developpez", "developpez"]
    published = [r[0] for r in query(archive, "SELECT published FROM latest_articles")]
    assert published == sorted(published, reverse=True)


def test_truncated_per_source_day(archive: Archive) -> None:
    rows = query(archive, "SELECT source, day, articles, truncated, locked, walled_share "
                          "FROM truncated_per_source_day WHERE source = 'dailyledger' ORDER BY day")
    assert [(r[0], str(r[1]), r[2], r[3], r[4], r[5]) for r in rows] == [
        ("dailyledger", "2024-06-12", 1, 0, 0, 0.0),
        ("dailyledger", "2024-06-13", 1, 1, 0, 1.0),
    ]


def test_access_changes_and_revisions(archive: Archive) -> None:
    day = NOW - timedelta(days=3)
    store(archive, capture("https://n.test/a", "n", day, text="Short teaser only.", access="truncated"))
    store(archive, capture("https://n.test/a", "n", day, text="Short teaser only. And the rest "
                           "of the article, now free.", access="full", fetched=day + timedelta(hours=5)))
    store(archive, capture("https://n.test/a", "n", day, text="Short teaser only. And the rest "
                           "of the article, now free.", access="full", fetched=day + timedelta(hours=9)))
    changes = query(archive, "SELECT canonical_url, version, old_access, new_access, changed_at "
                             "FROM access_changes")
    assert changes == [("https://n.test/a", 2, "truncated", "full", day + timedelta(hours=5))]
    revisions = query(archive, "SELECT version, access, word_count, words_added FROM article_revisions "
                               "WHERE canonical_url = 'https://n.test/a'")
    assert revisions == [(1, "truncated", 3, None), (2, "full", 11, 8)]


def test_quiet_sources(archive: Archive) -> None:
    # "daily" published every day until 10 days ago; "hourly" every hour until an hour ago;
    # "weekly" every 7 days until 8 days ago (3 x 7 days not reached yet); "single": one article
    # 9 days ago (no usual gap: quiet after 7 days)
    caps = [capture(f"https://d.test/{i}", "daily", NOW - timedelta(days=10 + i)) for i in range(5)]
    caps += [capture(f"https://h.test/{i}", "hourly", NOW - timedelta(hours=1 + i)) for i in range(5)]
    caps += [capture(f"https://w.test/{i}", "weekly", NOW - timedelta(days=8 + 7 * i)) for i in range(4)]
    caps += [capture("https://s.test/1", "single", NOW - timedelta(days=9))]
    store(archive, *caps)
    rows = query(archive, "SELECT source, articles, usual_gap, quiet_after FROM quiet_sources "
                          "WHERE source IN ('daily', 'hourly', 'weekly', 'single') ORDER BY source")
    assert rows == [
        ("daily", 5, timedelta(days=1), timedelta(days=3)),
        ("single", 1, None, timedelta(days=7)),
    ]
    # the fixture sources last published in 2024: long quiet
    assert {r[0] for r in query(archive, "SELECT source FROM quiet_sources")} == {
        "daily", "single", "dailyledger", "developpez"}
