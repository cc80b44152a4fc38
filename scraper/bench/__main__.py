"""python -m scraper.bench [--quick] [--only NAME[,NAME]] [--json OUT]"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback

from scraper.bench import BENCHMARKS
from scraper.bench.common import Row, machine, render_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole suite in about a minute")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", metavar="OUT", help="also write the rows and the machine to OUT as JSON")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    info = machine()
    print(f"machine: {info.get('cpu', '?')}, {info['usable_cores']} cores, "
          f"{info.get('memory_gb', '?')} GB, Python {info['python']}, load {info.get('load_avg')}",
          flush=True)
    rows: list[Row] = []
    timings: dict[str, float] = {}
    failed = False
    for name in names:
        print(f"running {name}{' (quick)' if args.quick else ''}...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"scraper.bench.{name}")
            rows += module.run(quick=args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append(Row(name, "error", note=f"{type(exc).__name__}: {exc}", met=False))
            failed = True
        timings[name] = time.perf_counter() - start
        print(f"  {name}: {timings[name]:.1f}s", file=sys.stderr, flush=True)
    print(render_table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": info, "quick": args.quick, "seconds": timings,
                       "rows": [r.to_dict() for r in rows]}, fh, indent=2, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
