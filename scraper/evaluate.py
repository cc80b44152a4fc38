"""``make eval``: measure extraction and paywall verdicts on the shared regression corpora.

    python -m scraper.evaluate [--corpora PATH] [--corpus NAME] [--limit N] [--jobs N]

For every page of every corpus (``../shared/corpora`` beside the repository by default), in the
same run and on the same decoded text:

* ours: :func:`scraper.extract_article` on the page's bytes (decoding, parsing, metadata, body,
  paywall verdict), timed, with the paywall step (``paywall.verdict.assess``) timed on its own;
* plain trafilatura: ``trafilatura.extract(decoded_text, url=url)`` with its defaults, timed.

Printed per corpus and overall: token F1 of both texts (bag of words over whitespace tokens,
precision/recall/F1 averaged over pages; for ``trafilatura_eval``, whose gold is snippets, the
share of ``with`` snippets found and ``without`` snippets kept, summed over the corpus, as
trafilatura's own evaluation does); declared-paywall precision/recall against ``paywalled``,
and beside it the precision of the declarations read from ``isAccessibleForFree`` alone (what
the corpora's ``paywalled`` labels follow: ``article:content_tier`` and source rules are
declarations here but not there);
truncation precision, recall and false-positive rate against ``truncation.jsonl``; the pages
judged wrongly; the mean time per page of ours, of its paywall step and of plain trafilatura.
No network; the pages are spread over ``--jobs`` processes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
SNIPPET_CORPORA = frozenset({"trafilatura_eval"})
# Names of the declaration signals, in the engine's precedence order (the first recorded decides).
DECLARATION_SIGNALS = ("rules:paid-url", "rules:declares-all-paid", "jsonld:isAccessibleForFree",
                       "microdata:isAccessibleForFree", "meta:content_tier")
_IAFF = ("jsonld:isAccessibleForFree", "microdata:isAccessibleForFree")


@dataclass(frozen=True)
class Page:
    corpus: str
    id: str
    path: str
    url: str | None
    expected_text: str | None
    with_snippets: tuple[str, ...]
    without_snippets: tuple[str, ...]
    paywalled: bool | None
    truncated: bool | None
    access: str | None


@dataclass
class Result:
    page: Page
    ours_text: str = ""
    plain_text: str = ""
    access: str = "full"
    declared: bool | None = None
    signals: tuple[str, ...] = ()
    declared_by: str | None = None  # the declaration signal that decided ``declared``: "name (detail)"
    ours_ms: float = 0.0
    paywall_ms: float = 0.0
    plain_ms: float = 0.0
    error: str | None = None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _snippets(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if v)
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            import ast

            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return ()
        return tuple(str(v) for v in parsed if v) if isinstance(parsed, list) else ()
    return ()


def load_pages(root: Path, corpus: str | None = None, limit: int | None = None) -> list[Page]:
    pages: list[Page] = []
    for folder in sorted(p for p in root.iterdir() if (p / "index.jsonl").is_file()):
        if corpus and folder.name != corpus:
            continue
        labels: dict[str, dict[str, Any]] = {}
        trunc_file = folder / "truncation.jsonl"
        if trunc_file.is_file():
            for line in trunc_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    labels[rec["id"]] = rec
        count = 0
        for line in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            extra = rec.get("extra") or {}
            label = labels.get(rec["id"], {})
            pages.append(
                Page(
                    corpus=folder.name,
                    id=rec["id"],
                    path=str(folder / rec["html_file"]),
                    url=rec.get("url"),
                    expected_text=rec.get("expected_text"),
                    with_snippets=_snippets(extra.get("with")),
                    without_snippets=_snippets(extra.get("without")),
                    paywalled=rec.get("paywalled"),
                    truncated=label.get("truncated"),
                    access=label.get("access"),
                )
            )
            count += 1
            if limit and count >= limit:
                break
    return pages


# ---------------------------------------------------------------------------------------------
# Running one page (in a worker process)
# ---------------------------------------------------------------------------------------------

_PAYWALL_MS: list[float] = []


def _timed_assess():  # type: ignore[no-untyped-def]
    from scraper.paywall import verdict

    def assess(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return verdict.assess(*args, **kwargs)
        finally:
            _PAYWALL_MS.append((time.perf_counter() - start) * 1000)

    return assess


def _init_worker() -> None:
    import warnings

    warnings.simplefilter("ignore")
    from scraper.extract import article

    article.assess = _timed_assess()  # time the paywall step inside extract_article


def run_page(page: Page, plain: bool = True) -> Result:
    import trafilatura

    from scraper.decode import decode_html
    from scraper.extract.article import extract_article

    result = Result(page)
    raw = gzip.decompress(Path(page.path).read_bytes())
    try:
        _PAYWALL_MS.clear()
        start = time.perf_counter()
        art = extract_article(raw, page.url, None)
        result.ours_ms = (time.perf_counter() - start) * 1000
        result.paywall_ms = sum(_PAYWALL_MS)
        result.ours_text = art.text
        result.access = art.access
        result.declared = art.paywall_declared
        result.signals = tuple(
            s.name for s in art.paywall_evidence if s.weight
        ) or art.paywall_signals
        decided = next((s for s in art.paywall_evidence if s.name.startswith(DECLARATION_SIGNALS)), None)
        if decided is not None:
            result.declared_by = f"{decided.name} ({decided.detail})"
    except Exception as exc:  # a page that fails is reported, not fatal
        result.error = f"{type(exc).__name__}: {exc}"
    if plain:
        text = decode_html(raw, None).text
        start = time.perf_counter()
        result.plain_text = trafilatura.extract(text, url=page.url) or ""
        result.plain_ms = (time.perf_counter() - start) * 1000
    return result


def _run_chunk(args: tuple[list[Page], bool]) -> list[Result]:
    pages, plain = args
    return [run_page(p, plain) for p in pages]


def run_pages(pages: list[Page], jobs: int = 2, plain: bool = True) -> list[Result]:
    if jobs <= 1:
        from scraper.extract import article

        original = article.assess
        article.assess = _timed_assess()
        try:
            return [run_page(p, plain) for p in pages]
        finally:
            article.assess = original
    chunks = [(pages[i : i + 8], plain) for i in range(0, len(pages), 8)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
        out: list[Result] = []
        for part in pool.map(_run_chunk, chunks):
            out.extend(part)
    return out


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------


def token_prf(predicted: str, expected: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 over whitespace tokens."""
    pred = Counter(predicted.split())
    gold = Counter(expected.split())
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    common = sum((pred & gold).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    p = common / sum(pred.values())
    r = common / sum(gold.values())
    return p, r, 2 * p * r / (p + r)


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass
class SnippetCounts:
    tp: int = 0  # "with" snippets found
    fn: int = 0  # "with" snippets missing
    fp: int = 0  # "without" snippets kept
    tn: int = 0

    def add(self, text: str, with_: Iterable[str], without: Iterable[str]) -> None:
        flat = _norm(text)
        for snip in with_:
            if _norm(snip) in flat:
                self.tp += 1
            else:
                self.fn += 1
        for snip in without:
            if _norm(snip) in flat:
                self.fp += 1
            else:
                self.tn += 1

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Scores:
    name: str
    pages: int = 0
    errors: int = 0
    f1_ours: list[float] = field(default_factory=list)
    f1_plain: list[float] = field(default_factory=list)
    snip_ours: SnippetCounts = field(default_factory=SnippetCounts)
    snip_plain: SnippetCounts = field(default_factory=SnippetCounts)
    decl: Counter[str] = field(default_factory=Counter)  # tp fp fn
    decl_iaff: Counter[str] = field(default_factory=Counter)  # tp fp: isAccessibleForFree-based
    trunc: Counter[str] = field(default_factory=Counter)  # tp fp fn tn
    ours_ms: list[float] = field(default_factory=list)
    paywall_ms: list[float] = field(default_factory=list)
    plain_ms: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, r: Result) -> None:
        page = r.page
        self.pages += 1
        if r.error:
            self.errors += 1
            self.wrong.append(f"error      {page.id}: {r.error}")
            return
        self.ours_ms.append(r.ours_ms)
        self.paywall_ms.append(r.paywall_ms)
        if r.plain_ms:
            self.plain_ms.append(r.plain_ms)
        if page.corpus in SNIPPET_CORPORA:
            self.snip_ours.add(r.ours_text, page.with_snippets, page.without_snippets)
            self.snip_plain.add(r.plain_text, page.with_snippets, page.without_snippets)
        elif page.expected_text:
            self.f1_ours.append(token_prf(r.ours_text, page.expected_text)[2])
            self.f1_plain.append(token_prf(r.plain_text, page.expected_text)[2])
        said = r.declared is True
        gold = page.paywalled is True
        iaff = said and (r.declared_by or "").startswith(_IAFF)
        if iaff:
            self.decl_iaff["tp" if gold else "fp"] += 1
        if said and gold:
            self.decl["tp"] += 1
        elif said:
            self.decl["fp"] += 1
            if iaff:
                why = "label disagreement: the page does declare it"
            elif (r.declared_by or "").startswith("meta:content_tier"):
                why = "content_tier counts as a declaration here, not in the labels"
            else:
                why = "source rule"
            self.wrong.append(f"declared+  {page.id} (label {page.paywalled}; {r.declared_by}: {why})")
        elif gold:
            self.decl["fn"] += 1
            self.wrong.append(f"declared-  {page.id} (we say {r.declared})")
        if page.truncated is not None:
            cut = r.access != "full"
            if cut and page.truncated:
                self.trunc["tp"] += 1
            elif cut:
                self.trunc["fp"] += 1
                self.wrong.append(f"truncated+ {page.id}: {r.access} {list(r.signals)}")
            elif page.truncated:
                self.trunc["fn"] += 1
                self.wrong.append(f"truncated- {page.id}: {page.access} missed {list(r.signals)}")
            else:
                self.trunc["tn"] += 1

    def merge(self, other: Scores) -> None:
        self.pages += other.pages
        self.errors += other.errors
        self.f1_ours += other.f1_ours
        self.f1_plain += other.f1_plain
        for mine, theirs in ((self.snip_ours, other.snip_ours), (self.snip_plain, other.snip_plain)):
            mine.tp += theirs.tp
            mine.fn += theirs.fn
            mine.fp += theirs.fp
            mine.tn += theirs.tn
        self.decl.update(other.decl)
        self.decl_iaff.update(other.decl_iaff)
        self.trunc.update(other.trunc)
        self.ours_ms += other.ours_ms
        self.paywall_ms += other.paywall_ms
        self.plain_ms += other.plain_ms
        self.wrong += other.wrong

    # summary figures -------------------------------------------------------------------------
    def text_scores(self) -> tuple[float | None, float | None, str]:
        if self.f1_ours:
            return _mean(self.f1_ours), _mean(self.f1_plain), "F1"
        if self.snip_ours.tp + self.snip_ours.fn:
            return self.snip_ours.prf()[2], self.snip_plain.prf()[2], "snip-F1"
        return None, None, ""

    def declared_pr(self) -> tuple[float | None, float | None]:
        tp, fp, fn = self.decl["tp"], self.decl["fp"], self.decl["fn"]
        return (tp / (tp + fp) if tp + fp else None, tp / (tp + fn) if tp + fn else None)

    def declared_iaff_precision(self) -> float | None:
        """Precision of the paid declarations read from ``isAccessibleForFree`` (JSON-LD or
        microdata), the one source the corpora's ``paywalled`` labels follow."""
        tp, fp = self.decl_iaff["tp"], self.decl_iaff["fp"]
        return tp / (tp + fp) if tp + fp else None

    def truncation_prf(self) -> tuple[float | None, float | None, float | None]:
        tp, fp, fn, tn = (self.trunc[k] for k in ("tp", "fp", "fn", "tn"))
        return (
            tp / (tp + fp) if tp + fp else None,
            tp / (tp + fn) if tp + fn else None,
            fp / (fp + tn) if fp + tn else None,
        )

    def as_dict(self) -> dict[str, Any]:
        ours, plain, kind = self.text_scores()
        dp, dr = self.declared_pr()
        tp_, tr, fpr = self.truncation_prf()
        return {
            "name": self.name, "pages": self.pages, "errors": self.errors,
            "text_metric": kind, "text_ours": ours, "text_plain": plain,
            "declared_precision": dp, "declared_recall": dr, "declared_counts": dict(self.decl),
            "declared_iaff_precision": self.declared_iaff_precision(),
            "declared_iaff_counts": dict(self.decl_iaff),
            "truncation_precision": tp_, "truncation_recall": tr, "truncation_fpr": fpr,
            "truncation_counts": dict(self.trunc),
            "ms_ours": _mean(self.ours_ms), "ms_paywall": _mean(self.paywall_ms),
            "ms_plain": _mean(self.plain_ms), "wrong": list(self.wrong),
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score(results: Iterable[Result]) -> tuple[dict[str, Scores], Scores]:
    per: dict[str, Scores] = {}
    for r in results:
        per.setdefault(r.page.corpus, Scores(r.page.corpus)).add(r)
    overall = Scores("overall")
    for s in per.values():
        overall.merge(s)
    return per, overall


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(per: dict[str, Scores], overall: Scores) -> Iterator[str]:
    head = (
        f"{'corpus':<20} {'pages':>5} {'text':>7} {'ours':>6} {'traf':>6} {'diff':>7} "
        f"{'decl P':>6} {'P iAFF':>6} {'decl R':>6} {'trunc P':>7} {'trunc R':>7} {'FPR':>6} "
        f"{'ms ours':>7} {'ms pw':>6} {'ms traf':>7} {'pw %':>5}"
    )
    yield head
    yield "-" * len(head)
    for s in [*per.values(), overall]:
        ours, plain, kind = s.text_scores()
        diff = None if ours is None or plain is None else ours - plain
        dp, dr = s.declared_pr()
        tp, tr, fpr = s.truncation_prf()
        mo, mp, mt = _mean(s.ours_ms), _mean(s.paywall_ms), _mean(s.plain_ms)
        share = None if not mo or mp is None else 100 * mp / mo
        yield (
            f"{s.name:<20} {s.pages:>5} {kind:>7} {_f(ours):>6} {_f(plain):>6} "
            f"{('-' if diff is None else f'{diff:+.3f}'):>7} {_f(dp):>6} "
            f"{_f(s.declared_iaff_precision()):>6} {_f(dr):>6} "
            f"{_f(tp):>7} {_f(tr):>7} {_f(fpr, 4):>6} {_f(mo, 1):>7} {_f(mp, 2):>6} "
            f"{_f(mt, 1):>7} {_f(share, 1):>5}"
        )
    c = overall.trunc
    d = overall.decl
    yield ""
    yield (
        f"truncation: tp={c['tp']} fp={c['fp']} fn={c['fn']} tn={c['tn']}   "
        f"declared: tp={d['tp']} fp={d['fp']} fn={d['fn']} "
        f"(isAccessibleForFree-based: tp={overall.decl_iaff['tp']} fp={overall.decl_iaff['fp']})   "
        f"errors: {overall.errors}"
    )
    yield "text: F1 = bag-of-words token F1 vs expected_text, mean over pages; snip-F1 = share of"
    yield "      'with' snippets found vs 'without' snippets kept (trafilatura_eval)."
    yield "decl P/R = declared paid vs 'paywalled', every declaration source (isAccessibleForFree,"
    yield "      content_tier locked, source rules); P iAFF = precision of the declarations"
    yield "      read from isAccessibleForFree only, the one source the labels follow."
    yield "ms pw = paywall step inside ours; pw % = its share of our per-page time."
    if overall.wrong:
        yield ""
        yield f"pages judged wrongly ({len(overall.wrong)}):"
        for line in sorted(overall.wrong):
            yield "  " + line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA, help="corpora folder")
    parser.add_argument("--corpus", help="only this corpus (folder name)")
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per corpus")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    root: Path = args.corpora
    if not root.is_dir():
        print(f"corpora not found at {root}, skipping the evaluation")
        return 0
    pages = load_pages(root, args.corpus, args.limit)
    if not pages:
        print(f"no pages found under {root}" + (f" for corpus {args.corpus}" if args.corpus else ""))
        return 0
    start = time.perf_counter()
    results = run_pages(pages, jobs=max(1, args.jobs))
    per, overall = score(results)
    for line in render(per, overall):
        print(line)
    print(f"\n{len(pages)} pages in {time.perf_counter() - start:.1f} s with {args.jobs} jobs")
    if args.json:
        data = {"corpora": [s.as_dict() for s in per.values()], "overall": overall.as_dict()}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
