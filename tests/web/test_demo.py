"""``make demo`` builds the search index of its archive and ends with the serve command."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from scraper.demo import main as demo_main
from scraper.search import SearchIndex


def test_demo_indexes_and_prints_the_serve_command(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert demo_main(["--db", str(db)]) == 0
    lines = out.getvalue().rstrip().splitlines()
    assert lines[-1].startswith(f"browse it: .venv/bin/scraper serve --db {db}")
    assert "**shadow** **AI**" in out.getvalue()
    assert SearchIndex.for_archive(db).exists()
