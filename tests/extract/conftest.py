from __future__ import annotations

from pathlib import Path

import pytest

# ../shared/corpora beside the repository root (tests/extract/ -> tests/ -> repo root).
CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


@pytest.fixture
def corpora() -> Path:
    if not (CORPORA / "fundus" / "index.jsonl").is_file():
        pytest.skip(f"regression corpora not found at {CORPORA.resolve()} (a sibling of the repo root)")
    return CORPORA
