"""scraper.evaluate: scores, loading, and the command on a tiny corpus."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scraper import evaluate
from scraper.evaluate import Page, Result, SnippetCounts, Scores, load_pages, main, token_prf

ARTICLE = (
    "<html><head><title>T</title></head><body><article><h1>Budget</h1>"
    + "<p>The council approved the budget after a long debate about schools and roads.</p>" * 4
    + "<p>Create a free account to continue reading.</p></article></body></html>"
)


def test_token_prf() -> None:
    assert token_prf("a b c", "a b c") == (1.0, 1.0, 1.0)
    p, r, f = token_prf("a b", "a b c d")
    assert (p, r) == (1.0, 0.5)
    assert f == pytest.approx(2 / 3)
    assert token_prf("", "a") == (0.0, 0.0, 0.0)
    assert token_prf("", "") == (1.0, 1.0, 1.0)


def test_snippet_counts_normalise_whitespace() -> None:
    counts = SnippetCounts()
    counts.add("one  two\nthree four", ["two three", "five"], ["four", "six"])
    assert (counts.tp, counts.fn, counts.fp, counts.tn) == (1, 1, 1, 1)
    assert counts.prf() == (0.5, 0.5, 0.5)


def _page(**kw: object) -> Page:
    base = dict(corpus="c", id="p", path="x", url=None, expected_text=None, with_snippets=(),
                without_snippets=(), paywalled=None, truncated=None, access=None)
    base.update(kw)
    return Page(**base)  # type: ignore[arg-type]


def test_scores_count_truncation_and_declared() -> None:
    s = Scores("c")
    s.add(Result(_page(id="a", truncated=True, paywalled=True), access="truncated", declared=True))
    s.add(Result(_page(id="b", truncated=False, paywalled=None), access="truncated", declared=True))
    s.add(Result(_page(id="c", truncated=True, paywalled=True), access="full", declared=None))
    s.add(Result(_page(id="d", truncated=False), access="full"))
    assert s.truncation_prf() == (0.5, 0.5, 0.5)
    assert s.declared_pr() == (0.5, 0.5)
    assert len(s.wrong) == 4


def _corpus(root: Path) -> None:
    folder = root / "tiny"
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "p1.html.gz").write_bytes(gzip.compress(ARTICLE.encode()))
    rec = {"id": "p1", "url": "https://news.example/a", "html_file": "html/p1.html.gz",
           "expected_text": "The council approved the budget", "paywalled": None,
           "extra": {"with": "['approved the budget']", "without": "[]"}}
    (folder / "index.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    label = {"id": "p1", "truncated": True, "access": "truncated", "checked": "hand"}
    (folder / "truncation.jsonl").write_text(json.dumps(label) + "\n", encoding="utf-8")


def test_load_pages(tmp_path: Path) -> None:
    _corpus(tmp_path)
    [page] = load_pages(tmp_path)
    assert page.truncated is True
    assert page.with_snippets == ("approved the budget",)


def test_main_on_a_tiny_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _corpus(tmp_path)
    assert main(["--corpora", str(tmp_path), "--jobs", "1", "--json", str(tmp_path / "out.json")]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "overall" in out
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["overall"]["truncation_recall"] == 1.0


def test_main_without_corpora(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpora", str(tmp_path / "missing")]) == 0
    assert "corpora not found" in capsys.readouterr().out


def test_default_corpora_beside_the_repository() -> None:
    repo = Path(evaluate.__file__).resolve().parents[1]
    assert evaluate.DEFAULT_CORPORA == repo.parent / "shared" / "corpora"


def test_declared_precision_by_source_and_label_disagreements() -> None:
    s = Scores("c")
    iaff = "jsonld:isAccessibleForFree=false (isAccessibleForFree)"
    s.add(Result(_page(id="a", paywalled=True), declared=True, declared_by=iaff))
    s.add(Result(_page(id="b", paywalled=None), declared=True, declared_by=iaff))
    s.add(Result(_page(id="c", paywalled=None), declared=True,
                 declared_by="meta:content_tier=metered (article:content_tier)"))
    assert s.declared_pr() == (pytest.approx(1 / 3), 1.0)
    assert s.declared_iaff_precision() == 0.5  # the content_tier page is left out
    assert any("b (label None" in w and "label disagreement" in w for w in s.wrong)
    assert any("c (label None" in w and "content_tier" in w for w in s.wrong)
