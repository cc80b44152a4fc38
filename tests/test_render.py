from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from zoneinfo import ZoneInfo

from scraper.errors import UsageError
from scraper.render import iso_duration, json_value, render

COLUMNS = ["id", "title", "published_at", "tags", "score", "body", "paid"]
ROWS: list[tuple[Any, ...]] = [
    (1, "L’été, enfin", datetime(2026, 3, 1, 8, 30, tzinfo=UTC), ["ia", "été"], Decimal("1.50"), b"hi", True),
    (2, 'Dit "oui"', None, [], None, None, False),
]


def _render(fmt: str, rows: list[tuple[Any, ...]] = ROWS) -> str:
    out = io.StringIO()
    render(COLUMNS, iter(rows), fmt, out)
    return out.getvalue()


def test_csv() -> None:
    assert _render("csv") == (
        "id,title,published_at,tags,score,body,paid\n"
        '1,"L’été, enfin",2026-03-01T08:30:00+00:00,"[""ia"", ""été""]",1.5,aGk=,true\n'
        '2,"Dit ""oui""",,[],,,false\n'
    )


def test_json() -> None:
    assert _render("json") == (
        '[{"id": 1, "title": "L’été, enfin", "published_at": "2026-03-01T08:30:00+00:00",'
        ' "tags": ["ia", "été"], "score": 1.5, "body": "aGk=", "paid": true},\n'
        ' {"id": 2, "title": "Dit \\"oui\\"", "published_at": null, "tags": [],'
        ' "score": null, "body": null, "paid": false}]\n'
    )


def test_json_without_rows() -> None:
    assert _render("json", []) == "[]\n"


def test_jsonl() -> None:
    assert _render("jsonl") == (
        '{"id": 1, "title": "L’été, enfin", "published_at": "2026-03-01T08:30:00+00:00",'
        ' "tags": ["ia", "été"], "score": 1.5, "body": "aGk=", "paid": true}\n'
        '{"id": 2, "title": "Dit \\"oui\\"", "published_at": null, "tags": [],'
        ' "score": null, "body": null, "paid": false}\n'
    )


def test_json_streams_rows_as_they_come() -> None:
    out = io.StringIO()
    seen: list[str] = []

    def rows() -> Any:
        for row in ROWS:
            yield row
            seen.append(out.getvalue())

    render(COLUMNS, rows(), "json", out)
    assert seen[0].startswith('[{"id": 1')  # written before the second row was read


def test_table_off_a_terminal_never_cuts_and_keeps_markup_literal() -> None:
    long_text = "mot " * 100
    url = "https://example.org/" + "x" * 200 + "/?id=1"
    out = io.StringIO()
    count = render(["id", "text", "url"], [(1, long_text, url), (2, "[bold]x[/bold]", "")], "table", out)
    table = out.getvalue()
    assert count == 2
    assert long_text.strip() in table and url in table and "…" not in table
    assert "[bold]x[/bold]" in table
    assert "\x1b[" not in table  # not a terminal: no colour codes


def test_table_on_a_terminal_cuts_only_very_long_cells() -> None:
    out = io.StringIO()
    render(["id", "text"], [(1, "mot " * 200)], "table", out, width=80)
    assert "…" in out.getvalue()
    assert max(len(line) for line in out.getvalue().splitlines()) <= 80


def test_table_on_a_narrow_terminal_folds_long_cells() -> None:
    columns = ["source", "title", "url", "words", "extractor", "rules_version", "response_id"]
    url = "https://www.developpez.com/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai/"
    rows = [("developpez", "L’industrie américaine de l’IA face au « shadow AI »", url, 497,
             "rules:developpez", "2", 12345)]
    out = io.StringIO()
    render(columns, rows, "table", out, width=80, priority=["source", "url", "title"])
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "developpez" in text and "…" not in text
    assert "shadow" in text and "not shown" not in text  # everything fits, folded


def test_table_on_a_narrow_terminal_leaves_out_the_columns_of_least_priority() -> None:
    columns = [f"column_{n:02d}" for n in range(12)]
    out = io.StringIO()
    render(columns, [tuple(range(12))], "table", out, width=80, priority=["column_11"])
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    shown, hidden = text.split("not shown:")
    assert [line for line in shown.splitlines() if line.strip()][-1].split()[-1] == "11"  # kept first
    assert "column_10" in hidden and "column_11" not in hidden and "column_00" not in hidden


def test_times_and_durations_on_a_terminal_and_off_it() -> None:
    now = datetime.now(UTC)
    rows = [(now - timedelta(minutes=3, seconds=5), now + timedelta(hours=2, minutes=1),
             timedelta(days=20, hours=13, minutes=13, seconds=30))]
    tty = io.StringIO()
    render(["last", "next", "gap"], rows, "table", tty, width=80)
    assert "3 min ago" in tty.getvalue() and "in 2 h" in tty.getvalue() and "20 d 13 h" in tty.getvalue()
    pipe = io.StringIO()
    render(["last", "next", "gap"], rows, "table", pipe)
    assert rows[0][0].isoformat(timespec="seconds") in pipe.getvalue()
    assert "." not in pipe.getvalue().split("\n")[3].split("+")[0][-8:]  # no microseconds
    assert "P20DT13H13M30S" in pipe.getvalue()
    csv_out = io.StringIO()
    render(["gap"], [(rows[0][2],)], "csv", csv_out)
    assert csv_out.getvalue() == "gap\nP20DT13H13M30S\n"


@pytest.mark.parametrize(("value", "expected"), [
    (timedelta(0), "PT0S"), (timedelta(seconds=90), "PT1M30S"), (timedelta(days=2), "P2D"),
    (timedelta(minutes=-5), "-PT5M"), (timedelta(seconds=1.5), "PT1.5S"),
])
def test_iso_duration(value: timedelta, expected: str) -> None:
    assert iso_duration(value) == expected


def test_times_in_a_zone() -> None:
    out = io.StringIO()
    render(["t"], [(datetime(2026, 3, 1, 23, 30, 0, 123456, tzinfo=UTC),)], "jsonl", out,
           tz=ZoneInfo("Europe/Paris"))
    assert out.getvalue() == '{"t": "2026-03-02T00:30:00+01:00"}\n'


def test_long_text_is_kept_whole_outside_tables() -> None:
    out = io.StringIO()
    render(["text"], [("mot " * 100,)], "jsonl", out)
    assert ("mot " * 100) in out.getvalue()


def test_unknown_format() -> None:
    with pytest.raises(UsageError, match="table, csv, json, jsonl"):
        render(["a"], [], "xml", io.StringIO())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 3, 1), "2026-03-01"),
        (Decimal("2.25"), 2.25),
        (float("nan"), None),
        (bytearray(b"\x00\xff"), "AP8="),
        ((1, "a"), [1, "a"]),
        ({"k": datetime(2026, 1, 1, tzinfo=UTC)}, {"k": "2026-01-01T00:00:00+00:00"}),
    ],
)
def test_json_value(value: Any, expected: Any) -> None:
    assert json_value(value) == expected
