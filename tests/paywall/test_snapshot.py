"""The behaviour snapshot: records a corpus's verdicts, and tells exactly what changed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scraper.paywall import snapshot

PROSE = "The council approved the budget after a long debate about schools, roads and the library."
ARTICLE = "<html><head><title>Budget</title></head><body><article>" + "".join(
    f"<p>{PROSE} Paragraph {i}.</p>" for i in range(8)) + "</article></body></html>"
TEASER = "<html><body><article>" + "".join(f"<p>{PROSE}</p>" for _ in range(3)) + (
    "<p>The rest of this article is for subscribers only. Subscribe now to continue reading.</p>"
    "</article></body></html>")


@pytest.fixture
def corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "corpora"
    (root / "mini" / "html").mkdir(parents=True)
    lines = []
    for page_id, html in (("full", ARTICLE), ("teaser", TEASER), ("binary", "\x00\x01PNG")):
        (root / "mini" / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        lines.append(json.dumps({"id": page_id, "url": f"https://news.example/{page_id}",
                                 "html_file": f"html/{page_id}.html.gz"}))
    (root / "mini" / "index.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(snapshot, "CORPORA", root)
    return root


def test_snapshot_then_compare_finds_no_difference(corpora: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.jsonl"
    assert snapshot.main(["--out", str(out)]) == 0
    records = {r["page"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"mini/full", "mini/teaser", "mini/binary"}
    assert records["mini/full"]["access"] == "full"
    assert records["mini/teaser"]["notice"].startswith("The rest of this article")
    assert len(records["mini/teaser"]["text_sha256"]) == 64
    assert "error" in records["mini/binary"]
    assert snapshot.main(["--compare", str(out)]) == 0
    assert "0 difference(s) over 3 pages" in capsys.readouterr().err


def test_compare_names_the_page_and_field_that_changed(corpora: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.jsonl"
    snapshot.main(["--out", str(out)])
    records = [json.loads(line) for line in out.read_text().splitlines()]
    for r in records:
        if r["page"] == "mini/full":
            r["confidence"] = 0.5
    records.append({"page": "mini/gone", "access": "full"})
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert snapshot.main(["--compare", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("mini/full: confidence: 0.5 -> ") for line in printed)
    assert "mini/gone: only in the snapshot" in printed


def test_missing_corpora_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(snapshot, "CORPORA", tmp_path / "nowhere")
    assert snapshot.main(["--out", str(tmp_path / "s.jsonl")]) == 0
    assert "skipped: corpora not found" in capsys.readouterr().err
    assert not (tmp_path / "s.jsonl").exists()


def test_unreadable_snapshot_is_one_error_line(corpora: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot.main(["--compare", str(tmp_path / "absent.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read snapshot") and len(err.strip().splitlines()) == 1
