"""scraper stats: a summary per source, as a table or through render.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from click.testing import Result

from scraper.archive import Archive, log_fetches
from scraper.models import FetchAttempt


def add_fetches(archive: Archive) -> None:
    at = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    attempts = [
        FetchAttempt("https://www.developpez.com/actu/1/", None, 503, 0, 5.0, "http:503", "down",
                     at, 1, "developpez"),
        FetchAttempt("https://www.developpez.com/actu/1/", "https://www.developpez.com/actu/1/",
                     200, 900, 5.0, None, None, at, 2, "developpez"),
        FetchAttempt("https://gone.test/", None, None, 0, 5.0, "net:dns", "no such host", at, 1,
                     "gone"),
    ]
    archive.write(lambda con: log_fetches(con, attempts))


def test_table(archive: Archive, run: Callable[..., Result], db_path: Path) -> None:
    add_fetches(archive)
    result = run("stats")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].strip() == str(db_path)
    assert lines[2].split("┃")[1:-1] == [
        " source      ", " articles ", " truncated ", " locked ", " median words ",
        " last article     ", " fetch errors ", " last fetch       ",
    ]
    body = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    assert body == [
        ["dailyledger", "2", "1 (50%)", "0 (0%)", "314", "2024-06-13 09:00", "0 / 0", ""],
        ["developpez", "3", "1 (33%)", "0 (0%)", "436", "2024-11-18 09:42", "1 / 2",
         "2026-03-02 10:30"],
        ["gone", "0", "-", "-", "", "", "1 / 1", "2026-03-02 10:30"],
        ["all", "5", "2 (40%)", "0 (0%)", "", "", "2 / 3", ""],
    ]


def test_csv(archive: Archive, run: Callable[..., Result]) -> None:
    result = run("stats", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "source,articles,truncated,locked,truncated_share,locked_share,median_words,"
        "last_article,fetches,fetch_errors,last_fetch\n"
        "dailyledger,2,1,0,0.5,0.0,314.0,2024-06-13T09:00:00+00:00,0,0,\n"
        "developpez,3,1,0,0.333,0.0,436.0,2024-11-18T09:42:00+00:00,0,0,\n"
    )


def test_json(archive: Archive, run: Callable[..., Result]) -> None:
    add_fetches(archive)
    rows = json.loads(run("stats", "--format", "json").output)
    assert {r["source"]: (r["articles"], r["fetch_errors"]) for r in rows} == {
        "dailyledger": (2, 0), "developpez": (3, 1), "gone": (0, 1),
    }


def test_missing_archive(run: Callable[..., Result], db_path: Path) -> None:
    result = run("stats")
    assert result.exit_code == 6
    assert result.output.startswith(f"error: no archive at {db_path}")
