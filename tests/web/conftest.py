"""``scraper serve`` as a real process on 127.0.0.1 (port 0), over archives built for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from scraper.archive import Archive, store_captures
from scraper.models import Signal
from scraper.sources.config import load_sources
from tests.search.conftest import (
    HOSTILE_RAW,
    HOSTILE_TEXT,
    HOSTILE_TITLE,
    T0,
    article_capture,
    extra_captures,
)
from tests.tools.conftest import captures as fixture_captures
from tests.tools.conftest import write_sources

HOSTILE_URL = "javascript:window.__pwned='url'"


@dataclass
class Served:
    url: str
    db: Path
    process: subprocess.Popen[str]

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        import httpx

        return httpx.get(self.url.rstrip("/") + path, timeout=30, **kwargs)  # type: ignore[arg-type]


def build_archive(db: Path, tmp: Path) -> None:
    """The fixture pages, the written articles, a revised article and a hostile one."""
    sources = load_sources(write_sources(tmp / "sources.yaml"))
    arc = Archive(db, lock_timeout=5.0)
    caps = fixture_captures(sources) + extra_captures()
    evidence = (Signal("notice:meaning", '<b onmouseover="window.__pwned=1">detail</b>', 5.0),)
    caps.append(article_capture(HOSTILE_URL, HOSTILE_TITLE, HOSTILE_TEXT, source="hostile",
                                access="truncated", raw=HOSTILE_RAW, evidence=evidence,
                                notice='<script>window.__pwned="notice"</script>Subscribe',
                                at=T0 + timedelta(hours=20)))
    arc.write(lambda con: store_captures(con, caps))
    # a revision: text changed and access flipped
    revised = article_capture("https://testsite.example/fr/maire", "Le nouveau maire",
                              "L’élection du nouveau maire a eu lieu hier soir au conseil municipal, "
                              "devant une salle comble.", access="full",
                              published=T0 - timedelta(days=3), at=T0 + timedelta(days=1))
    arc.write(lambda con: store_captures(con, [revised]))


def start_server(db: Path, cwd: Path | None = None) -> Served:
    """``scraper serve --db DB --port 0``; with ``cwd``, run there with DB relative to it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    shown = db.relative_to(cwd) if cwd else db
    process = subprocess.Popen(
        [sys.executable, "-m", "scraper", "serve", "--db", str(shown), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("serving "):
        process.kill()
        process.wait()
        raise RuntimeError(f"scraper serve did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
    url = line.split(" at ", 1)[1].split()[0]
    served = Served(url, db, process)
    _wait_ready(served)
    return served


def _wait_ready(served: Served) -> None:
    import time

    import httpx

    deadline = time.monotonic() + 20
    while True:
        try:
            served.get("/static/style.css")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
    for stream in (served.process.stdout, served.process.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("web")
    db = tmp / "archive" / "news.duckdb"
    build_archive(db, tmp)
    server = start_server(db)
    try:
        yield server
    finally:
        stop_server(server)


def article_id(served: Served, url_part: str) -> int:
    rows = served.get("/api/articles?page=1").json()["articles"]
    return next(r["id"] for r in rows if url_part in r["url"])
