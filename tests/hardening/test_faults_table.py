"""The fault table of ``make faults``: every fault survived, nothing lost, no duplicate."""

from __future__ import annotations

from pathlib import Path

from scraper.faults import FAULTS, run_faults


def test_every_fault_survives_without_loss_or_duplicates(tmp_path: Path) -> None:
    rows = run_faults(workdir=tmp_path)
    assert [r.fault for r in rows] == [f.name for f in FAULTS]
    failed = [r.as_tuple() for r in rows if not r.ok]
    assert failed == []
    assert sum(r.lost for r in rows) == 0
    assert sum(r.duplicates for r in rows) == 0
