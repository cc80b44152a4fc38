"""scraper.synth.report: the figures from outcomes, and the command end to end on tiny corpora.

These tests check that the report runs and says what it must, not how well the detector does."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from scraper.synth.report import Outcome, hidden_leak, main, notice_left, summarise

PACKAGE = Path(__file__).resolve().parents[2] / "scraper"


def _o(kind: str, access: str, *, expected: str | None = None, language: str | None = "fi",
       confidence: float = 0.9, left: bool | None = None, leak: bool | None = None) -> Outcome:
    expected = expected or {"lede": "locked", "full": "full", "full-promo": "full"}.get(kind, "truncated")
    return Outcome(id=f"c/p/{kind}", kind=kind, family=None, language=language, style="s",
                   split="heldout", expected=expected, access=access, confidence=confidence,
                   notice_left=left, hidden_leak=leak, ms=10.0, paywall_ms=1.0)


def test_summarise_counts_recall_false_positives_and_leaks() -> None:
    s = summarise([
        _o("box", "truncated", left=False), _o("box", "full", left=True, language="ko"),
        _o("lede", "locked", left=False), _o("hidden", "truncated", leak=True),
        _o("ellipsis", "full", language=None),
        _o("full", "full", language=None), _o("full-promo", "truncated", confidence=0.6),
        _o("full-promo", "full"),
    ])
    assert s["recall"]["box"] == {"n": 2, "caught": 1, "recall": 0.5}
    assert s["recall"]["lede"]["locked"] == 1.0
    assert s["recall"]["overall"]["recall"] == pytest.approx(3 / 5)
    assert s["recall_per_language"]["ko"]["recall"] == 0.0
    assert s["recall_per_language"]["fi"] == {"n": 3, "caught": 3, "recall": 1.0}
    assert s["false_positives"]["all"] == {"n": 3, "false_alarms": 1, "fpr": pytest.approx(1 / 3)}
    assert s["precision"] == pytest.approx(3 / 4)
    assert s["notice_left_in_text"] == {"n": 3, "share": pytest.approx(1 / 3)}
    assert s["hidden_leak"] == {"n": 1, "share": 1.0}
    low = next(r for r in s["reliability"] if r["bin"] == "0.6-0.7")
    assert (low["n"], low["accuracy"]) == (1, 0.0)
    assert s["ms_paywall"] == 1.0


def test_notice_left_and_hidden_leak() -> None:
    text = "Budget approved.\n\nThe rest of this article is  reserved for subscribers."
    assert notice_left("The rest of this article is reserved for subscribers.", text)
    assert not notice_left("Subscribe to continue reading.", text)
    assert notice_left("本文剩余内容仅限订阅用户阅读。", "正文。本文剩余内容仅限订阅用户阅读。")
    para = "Fish counts tell the same story. Anglers report more brown trout in the stretches."
    assert hidden_leak([para], "intro\n\n" + para) and not hidden_leak([para], "intro")


def test_command_runs_and_reports_every_figure(corpora: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "synth.json"
    assert main(["--corpora", str(corpora), "--jobs", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for needle in ("held-out half", "dev half", "truncation recall", "recall per notice language",
                   "false positives", "notice left in text", "hidden text leaked",
                   "reliability", "mean time per page"):
        assert needle in printed
    data = json.loads(out.read_text("utf-8"))
    assert data["variants"] == 21 and set(data["halves"]) == {"heldout", "dev"}
    for half in data["halves"].values():
        assert {"recall", "recall_per_language", "false_positives", "precision",
                "notice_left_in_text", "hidden_leak", "reliability", "ece", "ms_extract",
                "ms_paywall"} <= set(half)
    assert sum(h["variants"] for h in data["halves"].values()) + data["mixed"] == 21


def test_command_on_one_half_with_two_jobs(corpora: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpora", str(corpora), "--jobs", "2", "--split", "heldout"]) == 0
    printed = capsys.readouterr().out
    assert "held-out half" in printed and "dev half" not in printed


def test_without_corpora_it_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpora", str(tmp_path / "missing")]) == 0
    assert "skipping the synthetic paywall evaluation" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--max-pages", "0"])
    assert exc.value.code == 2
    assert "error: argument --max-pages: 0 is not a positive number" in capsys.readouterr().err


def test_unwritable_json_is_one_error_line(corpora: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpora", str(corpora), "--jobs", "1", "--max-pages", "1",
                 "--json", str(tmp_path / "no" / "such" / "dir.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write ") and err.count("\n") == 1


def test_the_runtime_never_imports_the_synth_package() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "synth" in path.relative_to(PACKAGE).parts:
            continue
        if path.relative_to(PACKAGE).as_posix() == "paywall/train.py":
            continue  # make train-paywall: a tool that reads the development half, not runtime
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("scraper.synth") for n in names), path


def test_a_generator_failure_is_reported_not_fatal(corpora: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from scraper.synth import report

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "page_variants", broken)
    assert main(["--corpora", str(corpora), "--jobs", "1", "--max-pages", "1"]) == 0
    printed = capsys.readouterr().out
    assert "generating variants: RuntimeError: boom" in printed


def test_the_in_process_run_leaves_extract_article_as_it_was(corpora: Path) -> None:
    from scraper.extract import article

    before = getattr(article, "assess", None)  # the paywall stage, timed while the run lasts
    assert main(["--corpora", str(corpora), "--jobs", "1", "--max-pages", "1"]) == 0
    assert getattr(article, "assess", None) is before
