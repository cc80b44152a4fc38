"""Regression on the shared corpora: the paywall figures must not fall below what was measured.

Runs only the pages that carry paywall labels worth checking (every page labelled truncated,
every page with a declaration label, every hand-checked full page), our extractor only, on two
processes: a few seconds. ``make eval`` measures everything, with plain trafilatura beside it.
Measured on the labelled pages with the fitted model of issue 11 (concepts, not the first
version's 36 phrases written from these very pages): truncation precision 0.583, recall 0.500
(7 of 14), FPR 0.004; leave-one-site-out (each site judged by a model fitted without it):
recall 0.500, FPR 0.006. The first version's 0.929 recall came from phrases copied from these
pages; the thresholds below guard the new figures. Declared precision 0.979, recall 1.000.
"""

from __future__ import annotations

import pytest

from scraper.evaluate import DEFAULT_CORPORA, load_pages, run_pages, score

pytestmark = pytest.mark.skipif(
    not DEFAULT_CORPORA.is_dir(), reason=f"corpora not found at {DEFAULT_CORPORA}; skipping"
)


@pytest.fixture(scope="module")
def overall():  # type: ignore[no-untyped-def]
    pages = load_pages(DEFAULT_CORPORA)
    chosen = [p for p in pages if p.truncated or p.paywalled is not None]
    hand = {p.id for p in pages if p.truncated is False}
    chosen += [p for p in pages if p.id in hand and p.corpus != "trafilatura_eval" and p not in chosen]
    chosen += [p for p in pages if p.corpus == "trafilatura_eval" and p.truncated is False][:150]
    results = run_pages(chosen, jobs=2, plain=False)
    return score(results)[1]


def test_no_page_fails(overall) -> None:  # type: ignore[no-untyped-def]
    # pages with no article text are refused (extract:no-article), not failures: four of
    # Readability's synthetic feature tests (1-8 words) and a page trafilatura extracts nothing from
    errors = [w for w in overall.wrong if w.startswith("error")]
    failures = [w for w in errors if "ContentError: no article text" not in w]
    assert failures == [] and len(errors) <= 5, errors


def test_truncation_recall(overall) -> None:  # type: ignore[no-untyped-def]
    assert overall.truncation_prf()[1] >= 0.5, overall.wrong


def test_truncation_precision(overall) -> None:  # type: ignore[no-untyped-def]
    assert overall.truncation_prf()[0] >= 0.55, overall.wrong


def test_truncation_false_positive_rate(overall) -> None:  # type: ignore[no-untyped-def]
    assert overall.truncation_prf()[2] <= 0.01, overall.wrong


def test_declared_precision_and_recall(overall) -> None:  # type: ignore[no-untyped-def]
    precision, recall = overall.declared_pr()
    assert precision is not None and precision >= 0.92, overall.wrong
    assert recall is not None and recall >= 0.98, overall.wrong
    iaff = overall.declared_iaff_precision()
    assert iaff is not None and iaff >= 0.96, overall.wrong


def test_text_f1_on_gold_text(overall) -> None:  # type: ignore[no-untyped-def]
    ours, _, kind = overall.text_scores()
    assert kind == "F1"
    assert ours is not None and ours >= 0.90
