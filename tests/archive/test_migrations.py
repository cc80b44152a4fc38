from __future__ import annotations

import dataclasses

import duckdb
import pytest

from scraper.archive import LATEST_VERSION, Archive, ensure_schema
from scraper.archive.migrations import MIGRATIONS, current_version
from scraper.errors import ArchiveError
from scraper.models import Article


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def test_steps_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_empty_database_is_version_zero() -> None:
    con = duckdb.connect()
    assert current_version(con) == 0


def test_ensure_schema_is_idempotent() -> None:
    con = duckdb.connect()
    assert ensure_schema(con) == LATEST_VERSION
    assert ensure_schema(con) == LATEST_VERSION
    rows = con.execute("SELECT version, description FROM schema_version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]


def test_first_write_migrates_and_later_writes_do_not(archive: Archive) -> None:
    archive.write(lambda con: None)
    archive.write(lambda con: None)
    rows = archive.read(lambda con: con.execute("SELECT version FROM schema_version").fetchall())
    assert rows == [(v,) for v in range(1, LATEST_VERSION + 1)]  # each step recorded once


def test_all_tables_exist(archive: Archive) -> None:
    archive.write(lambda con: None)
    tables = archive.read(
        lambda con: {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    )
    assert {
        "schema_version",
        "articles",
        "article_versions",
        "responses",
        "fetches",
        "feeds",
        "skips",
        "polls",
    } <= tables


def test_articles_has_a_column_per_article_key(archive: Archive) -> None:
    archive.write(lambda con: None)
    columns = set(archive.read(lambda con: _columns(con, "articles")))
    api_keys = {f.name for f in dataclasses.fields(Article)}
    assert api_keys <= columns
    assert {"url", "source", "article_key", "fetched_at", "first_seen_at", "content_hash"} <= columns


def test_newer_schema_is_refused(archive: Archive) -> None:
    archive.write(
        lambda con: con.execute(
            "INSERT INTO schema_version VALUES (?, now(), 'from the future')", [LATEST_VERSION + 1]
        )
    )
    with pytest.raises(ArchiveError, match="newer than this program"):
        archive.write(lambda con: None)
