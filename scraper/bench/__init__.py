"""The benchmark suite behind ``make bench`` (issue 7).

    python -m scraper.bench [--quick] [--only NAME] [--json OUT]

One module per benchmark; each exposes ``run(quick: bool) -> list[Row]``. Every figure is printed
next to a baseline measured in the same run, as a ratio: the machines are shared and noisy, so
absolute times are not comparable between runs. The README, "Benchmarks", has the last results.
"""

from __future__ import annotations

from scraper.bench.common import Row

BENCHMARKS = ("extraction", "rules", "endtoend", "archive", "memory", "lake")

__all__ = ["BENCHMARKS", "Row"]
