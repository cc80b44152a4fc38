"""Bad configuration and bad CLI input: one line naming the problem, a non-zero exit; property
tests (hypothesis) for the sources schema and for URL handling."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.cli import cli
from scraper.errors import ConfigError, UsageError
from scraper.net.urls import normalize_url, validate_url
from scraper.sources.config import load_sources_text
from tests.hardening.conftest import one_error_line, run_cli

VALID: dict[str, Any] = {"sources": [{
    "name": "example",
    "domains": ["example.org"],
    "language": "en",
    "feeds": ["https://example.org/rss"],
    "article_url": {"include": [r"^https://example\.org/\d{4}/"]},
    "article_id": r"/(\d+)/",
    "extraction": {"body": ["article"], "title": ["h1"]},
    "paywall": {"notices": ["Subscribe to read"]},
    "poll_interval": "15m",
    "headers": {"X-Key": {"env": "EXAMPLE_KEY"}},
}]}

junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                 st.lists(st.text(max_size=10), max_size=3),
                 st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
                 st.sampled_from(["(", "[a-", "*", "(?P<x", "ftp://x", "http://", "not a url", "-5m",
                                  "\x00", "{env: 1}", "é" * 5]))
FIELDS = ["name", "domains", "language", "feeds", "article_url", "article_id", "extraction",
          "paywall", "poll_interval", "headers", "sitemaps", "index_pages", "politeness", "encoding",
          "allow_private", "plugin", "rules_version", "valid_until", "enabled", "cookies", "nonsense"]


def test_the_valid_example_loads() -> None:
    assert load_sources_text(yaml.safe_dump(VALID)).get("example").name == "example"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=junk, drop=st.booleans())
def test_sources_schema_mutations_raise_config_error_only(field: str, value: object, drop: bool) -> None:
    data = copy.deepcopy(VALID)
    entry = data["sources"][0]
    if drop and field in entry:
        del entry[field]
    else:
        entry[field] = value
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return
    try:
        load_sources_text(text, "sources.yaml")
    except ConfigError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith("sources.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_yaml_text_raises_config_error_only(text: str) -> None:
    try:
        load_sources_text(text, "sources.yaml")
    except ConfigError as exc:
        assert "\n" not in str(exc)


url_ish = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s, h, p: f"{s}://{h}{p}",
              st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", ""]),
              st.text(max_size=30), st.text(max_size=30)),
    st.from_regex(r"https?://[a-z0-9.\-\[\]:%@]{0,30}(/[^\s]{0,20})?", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(url_ish)
def test_url_handling_returns_a_string_or_a_usage_error(url: str) -> None:
    for fn in (validate_url, normalize_url):
        try:
            out = fn(url)
        except UsageError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(out, str)
            assert out.lower().startswith(("http://", "https://"))


JUNK_URLS = ["not a url", "ftp://example.org/x", "javascript:alert(1)", "file:///etc/passwd",
             "http://", "http://exa mple.org/", "http://[::1", "http://example.org:99999/", "",
             "example.org/no-scheme", "http://exa\tmple.org/", "\x00"]


@pytest.mark.parametrize("junk_url", JUNK_URLS)
def test_cli_fetch_of_junk_is_exit_2_and_one_line(junk_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fetch", "--db", str(tmp_path / "a.duckdb"), "--no-store", junk_url])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: not s.startswith("-")))
def test_cli_fetch_of_generated_junk_never_crashes(text: str) -> None:
    try:
        validate_url(text)
    except UsageError:
        pass
    else:
        return  # a valid URL: fetching it would go on the network
    result = CliRunner().invoke(cli, ["fetch", "--no-store", text])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("text", "needle"), [
    ("sources: [\n  - name: x\n", "malformed YAML"),
    ("sources:\n  - name: x\n    domains: 5\n", "domains"),
    ("sources:\n  - name: x\n    domains: [x.org]\n    colour: red\n", "colour"),
    ("sources:\n  - name: x\n    domains: [x.org]\n    article_url: {include: ['(']}\n", "include"),
    ("sources:\n  - name: x\n    domains: [x.org]\n    feeds: ['ftp://x.org/rss']\n", "feeds"),
])
def test_cli_sources_check_names_the_problem(text: str, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    proc = run_cli(["sources", "check", "--sources", str(path)])
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert str(path) in line and needle in line


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    from scraper.archive import Archive

    db = tmp_path / "a.duckdb"
    Archive(db).write(lambda con: con.execute(
        "INSERT INTO fetches (url, status, bytes, duration_ms, fetched_at, attempt) "
        "VALUES ('http://x/', 200, 1, 1.0, now(), 1)"))
    return db


@pytest.mark.parametrize("query", ["SELEC 1", "SELECT * FROM nowhere", "SELECT 1; SELECT", "", "'"])
def test_bad_sql_is_one_line_exit_7(query: str, archive: Path) -> None:
    result = CliRunner().invoke(cli, ["sql", "--db", str(archive), query])
    assert result.exit_code in (2, 7), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output


@pytest.mark.parametrize("query", ["DELETE FROM fetches", "DROP TABLE fetches",
                                   "UPDATE fetches SET status = 1", "CREATE TABLE t (x INT)",
                                   "ATTACH 'other.duckdb' AS o", "COPY fetches TO 'out.csv'"])
def test_sql_is_read_only_unless_write(query: str, archive: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sql", "--db", str(archive), query])
    assert result.exit_code != 0
    con = duckdb.connect(str(archive), read_only=True)
    assert con.execute("SELECT count(*), min(status) FROM fetches").fetchone() == (1, 200)
    con.close()
    assert not (tmp_path / "other.duckdb").exists()


def test_sql_write_does_write(archive: Path) -> None:
    result = CliRunner().invoke(cli, ["sql", "--db", str(archive), "--write", "DELETE FROM fetches"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(archive), read_only=True)
    assert con.execute("SELECT count(*) FROM fetches").fetchone() == (0,)
    con.close()
