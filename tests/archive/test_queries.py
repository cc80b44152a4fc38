from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.archive import (
    Archive,
    archived_urls,
    article_versions,
    get_article,
    latest_articles,
    run_sql,
    store_captures,
)
from scraper.errors import ArchiveMissingError, QueryError
from scraper.models import Capture

MakeCapture = Callable[..., Capture]


@pytest.fixture
def filled(archive: Archive, make_capture: MakeCapture) -> Archive:
    captures = [
        make_capture("un", url="https://a.test/1", canonical_url="https://a.test/one", source="a", key="a:1"),
        make_capture("deux", url="https://a.test/2", canonical_url=None, source="a"),
        make_capture("trois", url="https://b.test/3", canonical_url=None, source="b"),
        make_capture("un, revu", url="https://a.test/1", canonical_url="https://a.test/one", source="a", key="a:1"),
    ]
    archive.write(lambda con: store_captures(con, captures))
    return archive


@pytest.mark.parametrize("ref", ["https://a.test/one", "https://a.test/1", "a:1"])
def test_get_article_by_canonical_url_or_url_or_key(filled: Archive, ref: str) -> None:
    art = filled.read(lambda con: get_article(con, ref))
    assert art is not None
    assert (art["canonical_url"], art["text"], art["version"]) == ("https://a.test/one", "un, revu", 2)


def test_get_unknown_article(filled: Archive) -> None:
    assert filled.read(lambda con: get_article(con, "https://a.test/unknown")) is None


def test_article_versions(filled: Archive) -> None:
    art = filled.read(lambda con: get_article(con, "a:1"))
    assert art is not None
    versions = filled.read(lambda con: article_versions(con, art["id"]))
    assert [(v["version"], v["text"]) for v in versions] == [(1, "un"), (2, "un, revu")]


def test_latest_articles(filled: Archive) -> None:
    assert len(filled.read(lambda con: latest_articles(con, 10))) == 3
    only_b = filled.read(lambda con: latest_articles(con, 10, source="b"))
    assert [a["url"] for a in only_b] == ["https://b.test/3"]
    assert len(filled.read(lambda con: latest_articles(con, 1))) == 1


def test_archived_urls(filled: Archive) -> None:
    known = filled.read(
        lambda con: archived_urls(con, ["https://a.test/1", "https://a.test/one", "https://c.test/"])
    )
    assert known == {"https://a.test/1", "https://a.test/one"}


def test_run_sql_streams_rows(filled: Archive) -> None:
    columns, rows = run_sql(filled.path, "SELECT url, version FROM articles ORDER BY url")
    assert columns == ["url", "version"]
    assert list(rows) == [("https://a.test/1", 2), ("https://a.test/2", 1), ("https://b.test/3", 1)]
    # consumed: the file is closed again, so a write gets it at once
    Archive(filled.path, lock_timeout=0).write(lambda con: None)


def test_run_sql_rows_closed_early_release_the_file(filled: Archive) -> None:
    _columns, rows = run_sql(filled.path, "SELECT * FROM range(100000)")
    assert next(rows) == (0,)
    rows.close()
    Archive(filled.path, lock_timeout=0).write(lambda con: None)


def test_run_sql_read_only_refuses_a_write(filled: Archive) -> None:
    with pytest.raises(QueryError) as info:
        run_sql(filled.path, "INSERT INTO skips (url, reason, skipped_at) VALUES ('u', 'r', now())")
    assert info.value.code == "sql:read-only"
    assert "read-only" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELEC 1", 'Parser Error: syntax error at or near "SELEC"'),
        ("SELECT * FROM nope", "Catalog Error: Table with name nope does not exist!"),
    ],
)
def test_run_sql_bad_sql_is_one_line(filled: Archive, sql: str, expected: str) -> None:
    with pytest.raises(QueryError) as info:
        run_sql(filled.path, sql)
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 7
    Archive(filled.path, lock_timeout=0).write(lambda con: None)  # the file was released


def test_run_sql_write_mode(filled: Archive) -> None:
    columns, rows = run_sql(
        filled.path,
        "INSERT INTO skips (url, reason, skipped_at) VALUES ('u', 'r', now()) RETURNING url",
        read_only=False,
    )
    assert (columns, list(rows)) == (["url"], [("u",)])
    assert list(run_sql(filled.path, "SELECT count(*) FROM skips")[1]) == [(1,)]


def test_run_sql_statement_without_rows(filled: Archive) -> None:
    _columns, rows = run_sql(filled.path, "SET threads = 1")
    assert list(rows) == []


def test_run_sql_on_a_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveMissingError):
        run_sql(tmp_path / "nope.duckdb", "SELECT 1")
