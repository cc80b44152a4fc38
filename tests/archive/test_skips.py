"""``skips`` keeps one row per (url, reason): a feed re-read every poll does not grow it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb

from scraper.archive import Archive
from scraper.archive.migrations import MIGRATIONS, ensure_schema
from scraper.archive.store import Skip, record_skips

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT url, reason, detail, first_skipped_at, skipped_at, times FROM skips ORDER BY url, reason"
    ).fetchall()


def test_repeated_skips_update_one_row(archive: Archive) -> None:
    for poll in range(5):
        at = T0 + timedelta(minutes=15 * poll)
        archive.write(lambda con, at=at, poll=poll: record_skips(con, [
            Skip(url="https://a.test/1", reason="already-archived", at=at, source="a", detail=f"poll {poll}"),
            Skip(url="https://a.test/2", reason="already-archived", at=at, source="a"),
        ]))
    rows = archive.read(_rows)
    assert len(rows) == 2
    url, reason, detail, first, last, times = rows[0]
    assert (url, reason, detail, times) == ("https://a.test/1", "already-archived", "poll 4", 5)
    assert first == T0 and last == T0 + timedelta(minutes=60)


def test_duplicates_within_one_batch_are_merged(archive: Archive) -> None:
    skips = [Skip(url="https://a.test/x", reason="robots-disallowed", at=T0 + timedelta(seconds=i),
                  source="a", detail=f"rule {i}") for i in range(3)]
    skips.append(Skip(url="https://a.test/x", reason="not-article", at=T0, source="a"))
    assert archive.write(lambda con: record_skips(con, skips)) == 4
    rows = archive.read(_rows)
    assert [(r[1], r[2], r[5]) for r in rows] == [("not-article", None, 1), ("robots-disallowed", "rule 2", 3)]


def test_migration_folds_old_duplicate_rows() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL, "
                "description VARCHAR NOT NULL)")
    for step in MIGRATIONS[:3]:
        for sql in step.statements:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now(), ?)", [step.version, step.description])
    for i in range(3):
        con.execute("INSERT INTO skips (url, source, reason, detail, skipped_at) VALUES (?, 's', ?, ?, ?)",
                    ["https://a.test/1", "already-archived", f"d{i}", T0 + timedelta(hours=i)])
    ensure_schema(con)
    assert _rows(con) == [("https://a.test/1", "already-archived", "d2", T0, T0 + timedelta(hours=2), 3)]
