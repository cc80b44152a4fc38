"""Real services for the lake tests, started by the tests on 127.0.0.1 and stopped after them.

- PostgreSQL from the machine's own binaries (``postgres``/``initdb`` on PATH or under
  /usr/lib/postgresql/*/bin; ``.ci/run`` installs Debian's package when they are missing),
  in a fresh data directory on a free port. As root, it runs as the ``postgres`` user, since
  PostgreSQL refuses to run as root.
- An S3-compatible server: moto in server mode (``moto[server]``), with one bucket.

When a service cannot be had, the tests that need it skip and say why (``pytest -ra`` lists
the reasons).
"""

from __future__ import annotations


import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_SKIP = "PostgreSQL binaries (initdb, postgres) not found: install postgresql (.ci/run does)"
S3_SKIP = "moto[server] not installed: pip install -e '.[dev]' (the S3 server for the lake tests)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "postgres").exists():
            return Path(candidate)
    return None


@contextmanager
def postgres() -> Iterator[str]:
    """A running PostgreSQL; yields its SQLAlchemy URL (psycopg driver)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise RuntimeError(PG_SKIP)
    root = Path(tempfile.mkdtemp(prefix="scraper-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "scraper",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        proc = subprocess.Popen(
            [*as_user, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(port, proc, 30)
            yield f"postgresql+psycopg://scraper@127.0.0.1:{port}/postgres"
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str

    def environ(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}


@contextmanager
def s3_server() -> Iterator[S3]:
    """moto's S3 on 127.0.0.1 with a bucket ``lake``, in a process of its own (in this one it
    would compete for the GIL with the test's own queries)."""
    try:
        import boto3
        import moto.server  # noqa: F401 - only to know it is installed
    except ImportError as exc:
        raise RuntimeError(S3_SKIP) from exc
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = S3(endpoint, "lake")
        env = s3.environ()
        client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"])
        end = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket=s3.bucket)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield s3
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a service, killing it when it does not stop within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {proc.returncode} before accepting connections")
        try:
            import psycopg

            with psycopg.connect(f"postgresql://scraper@127.0.0.1:{port}/postgres", connect_timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"postgres did not accept connections on port {port} within {timeout:g}s")
