from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from scraper.errors import UsageError
from scraper.render import TABLE_MAX_CHARS, json_value, render

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


def test_table_truncates_long_text_and_keeps_markup_literal() -> None:
    long_text = "mot " * 100
    out = io.StringIO()
    count = render(["id", "text"], [(1, long_text), (2, "[bold]x[/bold]")], "table", out)
    table = out.getvalue()
    assert count == 2
    assert "id" in table and "text" in table
    assert ("mot " * 19).strip() in table and "…" in table
    assert "mot " * ((TABLE_MAX_CHARS // 4) + 1) not in table
    assert "[bold]x[/bold]" in table
    assert "\x1b[" not in table  # not a terminal: no colour codes


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
