"""Small bar charts drawn on the server as SVG geometry (the template writes the elements).

No script and no external asset: the page's Content-Security-Policy allows neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 210
HEIGHT = 48
GAP = 1


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the tooltip (<title>)
    css: str = "bar"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    caption: str
    max_label: str


def bars(values: list[tuple[str, float | None]], *, top: float | None = None,
         css: str = "bar", label: str = "{value}", width: int = WIDTH,
         height: int = HEIGHT, caption: str = "") -> Chart:
    """One bar per value (None: no bar), scaled to ``top`` (default the largest value)."""
    n = max(len(values), 1)
    step = width / n
    peak = top if top is not None else max((v for _, v in values if v is not None), default=0.0)
    out = []
    for i, (name, value) in enumerate(values):
        if value is None:
            continue
        h = 0.0 if not peak else max(value / peak * (height - 2), 1.0 if value > 0 else 0.0)
        out.append(Bar(x=round(i * step, 2), y=round(height - h, 2), width=round(max(step - GAP, 1), 2),
                       height=round(h, 2), label=f"{name}: {label.format(value=value)}", css=css))
    max_label = "" if not peak else (f"{peak:.0%}" if top == 1.0 else f"{peak:g}")
    return Chart(out, width, height, caption, max_label)


def source_charts(days: list[dict[str, Any]]) -> tuple[Chart, Chart]:
    """Articles per day, and the truncated-or-locked share per day, of one source."""
    per_day = bars([(str(d["day"]), float(d["articles"])) for d in days],
                   label="{value:.0f} article(s)", caption="articles per day")
    share = bars([(str(d["day"]), d["walled_share"]) for d in days], top=1.0, css="bar walled",
                 label="{value:.0%} truncated or locked", caption="truncated share per day")
    return per_day, share
