"""The README's archive tools and SQL cookbook stay true: every SQL example runs, every view and
tool option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.archive import Archive
from scraper.archive.migrations import MIGRATIONS
from scraper.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def sql_statements() -> list[str]:
    text = README.read_text("utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    statements = []
    for block in blocks:
        block = "\n".join(line for line in block.splitlines() if not line.strip().startswith("--"))
        statements += [s.strip() for s in block.split(";") if s.strip()]
    return statements


def test_every_sql_example_runs(archive: Archive, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper.tools.export import export

    export(archive, tmp_path / "exports" / "articles", "parquet")
    monkeypatch.chdir(tmp_path)
    statements = sql_statements()
    assert statements
    for sql in statements:
        archive.read(lambda con, sql=sql: con.execute(sql).fetchall())


def test_every_view_is_in_the_cookbook() -> None:
    text = README.read_text("utf-8")
    views = re.findall(r"CREATE VIEW (\w+)", " ".join(s for m in MIGRATIONS for s in m.statements))
    assert views
    assert [v for v in views if f"`{v}`" not in text] == []


@pytest.mark.parametrize("command", ["reextract", "export", "import", "stats"])
def test_every_tool_command_is_documented(command: str) -> None:
    text = README.read_text("utf-8")
    assert f"### `scraper {command}`" in text
    params = [p for p in cli.commands[command].params if p.name not in ("db", "sources_path")]
    for param in params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in text, f"{opt} of scraper {command} is not in the README"
