"""Check the paywall vocabulary against real text and against the probe sets.

    python -m scraper.paywall.lexicon_check [--corpora PATH] [--lexicon DIR] [--baseline DIR]
                                            [--html] [--probes [DIR]] [--show N] [-v]

* **False hits.** Every gold text of ``../shared/corpora`` (``*/index.jsonl``, ``expected_text``:
  real article text, paragraphs joined by a blank line) is split into paragraphs; a paragraph
  that :func:`~scraper.paywall.lexicon.reads_as_notice` is a false hit unless it is a genuine
  notice the gold kept. ``--html`` also reads the ``<p>`` elements of every stored page (all four
  corpora, ~1,300 pages): page chrome and the odd real notice are in there, so its hits are
  listed to be read, not counted as errors.
* **Cost.** The time of ``Matcher.concepts()`` over those paragraphs, with a matcher built fresh
  (cold caches) and again with its memo cleared (warm token cache).
* **Probes.** ``--probes`` reads ``tests/paywall/probes/<lang>.yaml`` (``notices``,
  ``ordinary``) and prints, per language, the notices read and the ordinary sentences wrongly
  read; ``-v`` lists them.

``--baseline DIR`` (another lexicon folder, e.g. a ``git worktree`` of an older commit's
``scraper/paywall/lexicon``) prints the same figures for it first: before and after. Without the
corpora folder the corpus part is skipped with a message (exit 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scraper.paywall.lexicon import (
    LEXICON_DIR,
    Matcher,
    build_matcher,
    load_languages,
    reads_as_notice,
)

DEFAULT_CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
DEFAULT_PROBES = Path(__file__).resolve().parents[2] / "tests" / "paywall" / "probes"


@dataclass(frozen=True)
class Paragraph:
    where: str  # corpus/id
    text: str


def _records(corpora: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(corpus folder, record) for every page of every corpus's index."""
    for index in sorted(corpora.glob("*/index.jsonl")):
        for line in index.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield index.parent, json.loads(line)


def _distinct(found: Iterable[tuple[str, str]], least_words: int = 1) -> list[Paragraph]:
    """Paragraphs (page, text) with spaces collapsed, each text once, of ``least_words`` or more."""
    seen: set[str] = set()
    out: list[Paragraph] = []
    for where, text in found:
        para = " ".join(text.split())
        if para and len(para.split()) >= least_words and para not in seen:
            seen.add(para)
            out.append(Paragraph(where, para))
    return out


def gold_paragraphs(corpora: Path) -> list[Paragraph]:
    """Each distinct paragraph of every gold text (blank-line separated), with its page."""
    return _distinct((f"{folder.name}/{record['id']}", para)
                     for folder, record in _records(corpora)
                     for para in (record.get("expected_text") or "").split("\n\n"))


def html_paragraphs(corpora: Path) -> list[Paragraph]:
    """The text of every ``<p>`` element of every stored page (distinct, 3+ words)."""
    from selectolax.lexbor import LexborHTMLParser

    from scraper.decode import decode_html

    def found() -> Iterator[tuple[str, str]]:
        for folder, record in _records(corpora):
            try:
                html = decode_html(gzip.decompress((folder / record["html_file"]).read_bytes())).text
            except OSError:
                continue
            for node in LexborHTMLParser(html).css("p"):
                yield f"{folder.name}/{record['id']}", node.text(separator=" ") or ""

    return _distinct(found(), least_words=3)


def notice_hits(m: Matcher, paragraphs: list[Paragraph]) -> list[tuple[Paragraph, dict[str, str]]]:
    out = []
    for p in paragraphs:
        found = m.concepts(p.text)
        if reads_as_notice(found):
            out.append((p, m.hits(p.text)))
    return out


def timing(lexicon: Path, paragraphs: list[Paragraph], repeat: int = 5) -> tuple[float, float, int]:
    """Seconds for one pass of ``concepts()`` over ``paragraphs`` with a freshly built matcher
    (cold token cache) and again with its memo cleared (warm token cache), each the best of
    ``repeat`` runs; and the number of entries."""
    languages = load_languages(lexicon)
    cold = warm = float("inf")
    for _ in range(repeat):
        m = build_matcher(languages)
        start = time.perf_counter()
        for p in paragraphs:
            m.concepts(p.text)
        cold = min(cold, time.perf_counter() - start)
        m._memo.clear()
        start = time.perf_counter()
        for p in paragraphs:
            m.concepts(p.text)
        warm = min(warm, time.perf_counter() - start)
    entries = sum(len(v) for lang in languages for v in lang.concepts.values())
    return cold, warm, entries


def probe_sets(directory: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """(language, notices, ordinary) per probe file; ``beyond_vocabulary`` notices count too."""
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        notices = list(data.get("notices") or []) + list(data.get("beyond_vocabulary") or [])
        yield path.stem, notices, list(data.get("ordinary") or [])


def report_probes(m: Matcher, directory: Path, verbose: bool) -> None:
    total_n = total_read = total_o = total_wrong = 0
    for code, notices, ordinary in probe_sets(directory):
        missed = [t for t in notices if not reads_as_notice(m.concepts(t))]
        wrong = [t for t in ordinary if reads_as_notice(m.concepts(t))]
        total_n += len(notices)
        total_read += len(notices) - len(missed)
        total_o += len(ordinary)
        total_wrong += len(wrong)
        print(f"  {code}: notices read {len(notices) - len(missed)}/{len(notices)}, "
              f"ordinary wrongly read {len(wrong)}/{len(ordinary)}")
        if verbose:
            for t in missed:
                print(f"      MISSED {sorted(m.concepts(t))} {t}")
            for t in wrong:
                print(f"      WRONG  {m.hits(t)} {t}")
    print(f"  all: notices read {total_read}/{total_n}, "
          f"ordinary wrongly read {total_wrong}/{total_o}")


def report(label: str, lexicon: Path, args: argparse.Namespace,
           gold: list[Paragraph] | None, html: list[Paragraph] | None,
           before: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Print the figures of one lexicon folder; return the texts read as notices, per set.
    With ``before`` (the baseline's), list only the hits that are new or gone."""
    read: dict[str, set[str]] = {}
    print(f"== {label}: {lexicon}")
    m = build_matcher(load_languages(lexicon))
    if args.probes:
        if args.probes.is_dir():
            print("probes:")
            report_probes(m, args.probes, args.verbose)
        else:
            print(f"probes: skipped, {args.probes} is not a folder")
    for name, paragraphs in (("gold paragraphs", gold), ("html <p> paragraphs", html)):
        if paragraphs is None:
            continue
        hits = notice_hits(m, paragraphs)
        read[name] = {p.text for p, _ in hits}
        print(f"{name}: {len(hits)} of {len(paragraphs)} read as notices")
        if before is not None:
            old = before.get(name, set())
            shown = [(p, f) for p, f in hits if p.text not in old]
            gone = sorted(old - read[name])
            print(f"  new: {len(shown)}, gone: {len(gone)}")
            for text in gone[: args.show]:
                print(f"    gone: {text[:300]}")
        else:
            shown = hits
        for p, found in shown[: args.show]:
            print(f"    {p.where}: {found}\n        {p.text[:300]}")
    if gold is not None:
        cold, warm, entries = timing(lexicon, gold)
        print(f"cost: {entries} entries; concepts() over {len(gold)} gold paragraphs: "
              f"{cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms warm (best of 5)")
    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.paywall.lexicon_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--lexicon", type=Path, default=LEXICON_DIR)
    parser.add_argument("--baseline", type=Path, help="another lexicon folder to compare with")
    parser.add_argument("--html", action="store_true", help="also read every page's <p> elements")
    parser.add_argument("--probes", type=Path, nargs="?", const=DEFAULT_PROBES,
                        help=f"probe sets folder (default {DEFAULT_PROBES})")
    parser.add_argument("--show", type=int, default=50, help="hits to print per set")
    parser.add_argument("-v", "--verbose", action="store_true", help="print missed probes")
    args = parser.parse_args(argv)
    for folder in [args.lexicon] + ([args.baseline] if args.baseline else []):
        if not folder.is_dir():
            print(f"error: {folder} is not a lexicon folder", file=sys.stderr)
            return 2
    gold = html = None
    if args.corpora.is_dir():
        gold = gold_paragraphs(args.corpora)
        html = html_paragraphs(args.corpora) if args.html else None
    else:
        print(f"corpora: skipped, {args.corpora} is absent (the false-hit check needs it)")
    before = report("before", args.baseline, args, gold, html) if args.baseline else None
    report("after" if args.baseline else "lexicon", args.lexicon, args, gold, html, before)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
