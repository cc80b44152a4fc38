"""Three daemons, one PostgreSQL catalog, one S3 warehouse, six sources on the fixture web.

Every article lands in the lake exactly once; SIGKILL one daemon and its sources move to the
others without losing anything; the lake answers queries while they publish."""

from __future__ import annotations

import json
from collections import Counter
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.fixtureweb import FixtureWeb
from scraper.lake.catalog import Lake, open_lake
from scraper.lake.query import run_lake_sql
from scraper.settings import from_env
from scraper.fixtureweb.server import SITES_ROOT
from tests.services import S3

TEMPLATE = (SITES_ROOT / "developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-"
            "experimental-et-un-compilateur-jit/index.html").read_bytes()
SOURCES = [f"site{j}" for j in range(1, 7)]


def publish(web: FixtureWeb, source: str, ids: range) -> None:
    """Articles ``ids`` of ``source`` and its feed listing all of them so far."""
    for i in ids:
        body = TEMPLATE.replace(b"364012", str(i).encode()).replace(
            b"Python 3.13", f"Python 3.13 ({source} {i})".encode()).replace(
            b"<p>", f"<p>Article {i} of {source}. ".encode(), 3)
        web.put(f"/{source}/actu/{i}/", body, content_type="text/html; charset=iso-8859-1")
    first = int(source[4:]) * 1000
    items = "".join(f"<item><title>A {i}</title><link>/{source}/actu/{i}/</link><guid>{source}-{i}</guid></item>"
                    for i in range(first, ids.stop))
    web.put(f"/{source}/rss", f"<?xml version='1.0'?><rss version='2.0'><channel><title>{source}</title>"
                              f"{items}</channel></rss>", content_type="application/rss+xml")


def sources_yaml(base: str) -> str:
    host = base.split("://", 1)[1].rsplit(":", 1)[0]
    out = ["sources:"]
    for name in SOURCES:
        out += [f"  - name: {name}", f"    domains: [{json.dumps(host)}]", "    allow_private: true",
                "    poll_interval: {every: 1}", "    politeness: {min_delay: 0, concurrency: 4}",
                "    language: fr", f"    feeds: [{json.dumps(base + '/' + name + '/rss')}]",
                "    article_url:",
                f"      include: [{json.dumps('^http://' + host.replace('.', chr(92) + '.') + ':[0-9]+/' + name + '/actu/[0-9]+/$')}]"]
    return "\n".join(out) + "\n"


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        w.put("/robots.txt", "User-agent: *\nCrawl-delay: 0\n")
        yield w


def lake_env(pg_url: str, s3: S3, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(s3.environ())
    env.update(SCRAPER_LAKE_CATALOG=pg_url, SCRAPER_LAKE_WAREHOUSE=f"s3://{s3.bucket}/{prefix}",
               SCRAPER_LAKE_PUBLISH_EVERY="1s")
    return env


def cli(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


_lakes: dict[str, Lake] = {}


def lake_rows(env: dict[str, str], sql: str, cwd: Path) -> list[dict[str, object]]:
    """The rows of ``sql`` over the lake, in this process (``scraper lake sql``'s own path)."""
    key = env["SCRAPER_LAKE_WAREHOUSE"]
    if key not in _lakes:
        _lakes[key] = open_lake(from_env(env), env)
    columns, rows = run_lake_sql(_lakes[key], sql)
    return [dict(zip(columns, row, strict=True)) for row in rows]


@pytest.fixture(autouse=True)
def _close_lakes() -> Iterator[None]:
    yield
    while _lakes:
        _lakes.popitem()[1].close()


def wait_for(pred: object, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


def test_three_daemons_publish_each_article_once_and_survive_a_kill(
        web: FixtureWeb, pg_url: str, s3: S3, tmp_path: Path) -> None:
    for j, name in enumerate(SOURCES, 1):
        publish(web, name, range(j * 1000, j * 1000 + 4))
    (tmp_path / "sources.yaml").write_text(sources_yaml(web.base_url))
    env = lake_env(pg_url, s3, "many")
    daemons = []
    for n in range(3):
        log = open(tmp_path / f"d{n}.log", "w")  # noqa: SIM115 - closed below
        daemons.append(subprocess.Popen(
            [sys.executable, "-m", "scraper", "-v", "daemon", "--sources", "sources.yaml",
             "--db", f"d{n}.duckdb", "--grace", "3"], env=env, cwd=tmp_path, stdout=log,
            stderr=subprocess.STDOUT))
        log.close()
    try:
        def lake_count() -> tuple[int, int]:
            row = lake_rows(env, "SELECT count(*) AS n, count(DISTINCT canonical_url) AS d FROM articles",
                            tmp_path)[0]
            return int(row["n"]), int(row["d"])  # type: ignore[call-overload]

        t0 = time.monotonic()
        # the lake is queried again and again while the daemons publish into it
        assert wait_for(lambda: lake_count() == (24, 24), 120), (lake_count(), (tmp_path / "d0.log").read_text()[-3000:])

        print(f"24 articles in the lake after {time.monotonic() - t0:.1f}s")

        def holders() -> dict[str, str]:
            done = cli(env, "status", "--lake", "--sources", "sources.yaml", "--format", "jsonl", cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            return {r["source"]: r["daemon"] for r in map(json.loads, done.stdout.splitlines())}

        def owner_pids(held: dict[str, str]) -> list[int]:
            return [int(str(d).split("pid=")[1].split()[0]) for d in held.values() if d]

        # every source held, two per daemon: the first daemon up let go of what exceeded its share
        assert wait_for(lambda: sorted(Counter(owner_pids(h := holders())).values()) == [2, 2, 2]
                        and all(h.values()), 60), holders()
        held = holders()
        pids = {p.pid: p for p in daemons}
        owners = owner_pids(held)
        victim = pids[max(set(owners), key=owners.count)]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)

        for j, name in enumerate(SOURCES, 1):
            publish(web, name, range(j * 1000 + 4, j * 1000 + 7))
        t1 = time.monotonic()
        assert wait_for(lambda: lake_count() == (42, 42), 120), lake_count()
        print(f"42 articles in the lake {time.monotonic() - t1:.1f}s after the kill")

        # the victim's two sources went to the two others: three each
        assert wait_for(lambda: sorted(Counter(owner_pids(h := holders())).values()) == [3, 3]
                        and all(h.values()) and victim.pid not in owner_pids(h), 60), holders()
        # revisions: one per article, also once
        versions = lake_rows(env, "SELECT count(*) AS n, count(DISTINCT canonical_url) AS d "
                                  "FROM article_versions", tmp_path)[0]
        assert versions == {"n": 42, "d": 42}
        done = cli(env, "lake", "sql", "--format", "csv", "SELECT count(*) AS n FROM fetches WHERE status = 200",
                   cwd=tmp_path)
        assert done.returncode == 0 and int(done.stdout.splitlines()[1]) >= 42, done.stderr
        by_source = lake_rows(env, "SELECT source, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1", tmp_path)
        assert by_source == [{"source": s, "n": 7} for s in SOURCES]
    finally:
        for p in daemons:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in daemons:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_warc_files_on_s3(s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """raw_store: warc with an s3:// prefix: one object per sealed batch, read back by range."""
    from scraper.archive import Archive, rawstore, store_captures
    from scraper.archive.queries import stored_response
    from tests.archive.test_rawstore import capture, rows

    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    archive = Archive(tmp_path / "a.duckdb")
    rawstore.configure(archive.path, rawstore.WarcStore(f"s3://{s3.bucket}/warc", environ=s3.environ()))
    try:
        archive.write(lambda con: store_captures(con, [capture(i) for i in range(3)]))
        archive.write(lambda con: store_captures(con, [capture(i) for i in range(3, 5)]))
    finally:
        rawstore.configure(archive.path, None)
    stored = rows(archive)
    assert all(str(r["warc_file"]).startswith(f"s3://{s3.bucket}/warc/") for r in stored)
    assert len({r["warc_file"] for r in stored}) == 2
    assert [stored_response(r).content for r in stored] == [capture(i).response.content for i in range(5)]  # type: ignore[union-attr]
