"""`scraper lake …`, `poll --shard`, `status --lake` through CliRunner: a one-machine lake
(SQLite catalog, local warehouse) and the errors a user meets first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import cli
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.sources import render_sources
from scraper.lake.claims import Shard


def test_poll_a_shard_publish_and_query(tmp_path: Path) -> None:
    env = {"SCRAPER_LAKE_CATALOG": f"sqlite:///{tmp_path}/catalog.db",
           "SCRAPER_LAKE_WAREHOUSE": str(tmp_path / "wh")}
    db = tmp_path / "a.duckdb"
    mine = next(k for k in (1, 2) if Shard(k, 2).owns("developpez"))
    runner = CliRunner(env=env)
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\n")
        sources = tmp_path / "sources.yaml"
        sources.write_text(render_sources(web.base_url))
        res = runner.invoke(cli, ["poll", "--shard", f"{mine}/2", "--sources", str(sources), "--db", str(db),
                                  "--format", "jsonl"])
        assert res.exit_code == 0, res.output
        polled = [json.loads(line)["source"] for line in res.output.splitlines()]
        assert polled == ["developpez"] + (["dailyledger"] if Shard(mine, 2).owns("dailyledger") else [])
    res = runner.invoke(cli, ["lake", "publish", "--db", str(db), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["articles"] == 3 + (2 if "dailyledger" in polled else 0)
    res = runner.invoke(cli, ["lake", "sql", "--format", "csv",
                              "SELECT source, count(*) AS n FROM articles WHERE source = 'developpez' GROUP BY 1"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == ["source,n", "developpez,3"]
    res = runner.invoke(cli, ["lake", "compact", "--min-files", "2", "--format", "jsonl"])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(("args", "env", "code", "message"), [
    (["lake", "sql", "SELECT 1"], {}, 6, "error: no lake configured"),
    (["lake", "sql", " "], {"SCRAPER_LAKE_CATALOG": "sqlite:///{tmp}/c.db", "SCRAPER_LAKE_WAREHOUSE": "{tmp}/w"},
     2, "error: empty query"),
    (["lake", "sql", "SELECT nope FROM articles"],
     {"SCRAPER_LAKE_CATALOG": "sqlite:///{tmp}/c.db", "SCRAPER_LAKE_WAREHOUSE": "{tmp}/w"}, 7, "error: Binder Error"),
    (["status", "--lake"], {"SCRAPER_LAKE_CATALOG": "sqlite:///{tmp}/c.db"}, 2, "error: status --lake reads"),
    (["poll", "--shard", "3/2"], {}, 2, "error: --shard '3/2'"),
    (["lake", "publish"], {"SCRAPER_LAKE_CATALOG": "sqlite:///{tmp}/c.db", "SCRAPER_LAKE_WAREHOUSE": "{tmp}/w",
                           "SCRAPER_DB": "{tmp}/none.duckdb"}, 6, "error: no archive at"),
    (["lake", "sql", "SELECT 1"], {"SCRAPER_LAKE_PUBLISH_EVERY": "soon"}, 2, "error: SCRAPER_LAKE_PUBLISH_EVERY"),
])
def test_errors_are_one_line(tmp_path: Path, args: list[str], env: dict[str, str], code: int,
                             message: str) -> None:
    env = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    sources = tmp_path / "sources.yaml"
    sources.write_text(render_sources("http://127.0.0.1:9"))
    if args[0] in ("poll", "status"):
        args = [*args, "--sources", str(sources)]
    res = CliRunner(env=env).invoke(cli, args)
    assert res.exit_code == code, res.output
    assert res.output.startswith(message) and len(res.output.strip().splitlines()) == 1, res.output
