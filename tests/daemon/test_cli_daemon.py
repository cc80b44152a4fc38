"""`scraper poll` and `scraper status` through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scraper.cli import cli
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.sources import render_sources


def test_poll_then_status(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\n")
        sources = tmp_path / "sources.yaml"
        sources.write_text(render_sources(web.base_url))
        runner = CliRunner()
        res = runner.invoke(cli, ["poll", "--sources", str(sources), "--db", str(db), "--format", "jsonl"])
        assert res.exit_code == 0, res.output
        rows = {r["source"]: r for r in map(json.loads, res.output.splitlines())}
        assert (rows["developpez"]["new"], rows["dailyledger"]["new"], rows["dailyledger"]["skipped"]) == (3, 2, 1)
        res = runner.invoke(cli, ["poll", "--source", "dailyledger", "--sources", str(sources), "--db", str(db),
                                  "--format", "jsonl"])
        assert [json.loads(r)["not_modified"] for r in res.output.splitlines()] == [2]
        res = runner.invoke(cli, ["poll", "--source", "nope", "--sources", str(sources), "--db", str(db)])
        assert res.exit_code == 2 and "no source named 'nope'" in res.output
    res = CliRunner().invoke(cli, ["status", "--db", str(db), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    status = {r["source"]: r for r in map(json.loads, res.output.splitlines())}
    assert status["developpez"]["articles_total"] == 3
    assert status["dailyledger"]["truncated_share"] == 0.5
    assert status["dailyledger"]["not_modified_share"] == 0.5
    assert status["developpez"]["next_poll"] > status["developpez"]["last_poll"]
