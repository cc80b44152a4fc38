"""Progress bars: counts and rates on a terminal, nothing anywhere else."""

from __future__ import annotations

import io

from scraper.progress import QUIET, RichProgress, is_interactive, progress_bar


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_when_not_a_terminal() -> None:
    assert not is_interactive(io.StringIO(), FakeTTY())
    assert not is_interactive(FakeTTY(), io.StringIO())
    assert is_interactive(FakeTTY(), FakeTTY())
    with progress_bar(enabled=False) as bar:
        assert bar is QUIET
        bar.start("x", 3)
        bar.advance("x")


def test_bars_show_counts() -> None:
    out = io.StringIO()
    with progress_bar(enabled=True, stream=out) as bar:
        assert isinstance(bar, RichProgress)
        bar.start("export", total=3)
        for _ in range(3):
            bar.advance("export")
        bar.advance("import", 2)  # a task started by its first advance, total unknown
    text = out.getvalue()
    assert "export" in text and "3/3" in text
    assert "import" in text and "2/?" in text


def test_commands_under_clirunner_draw_no_bar(tmp_path, run, archive) -> None:  # type: ignore[no-untyped-def]
    result = run("export", "--format", "jsonl", str(tmp_path / "a.jsonl"))
    assert result.output == f"exported 5 article(s) as jsonl to {tmp_path / 'a.jsonl'}\n"
