"""Secrets from the environment are sent, and never reach stdout, stderr, logs (-vv), the
archive file, exports or error messages: every output is grepped for planted secrets."""

from __future__ import annotations

import zlib
from pathlib import Path

import duckdb

from scraper.fixtureweb import FixtureWeb
from tests.hardening.conftest import run_cli

TOKEN = "tok-PLANTED-7f3a9c1e5b"
SESSION = "sess-PLANTED-2d8b6e4f0a"
SOURCES = """\
sources:
  - name: local
    domains: [127.0.0.1]
    allow_private: true
    headers:
      X-Api-Key: {env: SCRAPER_TEST_TOKEN}
      Authorization: {env: SCRAPER_TEST_AUTH}
    cookies:
      session: {env: SCRAPER_TEST_SESSION}
"""


def assert_no_secret(where: str, data: str | bytes) -> None:
    for secret in (TOKEN, SESSION):
        needle = secret.encode() if isinstance(data, bytes) else secret
        assert needle not in data, f"{secret} found in {where}"


def test_planted_secrets_are_sent_but_never_kept(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    db = tmp_path / "archive.duckdb"
    env = {"SCRAPER_TEST_TOKEN": TOKEN, "SCRAPER_TEST_SESSION": SESSION,
           "SCRAPER_TEST_AUTH": f"Bearer {TOKEN}"}
    page = fixture_web.url("/_/echoheaders?slug=secrets")
    failing = fixture_web.url("/_/status/404?key=secrets")
    common = ["--db", str(db), "--sources", str(sources)]
    runs = [
        run_cli(["-vv", "fetch", *common, "--source", "local", page, failing], env=env),
        run_cli(["-vv", "--log-format", "json", "fetch", *common, "--json", "--source", "local", page],
                env=env),
        run_cli(["-vv", "sql", "--db", str(db), "--format", "json",
                 "SELECT * FROM responses, fetches"], env=env),
        run_cli(["export", "--db", str(db), "--format", "jsonl", str(tmp_path / "out.jsonl")], env=env),
        run_cli(["export", "--db", str(db), "--format", "warc", str(tmp_path / "out.warc.gz")], env=env),
        run_cli(["sources", "check", "--sources", str(sources)], env=env),
    ]
    # the secrets were sent
    sent = [r for r in fixture_web.requests("/_/echoheaders") if "slug=secrets" in r.path]
    assert sent and sent[0].header("X-Api-Key") == TOKEN
    assert SESSION in (sent[0].header("Cookie") or "")
    assert runs[0].returncode == 4, runs[0].stderr  # the 404, after the page was archived
    for i, proc in enumerate(runs):
        assert "Traceback" not in proc.stderr
        assert_no_secret(f"stdout of run {i}", proc.stdout)
        assert_no_secret(f"stderr of run {i}", proc.stderr)
    # the archive file's bytes, its WAL if any, and every stored response body decompressed
    for path in tmp_path.iterdir():
        if path.is_file():
            assert_no_secret(path.name, path.read_bytes())
    con = duckdb.connect(str(db), read_only=True)
    try:
        headers = con.execute("SELECT headers FROM responses").fetchall()
        assert headers and "[redacted]" in headers[0][0]  # the reflected cookie and token
        for codec, body in con.execute("SELECT codec, body FROM responses").fetchall():
            assert_no_secret("a response body", zlib.decompress(body) if codec == "zlib" else body)
        dump = con.execute("SELECT * FROM fetches").fetchall()
        assert_no_secret("fetches", repr(dump))
    finally:
        con.close()
    exported = tmp_path / "out.warc.gz"
    if exported.exists():
        assert_no_secret("the WARC export (decompressed)", zlib.decompress(exported.read_bytes(), 47))


def test_a_missing_variable_is_named_and_its_value_never_shown(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    proc = run_cli(["fetch", "--db", str(tmp_path / "a.duckdb"), "--sources", str(sources),
                    "--source", "local", "http://127.0.0.1:9/x"],
                   env={"SCRAPER_TEST_TOKEN": TOKEN, "SCRAPER_TEST_AUTH": TOKEN})
    assert proc.returncode == 2
    assert "SCRAPER_TEST_SESSION" in proc.stderr
    assert_no_secret("stderr", proc.stderr)
