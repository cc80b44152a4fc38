"""Worker processes die with the process that made them, however it dies (scraper/workers.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]

PARENT = """
import os, sys, time
from scraper.workers import process_pool

if __name__ == "__main__":
    pool = process_pool(2)
    pids = {pool.submit(os.getpid).result() for _ in range(8)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    if sys.argv[1] == "exit":
        os._exit(0)  # no clean-up at all
    time.sleep(60)
"""


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("death", ["SIGKILL", "exit"])
def test_workers_and_fork_server_exit_with_their_parent(tmp_path: Path, death: str) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), death], stdout=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        helpers = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)] if death != "exit" else []
        assert workers
        if death == "SIGKILL":
            assert set(workers) <= set(helpers)  # workers, their fork server, the resource tracker
            proc.kill()
        proc.wait(timeout=10)
        end = time.monotonic() + 10
        while any(running(p) for p in workers + helpers) and time.monotonic() < end:
            time.sleep(0.1)
        assert not [p for p in workers + helpers if running(p)]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
