"""A behaviour snapshot of the paywall stage over the real corpus pages, to prove a change keeps it.

``python -m scraper.paywall.snapshot --out FILE`` runs :func:`scraper.extract_article` on every
page of ``../shared/corpora`` (see :func:`scraper.bench.common.corpus_pages`) and writes one JSON
line per page: access, confidence, declared, model, notice, expected fraction, the signals (name,
detail, weight) and a SHA-256 of the final text (or the error a page raised).
``--compare FILE`` runs the same pages and lists every page whose record differs from the file's;
it exits 1 on any difference, 0 when there is none. Refactors and speed-ups of the paywall stage
must compare with zero differences.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from scraper.bench.common import CORPORA, CorpusPage, corpus_pages
from scraper.errors import ScraperError
from scraper.extract.article import extract_article


def record(page: CorpusPage) -> dict[str, Any]:
    """What the page's extraction decides about paywalls, and a hash of the text it keeps."""
    key = f"{page.corpus}/{page.id}"
    try:
        article = extract_article(page.html, page.url, None)
    except ScraperError as exc:
        return {"page": key, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "page": key,
        "access": article.access,
        "confidence": article.paywall_confidence,
        "declared": article.paywall_declared,
        "model": article.paywall_model,
        "notice": article.paywall_notice,
        "signals": [[s.name, s.detail, s.weight] for s in article.paywall_evidence],
        "text_sha256": hashlib.sha256(article.text.encode("utf-8")).hexdigest(),
    }


def take(root: Path | None = None) -> list[dict[str, Any]]:
    """One record per page of every corpus under ``root`` (default: ``CORPORA``)."""
    return [record(page) for page in corpus_pages(root=root or CORPORA)]


def compare(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """One line per difference: a page missing on one side, or a field that changed."""
    before = {r["page"]: r for r in old}
    after = {r["page"]: r for r in new}
    out = [f"{page}: only in the snapshot" for page in before if page not in after]
    out += [f"{page}: not in the snapshot" for page in after if page not in before]
    for page, rec in after.items():
        prev = before.get(page)
        if prev is None or prev == rec:
            continue
        for name in sorted(set(prev) | set(rec)):
            if prev.get(name) != rec.get(name):
                out.append(f"{page}: {name}: {prev.get(name)!r} -> {rec.get(name)!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.paywall.snapshot",
                                     description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", type=Path, help="write the snapshot (JSON lines) to this file")
    group.add_argument("--compare", type=Path,
                       help="compare the current behaviour with this snapshot")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        print(f"skipped: corpora not found at {CORPORA} (set SCRAPER_CORPORA)", file=sys.stderr)
        return 0
    if args.compare is not None:
        try:
            lines = args.compare.read_text(encoding="utf-8").splitlines()
            old = [json.loads(line) for line in lines if line.strip()]
        except (OSError, ValueError) as exc:
            print(f"error: cannot read snapshot {args.compare}: {exc}", file=sys.stderr)
            return 2
        diffs = compare(old, take())
        for line in diffs:
            print(line)
        print(f"{len(diffs)} difference(s) over {len(old)} pages", file=sys.stderr)
        return 1 if diffs else 0
    new = take()
    try:
        with args.out.open("w", encoding="utf-8") as fh:
            for rec in new:
                fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(new)} pages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
