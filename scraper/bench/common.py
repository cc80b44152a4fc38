"""What every benchmark shares: the result row, the table, the corpora loader, a clock."""

from __future__ import annotations

import gzip
import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CORPORA = Path(os.environ.get("SCRAPER_CORPORA", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"))
if not CORPORA.is_dir():  # the shared checkout layout: /work/main and /work/shared side by side
    CORPORA = Path("/work/shared/corpora")


@dataclass
class Row:
    """One line of the table. ``ratio`` is oriented so that ``target`` reads naturally:
    ``"<= 1.15"`` for a cost ratio, ``">= 10"`` for a speed-up; ``met`` is None for the
    informational rows (breakdowns) that carry no target."""

    benchmark: str
    ours: str
    baseline: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    values: dict[str, Any] | None = None  # raw numbers for --json

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(value: float | None, target: str) -> bool | None:
    """Whether ``value`` meets ``target`` (``"<= 1.15"``, ``">= 5"``, ``"< 1"``)."""
    if value is None or not target:
        return None
    op, _, num = target.partition(" ")
    limit = float(num.rstrip("x").replace("s", ""))
    return {"<=": value <= limit, ">=": value >= limit, "<": value < limit, ">": value > limit}[op]


def target_row(benchmark: str, ours: str, baseline: str, ratio: float | None, target: str,
               note: str = "", values: dict[str, Any] | None = None) -> Row:
    return Row(benchmark, ours, baseline, ratio, target, check(ratio, target), note, values)


def render_table(rows: Sequence[Row]) -> str:
    head = ("benchmark", "ours", "baseline", "ratio", "target", "met?")
    body = [
        (
            r.benchmark,
            r.ours,
            r.baseline,
            "" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    notes = [f"- {r.benchmark}: {r.note}" for r in rows if r.note]
    return "\n".join(out + ([""] + notes if notes else []))


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
        info["load_avg"] = os.getloadavg()
    except OSError:  # pragma: no cover - not Linux
        pass
    import duckdb
    import selectolax
    import trafilatura

    info["trafilatura"] = trafilatura.__version__
    info["duckdb"] = duckdb.__version__
    info["selectolax"] = getattr(selectolax, "__version__", "?")
    return info


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class CorpusPage:
    corpus: str
    id: str
    url: str | None
    html: bytes


def corpus_pages(limit: int | None = None, root: Path = CORPORA) -> list[CorpusPage]:
    """Every page of every corpus, decompressed once. With ``limit``, an even spread over the
    corpora (every k-th page of each), so a quick run still sees every kind of page."""
    per_corpus: list[list[dict[str, Any]]] = []
    for index in sorted(root.glob("*/index.jsonl")):
        with index.open(encoding="utf-8") as fh:
            per_corpus.append([dict(json.loads(line), _root=index.parent) for line in fh if line.strip()])
    records = [r for recs in per_corpus for r in recs]
    if limit is not None and limit < len(records):
        share = max(1, limit // max(1, len(per_corpus)))
        records = []
        for recs in per_corpus:
            step = max(1, len(recs) // share)
            records += recs[::step][:share]
    return [
        CorpusPage(r["_root"].name, r["id"], r.get("url"),
                   gzip.decompress((r["_root"] / r["html_file"]).read_bytes()))
        for r in records
    ]


def fmt_rate(per_second: float, unit: str = "pages/s") -> str:
    return f"{per_second:,.0f} {unit}" if per_second >= 100 else f"{per_second:,.1f} {unit}"
