"""Helpers of the hardening tests: run the real CLI in a subprocess, plant sources files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 60, preexec_fn: Callable[[], None] | None = None,
            prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """``python -m scraper ARGS`` in a subprocess; no SCRAPER_* variable leaks in from outside."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    base["PYTHONPATH"] = str(ROOT)
    base.update(env or {})
    return subprocess.run([*prefix, sys.executable, "-m", "scraper", *args], capture_output=True,
                          text=True, env=base, cwd=cwd, timeout=timeout, preexec_fn=preexec_fn)


def one_error_line(stderr: str) -> str:
    """The stderr of a failed command holds exactly one ``error: …`` line and no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def cli_runner() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli
