"""Rows -> table | csv | json | jsonl, for every command that prints rows.

``json`` and ``jsonl`` stream: a row is written as soon as it is read, so ``scraper sql`` over a
million rows uses no more memory than over ten (sqlite-utils's ``output_rows``). ``table`` needs
every row to size its columns, so it buffers, and cuts long values short (and only there).

Values are made JSON-ready by :func:`json_value`: datetimes as ISO 8601, ``Decimal`` as float,
bytes as base64, lists as lists, structs and maps as objects, NaN and infinities as null.
"""

from __future__ import annotations

import base64
import csv
import json
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TextIO
from uuid import UUID

from scraper.errors import UsageError

FORMATS: tuple[str, ...] = ("table", "csv", "json", "jsonl")
TABLE_MAX_CHARS = 80  # a table cell longer than this is cut, with an ellipsis
_UNBOUNDED_WIDTH = 10_000


def json_value(value: Any) -> Any:
    """``value`` as something ``json.dumps`` writes faithfully."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    return str(value)


def _text(value: Any) -> str:
    """A JSON-ready value as one CSV or table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def render(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, out: TextIO
) -> int:
    """Write ``rows`` to ``out`` in ``fmt``; return how many rows were written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    names = list(columns)
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(_dumps(dict(zip(names, map(json_value, row), strict=True))) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for row in rows:
            if count:
                out.write(",\n ")
            out.write(_dumps(dict(zip(names, map(json_value, row), strict=True))))
            count += 1
        out.write("]\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_text(json_value(v)) for v in row])
            count += 1
    else:
        count = _render_table(names, rows, out)
    return count


def _cut(text: str, limit: int = TABLE_MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render_table(names: list[str], rows: Iterable[Sequence[Any]], out: TextIO) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*names, show_lines=False)
    count = 0
    for row in rows:
        table.add_row(*(Text(_cut(_text(json_value(v)))) for v in row))
        count += 1
    console = Console(file=out)
    if not console.is_terminal:  # a pipe or a file: no colours, and no wrapping at 80 columns
        console = Console(file=out, width=_UNBOUNDED_WIDTH, no_color=True, highlight=False)
    console.print(table)
    return count
