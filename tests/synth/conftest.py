"""A tiny corpora folder built from tests/fixtures/synth, in the layout of ../shared/corpora."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scraper.synth.generate import Variant, variants

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "synth"
TRUNCATED_PAGE = (
    "<html><body><article><h1>Budget</h1><p>The council approved the budget after a long "
    "debate.</p><p>La suite de cet article est réservée aux abonnés.</p></article></body></html>"
)


def build_corpora(root: Path) -> Path:
    records = [json.loads(line) for line in (FIXTURES / "pages.jsonl").read_text("utf-8").splitlines()]
    by_corpus: dict[str, list[dict[str, object]]] = {}
    for rec in records:
        by_corpus.setdefault(rec["corpus"], []).append(rec)
    # one page labelled truncated, which the generator must never use
    by_corpus["written"].append({"id": "written-truncated", "publisher": "x", "url": None,
                                 "language": "fr", "expected_text": None, "truncated": True})
    for corpus, recs in by_corpus.items():
        folder = root / corpus
        (folder / "html").mkdir(parents=True)
        index, labels = [], []
        for rec in recs:
            raw = ((FIXTURES / str(rec["file"])).read_bytes() if "file" in rec
                   else TRUNCATED_PAGE.encode())
            (folder / "html" / f"{rec['id']}.html.gz").write_bytes(gzip.compress(raw))
            index.append({"id": rec["id"], "publisher": rec["publisher"], "url": rec["url"],
                          "language": rec["language"], "html_file": f"html/{rec['id']}.html.gz",
                          "expected_text": rec["expected_text"]})
            truncated = bool(rec.get("truncated"))
            labels.append({"id": rec["id"], "truncated": truncated,
                           "access": "truncated" if truncated else "full", "checked": "hand"})
        (folder / "index.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in index), "utf-8")
        (folder / "truncation.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in labels), "utf-8")
    return root


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpora(tmp_path_factory.mktemp("corpora"))


@pytest.fixture(scope="session")
def all_variants(corpora: Path) -> list[Variant]:
    return list(variants(corpora, seed=0))
