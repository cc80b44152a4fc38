"""Probe sets: wordings of notices and ordinary sentences written apart from the lexicon's own
``cases`` (``tests/paywall/probes/<lang>.yaml``), so the vocabulary is checked on phrasings it
was not written around: every probe notice reads as a notice, no ordinary probe does.

``beyond_vocabulary`` lists real notices that no vocabulary entry can make
:func:`reads_as_notice` accept without a change to its combination rule (a product name plus a
trial offer: "This article is part of Zeit Online Abo. Try it 4 weeks") or without a word that
would misread ordinary news (Indonesian *pelanggan* is a subscriber and any customer); they
are expected to fail, and the test says so when one starts to pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scraper.paywall.lexicon import matcher, reads_as_notice

from .test_lexicon import CODES

PROBES = Path(__file__).with_name("probes")
MIN_PROBES = 20
KEYS = {"notices", "ordinary", "beyond_vocabulary"}
BEYOND = pytest.mark.xfail(strict=True, reason="needs a rule change or an ambiguous word")


def _load(code: str) -> dict:
    return yaml.safe_load((PROBES / f"{code}.yaml").read_text(encoding="utf-8"))


def _params() -> list:
    params = []
    for code in CODES:
        data = _load(code)
        for kind, key in (("notice", "notices"), ("ordinary", "ordinary")):
            for i, text in enumerate(data[key], 1):
                params.append(pytest.param(kind, text, id=f"{code}-{kind}-{i}"))
        for i, text in enumerate(data.get("beyond_vocabulary") or [], 1):
            params.append(pytest.param("notice", text, id=f"{code}-beyond-{i}", marks=BEYOND))
    return params


def test_every_language_has_a_probe_set() -> None:
    assert sorted(p.stem for p in PROBES.glob("*.yaml")) == sorted(CODES)
    for code in CODES:
        data = _load(code)
        assert {"notices", "ordinary"} <= set(data) <= KEYS, code
        assert len(data["notices"]) >= MIN_PROBES, code
        assert len(data["ordinary"]) >= MIN_PROBES, code
        assert len(set(data["notices"])) == len(data["notices"]), code
        assert len(set(data["ordinary"])) == len(data["ordinary"]), code


@pytest.mark.parametrize(("kind", "text"), _params())
def test_probe_reads_as_its_kind(kind: str, text: str) -> None:
    found = matcher().concepts(text)
    assert reads_as_notice(found) == (kind == "notice"), (
        f"{kind} {text!r}: concepts {sorted(found)}, matched {matcher().hits(text)}"
    )


def test_lexicon_check_reads_a_corpus_and_skips_without_one(tmp_path: Path, capsys) -> None:
    from scraper.paywall.lexicon_check import main

    assert main(["--corpora", str(tmp_path / "absent"), "--probes", str(PROBES)]) == 0
    out = capsys.readouterr().out
    assert "corpora: skipped" in out and "all: notices read" in out

    corpus = tmp_path / "corpora" / "mini"
    corpus.mkdir(parents=True)
    record = {"id": "p1", "html_file": "html/p1.html.gz", "expected_text":
              "Netflix gained 8 million subscribers.\n\n"
              "The rest of this article is for subscribers only. Subscribe to continue reading."}
    (corpus / "index.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["--corpora", str(tmp_path / "corpora"), "--show", "5"]) == 0
    out = capsys.readouterr().out
    assert "gold paragraphs: 1 of 2 read as notices" in out
    assert "mini/p1" in out and "The rest of this article" in out

    assert main(["--lexicon", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
