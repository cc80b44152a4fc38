"""Publishing to a lake on one machine (SQLite catalog, local warehouse): exactly once, across
retries, crashes before the commit and several archives holding the same article."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyiceberg.exceptions import CommitFailedException

from scraper.archive import Archive, log_fetches, store_captures
from scraper.lake.catalog import Lake, open_lake
from scraper.lake.claims import Shard, stable_hash
from scraper.lake.publish import Publisher, watermarks
from scraper.lake.query import run_lake_sql
from scraper.models import Article, Capture, FetchAttempt
from scraper.settings import Settings


def capture(i: int, text: str = "body", source: str = "s1") -> Capture:
    url = f"https://example.org/{source}/{i}"
    art = Article(canonical_url=url, title=f"t{i}", text=f"{text} {i} " * 5, access="full")
    return Capture(url=url, article=art, fetched_at=datetime(2026, 3, 1, tzinfo=UTC), source=source)


def fill(db: Path, ids: range, text: str = "body", source: str = "s1") -> Archive:
    archive = Archive(db)
    archive.write(lambda con: (store_captures(con, [capture(i, text, source) for i in ids]),
                               log_fetches(con, [FetchAttempt(url=f"u{i}", final_url=None, status=200,
                                                              bytes=1, duration_ms=1.0, error=None,
                                                              error_detail=None,
                                                              fetched_at=datetime(2026, 3, 1, tzinfo=UTC),
                                                              attempt=1, source=source) for i in ids])))
    return archive


@pytest.fixture()
def lake(tmp_path: Path) -> Lake:
    conf = Settings(lake_catalog=f"sqlite:///{tmp_path}/catalog.db", lake_warehouse=str(tmp_path / "wh"))
    return open_lake(conf)


def count(lake: Lake, sql: str) -> list[tuple[object, ...]]:
    _, rows = run_lake_sql(lake, sql)
    return list(rows)


def test_publishing_twice_adds_each_row_once(lake: Lake, tmp_path: Path) -> None:
    archive = fill(tmp_path / "a.duckdb", range(5))
    first = Publisher(lake, archive).publish()
    assert first.rows == {"articles": 5, "article_versions": 5, "fetches": 5, "skips": 0}
    assert Publisher(lake, archive).publish().rows == {"articles": 0, "article_versions": 0,
                                                       "fetches": 0, "skips": 0}
    fill(tmp_path / "a.duckdb", range(5, 8))
    assert Publisher(lake, archive).publish().rows["articles"] == 3
    assert count(lake, "SELECT count(*), count(DISTINCT id) FROM articles") == [(8, 8)]
    assert count(lake, "SELECT count(*) FROM fetches WHERE source = 's1'") == [(8,)]


def test_small_batches_carry_the_watermark_commit_by_commit(lake: Lake, tmp_path: Path) -> None:
    archive = fill(tmp_path / "a.duckdb", range(7))
    pub = Publisher(lake, archive, batch_rows=3)
    assert pub.publish().rows["articles"] == 7
    table = lake.table(__import__("scraper.lake.tables", fromlist=["BY_NAME"]).BY_NAME["articles"])
    assert watermarks(table) == {pub.publisher: 7}
    # one snapshot per batch of 3 rows: 3 + 3 + 1
    assert len(table.metadata.snapshots) == 3


def test_a_commit_that_meets_another_is_retried_without_duplicates(
        lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = fill(tmp_path / "a.duckdb", range(4))
    other = fill(tmp_path / "b.duckdb", range(100, 102), source="s2")
    from pyiceberg.table import Table

    real_append = Table.append
    calls = {"n": 0}

    def append_after_another_daemon(self: Table, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # another daemon commits between our read and our commit
            Publisher(lake, other).publish()
            raise CommitFailedException("concurrent update")
        real_append(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Table, "append", append_after_another_daemon)
    result = Publisher(lake, archive).publish()
    monkeypatch.setattr(Table, "append", real_append)
    assert result.conflicts == 1
    assert count(lake, "SELECT source, count(*) FROM articles GROUP BY 1 ORDER BY 1") == [("s1", 4), ("s2", 2)]


def test_a_crash_before_the_commit_repeats_nothing_and_loses_nothing(
        lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = fill(tmp_path / "a.duckdb", range(3))
    from pyiceberg.table import Table

    real_append = Table.append

    def crash(self: Table, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies with data files written, nothing committed

    monkeypatch.setattr(Table, "append", crash)
    with pytest.raises(KeyboardInterrupt):
        Publisher(lake, archive).publish()
    monkeypatch.setattr(Table, "append", real_append)
    Publisher(lake, archive).publish()
    Publisher(lake, archive).publish()
    assert count(lake, "SELECT count(*) FROM articles") == [(3,)]


def test_an_article_published_by_another_archive_is_not_added_again(lake: Lake, tmp_path: Path) -> None:
    a = fill(tmp_path / "a.duckdb", range(3))
    b = fill(tmp_path / "b.duckdb", range(2, 5))  # took the source over: 2 was already published
    Publisher(lake, a).publish()
    result = Publisher(lake, b).publish()
    assert result.rows["articles"] == 2 and result.duplicates["articles"] == 1
    assert result.duplicates["article_versions"] == 1
    assert count(lake, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(5, 5)]
    # the logs keep every archive's rows
    assert count(lake, "SELECT count(*) FROM fetches") == [(6,)]


def test_lake_sql_filters_are_pushed_to_the_scan(lake: Lake, tmp_path: Path) -> None:
    fill(tmp_path / "a.duckdb", range(3), source="s1")
    fill(tmp_path / "a.duckdb", range(10, 12), source="s2")
    Publisher(lake, Archive(tmp_path / "a.duckdb")).publish()
    _, rows = run_lake_sql(lake, "EXPLAIN SELECT title FROM articles WHERE source = 's2'")
    plan = "\n".join(str(r) for r in rows)
    assert "Filters" in plan or "source='s2'" in plan.replace(" ", ""), plan
    assert count(lake, "SELECT title FROM articles WHERE source = 's2' ORDER BY 1") == [("t10",), ("t11",)]


def test_compact_keeps_rows_and_watermarks(lake: Lake, tmp_path: Path) -> None:
    from scraper.lake.compact import compact

    archive = fill(tmp_path / "a.duckdb", range(6))
    pub = Publisher(lake, archive, batch_rows=2)
    pub.publish()
    report = {(r["table"], r["source"]): r for r in compact(lake)}
    assert report[("articles", "s1")]["files_before"] == 3
    assert report[("articles", "s1")]["files_after"] == 1
    assert count(lake, "SELECT count(*), count(DISTINCT id) FROM articles") == [(6, 6)]
    assert pub.publish().rows["articles"] == 0  # the watermark survived the rewrite


def test_shards_split_sources_stably() -> None:
    names = [f"source-{i}" for i in range(60)]
    parts = [[n for n in names if Shard(k, 3).owns(n)] for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(names)  # each source in exactly one shard
    assert all(parts)
    assert stable_hash("developpez") == int.from_bytes(
        __import__("hashlib").sha256(b"developpez").digest()[:8], "big") >> 1
    assert Shard.parse("2/3") == Shard(2, 3)


@pytest.mark.parametrize("text", ["0/3", "4/3", "x", "1/0", "1-3"])
def test_bad_shard_is_a_usage_error(text: str) -> None:
    from scraper.errors import UsageError

    with pytest.raises(UsageError):
        Shard.parse(text)


def test_settings_from_the_environment() -> None:
    from scraper.settings import from_env

    conf = from_env({"SCRAPER_LAKE_CATALOG": "sqlite:///x.db", "SCRAPER_LAKE_WAREHOUSE": "s3://b/p",
                     "SCRAPER_LAKE_PUBLISH_EVERY": "5m", "SCRAPER_RAW_STORE": "warc"})
    assert (conf.lake_catalog, conf.lake_warehouse, conf.lake_publish_every, conf.raw_store) == (
        "sqlite:///x.db", "s3://b/p", 300.0, "warc")
    assert from_env({"SCRAPER_LAKE_PUBLISH_EVERY": "2s"}).lake_publish_every == 2.0
    assert replace(from_env({}), db=Path("x")).lake_catalog is None
