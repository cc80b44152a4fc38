"""The README's examples run as written: every `scraper …` command of its console and shell
blocks, and every statement of its SQL cookbook, against an archive polled from the fixture web
(what `make demo` archives), in a directory laid out as the README assumes (`sources.yaml`,
`archive/news.duckdb`). Examples that need the internet, a crawl of one's own or run forever are
listed in SKIP with the reason; the test fails when one of those disappears from the README."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.server import SITES_ROOT
from scraper.fixtureweb.sources import render_sources

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent

# example -> why it is not run here
SKIP = {
    "scraper fetch https://www.developpez.com/actu/363891/": "the live site (the fixture web serves its copy)",
    "scraper fetch --json --no-store https://example.org/story": "the internet",
    "wget --warc-file=ledger": "the internet",
    "scraper import ledger.warc.gz crawl-2024.warc": "a crawl of one's own",
    "head -c 20000 crawl.warc": "a crawl of one's own",
    "scraper -v daemon": "runs until stopped (tests/cli/test_everyday.py runs it)",
    "scraper -v --log-format json daemon": "runs until stopped",
    "scraper serve --db archive/demo.duckdb": "serves until stopped (tests/web run scraper serve)",
    "scraper lake sql": "needs a lake catalog and warehouse (tests/lake run these commands)",
    "scraper lake compact": "needs a lake catalog and warehouse (tests/lake run it)",
}


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", README, flags=re.S | re.M)


def commands() -> list[str]:
    """`$ …` lines of console blocks and `scraper …` commands of sh blocks (a quoted query may
    span lines), in README order."""
    found: list[tuple[int, str]] = []
    for match in re.finditer(r"^```(console|sh)\n(.*?)^```", README, flags=re.S | re.M):
        kind, body = match.groups()
        pending = ""
        for line in body.splitlines():
            if kind == "console":
                if line.startswith("$ "):
                    found.append((match.start(), line[2:]))
                continue
            if not pending and not line.startswith("scraper "):
                continue
            pending = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on
                continue
            found.append((match.start(), pending))
            pending = ""
    return [c for _, c in found]


def statements() -> list[str]:
    out: list[str] = []
    for block in _blocks("sql"):
        text = "\n".join(line for line in block.splitlines() if not line.strip().startswith("--"))
        out += [s.strip() for s in text.split(";") if s.strip()]
    return out


def _skipped(command: str) -> str | None:
    return next((why for start, why in SKIP.items() if command.startswith(start)), None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("readme")
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\n")
        (tmp / "sources.yaml").write_text(render_sources(web.base_url), encoding="utf-8")
        page = SITES_ROOT / "developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-et-un-compilateur-jit/index.html"
        (tmp / "page.html").write_bytes(page.read_bytes())
        (tmp / "saved.html").write_bytes(page.read_bytes())
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               "SCRAPER_DB": "", "SCRAPER_SOURCES": "", "COLUMNS": "80"}
        poll = subprocess.run([str(BIN / "scraper"), "poll"], cwd=tmp, env=env, capture_output=True, text=True)
        assert poll.returncode == 0, poll.stderr
        yield tmp, env


def test_the_examples_are_found() -> None:
    found = commands()
    assert any(c.startswith("scraper sql -p src=developpez") for c in found)
    assert any(c.startswith("scraper sql \"SELECT feed_url") for c in found)
    for start in SKIP:
        assert any(c.startswith(start) for c in found), f"{start!r} is no longer in the README: drop it from SKIP"
    assert any("read_parquet('exports/articles/**/*.parquet'" in s for s in statements())


def test_every_command_runs_as_written(demo) -> None:  # type: ignore[no-untyped-def]
    tmp, env = demo
    failures = []
    for command in commands():
        if _skipped(command):
            continue
        res = subprocess.run(["bash", "-c", command], cwd=tmp, env=env, capture_output=True, text=True,
                             timeout=120)
        if res.returncode != 0:
            failures.append(f"{command!r}: exit {res.returncode}: {res.stderr.strip()[-300:]}")
    assert not failures, "\n".join(failures)
    # what the examples say they produce
    assert len((tmp / "developpez.jsonl").read_text().splitlines()) == 3  # export --since 2026-01-01
    assert list((tmp / "exports" / "articles").rglob("*.parquet"))
    assert (tmp / "article.md").read_text().startswith("# ")


def test_every_cookbook_statement_runs(demo) -> None:  # type: ignore[no-untyped-def]
    tmp, env = demo
    if not (tmp / "exports" / "articles").exists():
        subprocess.run([str(BIN / "scraper"), "export", "--format", "parquet", "exports/articles"],
                       cwd=tmp, env=env, check=True, capture_output=True)
    failures = []
    for statement in statements():
        res = subprocess.run([str(BIN / "scraper"), "sql", "--allow-files", statement], cwd=tmp, env=env,
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            failures.append(f"{statement[:80]!r}: {res.stderr.strip()}")
    assert not failures, "\n".join(failures)
