"""Rows -> table | csv | json | jsonl, for every command that prints rows.

``json`` and ``jsonl`` stream: a row is written as soon as it is read, so ``scraper sql`` over a
million rows uses no more memory than over ten (sqlite-utils's ``output_rows``). ``table`` needs
every row to size its columns, so it buffers.

Values are made JSON-ready by :func:`json_value`: datetimes as ISO 8601 to the second,
durations as ISO 8601 durations (``P20DT13H13M30S``), ``Decimal`` as float, bytes as base64,
lists as lists, structs and maps as objects, NaN and infinities as null.

A table on a terminal is fitted to its width: times read "3 min ago", durations "20 d 13 h",
long cells fold onto more lines, and when even folded columns do not fit, the columns of least
priority (the last ones, unless the caller ranks them) are left out and named under the table.
A table written to a pipe or a file is never cut nor folded (a URL in it can be copied).
"""

from __future__ import annotations

import base64
import csv
import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TextIO
from uuid import UUID

from scraper.errors import UsageError

FORMATS: tuple[str, ...] = ("table", "csv", "json", "jsonl")
TABLE_MAX_CHARS = 300  # on a terminal, a cell longer than this is cut, with an ellipsis
FOLD_MIN = 12  # on a terminal, a long word (a URL) may be folded down to this width
_UNBOUNDED_WIDTH = 100_000


def iso_duration(value: timedelta) -> str:
    """``value`` as an ISO 8601 duration: ``P20DT13H13M30S``, ``PT0S``, ``-PT5M``."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    secs = f"{seconds:.6f}".rstrip("0").rstrip(".") if seconds % 1 else f"{int(seconds)}"
    date_part = f"{int(days)}D" if days else ""
    time_part = "".join(f"{n}{unit}" for n, unit in ((int(hours), "H"), (int(minutes), "M")) if n)
    if seconds or not (days or time_part):
        time_part += f"{secs}S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


def iso_time(value: datetime, tz: tzinfo | None = None) -> str:
    """``value`` as ISO 8601 to the second, in ``tz`` when it is given and ``value`` is aware."""
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.isoformat(timespec="seconds")


def json_value(value: Any, tz: tzinfo | None = None) -> Any:
    """``value`` as something ``json.dumps`` writes faithfully."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        return iso_time(value, tz)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v, tz) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v, tz) for v in value]
    return str(value)


def relative_time(value: datetime, now: datetime) -> str:
    """``value`` as a person reads it on a terminal: "3 min ago", "in 2 h", "5 days ago"."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = (now - value).total_seconds()
    ago = seconds >= 0
    span = abs(seconds)
    if span < 60:
        return "just now" if ago else "in <1 min"
    for limit, unit, size in ((3600, "min", 60), (48 * 3600, "h", 3600), (60 * 86400, "days", 86400)):
        if span < limit:
            n = int(span // size)
            return f"{n} {unit} ago" if ago else f"in {n} {unit}"
    return value.date().isoformat()


def human_duration(value: timedelta) -> str:
    """A duration on a terminal: "45 s", "12 min", "3 h 20 min", "20 d 13 h"."""
    span = abs(value.total_seconds())
    sign = "-" if value.total_seconds() < 0 else ""
    if span < 60:
        return f"{sign}{span:g} s"
    if span < 3600:
        return f"{sign}{int(span // 60)} min"
    if span < 86400:
        h, m = divmod(int(span // 60), 60)
        return f"{sign}{h} h" + (f" {m} min" if m else "")
    d, h = divmod(int(span // 3600), 24)
    return f"{sign}{d} d" + (f" {h} h" if h else "")


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
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, out: TextIO, *,
    tz: tzinfo | None = None, priority: Sequence[str] | None = None, width: int | None = None,
) -> int:
    """Write ``rows`` to ``out`` in ``fmt``; return how many rows were written.

    ``tz``: the zone times are shown in (else their own offset, UTC from the archive).
    ``priority``: for a table on a narrow terminal, the columns in the order they are kept
    (the others follow in their own order). ``width``: treat ``out`` as a terminal of that many
    columns (tests; by default a terminal's own width, no limit off a terminal)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    names = list(columns)
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(_dumps(dict(zip(names, (json_value(v, tz) for v in row), strict=True))) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for row in rows:
            if count:
                out.write(",\n ")
            out.write(_dumps(dict(zip(names, (json_value(v, tz) for v in row), strict=True))))
            count += 1
        out.write("]\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_text(json_value(v, tz)) for v in row])
            count += 1
    else:
        count = _render_table(names, rows, out, tz=tz, priority=priority,
                              width=width if width is not None else terminal_width(out))
    return count


def terminal_width(out: TextIO) -> int | None:
    """The width of the terminal ``out`` writes to; None for a pipe or a file."""
    from rich.console import Console

    console = Console(file=out)
    return console.width if console.is_terminal else None


def _cut(text: str, limit: int = TABLE_MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value: Any, tz: tzinfo | None, now: datetime | None) -> str:
    """One table cell: on a terminal (``now`` given) relative times and short durations."""
    if now is not None and isinstance(value, datetime):
        return relative_time(value, now)
    if now is not None and isinstance(value, timedelta):
        return human_duration(value)
    text = " ".join(_text(json_value(value, tz)).split())
    return _cut(text) if now is not None else text


def _min_width(header: str, cells: list[str]) -> int:
    """The narrowest a column can be: its header's longest word, its longest cell up to
    FOLD_MIN (longer cells wrap or fold)."""
    head = max((len(w) for w in header.split()), default=1)
    body = max((len(c) for c in cells), default=1)
    return max(head, min(body, FOLD_MIN), 1)


def _render_table(names: list[str], rows: Iterable[Sequence[Any]], out: TextIO, *,
                  tz: tzinfo | None, priority: Sequence[str] | None, width: int | None) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC) if width is not None else None
    cells = [[_cell(v, tz, now) for v in row] for row in rows]
    if width is None:  # a pipe or a file: no colours, no wrapping, nothing cut
        table = Table(*names, show_lines=False)
        for row in cells:
            table.add_row(*(Text(c) for c in row))
        Console(file=out, width=_UNBOUNDED_WIDTH, no_color=True, highlight=False).print(table)
        return len(cells)

    headers = [n.replace("_", " ") for n in names]  # lets a header wrap between its words
    columns = [[row[i] for row in cells] for i in range(len(names))]
    ranked = [names.index(n) for n in (priority or ()) if n in names]
    ranked += [i for i in range(len(names)) if i not in ranked]
    kept = list(range(len(names)))
    natural = [max([len(headers[i])] + [len(c) for c in columns[i]]) for i in kept]
    widths: dict[int, int] = {}
    if sum(natural) + 3 * len(names) + 1 > width:  # too wide: compact, folded, by priority
        mins = {i: _min_width(headers[i], columns[i]) for i in kept}
        while len(kept) > 1 and sum(mins[i] for i in kept) + 2 * (len(kept) - 1) > width:
            kept.remove(next(i for i in reversed(ranked) if i in kept))
        widths = {i: mins[i] for i in kept}
        spare = width - sum(widths.values()) - 2 * (len(kept) - 1)
        for i in (i for i in ranked if i in kept):  # the columns that matter most widen first
            grow = max(0, min(spare, natural[i] - widths[i]))
            widths[i] += grow
            spare -= grow
    compact = bool(widths)
    table = Table(box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD, show_edge=not compact,
                  pad_edge=not compact, collapse_padding=compact)
    for i in kept:  # folded headers wrap between words; a table that fits keeps the names
        table.add_column(headers[i] if compact else names[i], overflow="fold", width=widths.get(i))
    console = Console(file=out, width=width, highlight=False)
    for row in cells:
        table.add_row(*(Text(row[i]) for i in kept))
    hidden = [names[i] for i in range(len(names)) if i not in kept]
    if hidden:
        table.caption = f"not shown: {', '.join(hidden)} (--format csv shows every column)"
    console.print(table)
    return len(cells)
