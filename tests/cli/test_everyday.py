"""Issue 15: what a new user trips over in the first hour, one test per case."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import scraper.render
from scraper.archive import Archive
from scraper.archive.queries import query_error
from scraper.cli import cli
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.server import SITES_ROOT
from scraper.fixtureweb.sources import render_sources
from scraper.logs import JSONFormatter

ARTICLE = "/developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-et-un-compilateur-jit/"


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An archive polled from the fixture web, and the sources file."""
    tmp = tmp_path_factory.mktemp("polled")
    db = tmp / "a.duckdb"
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow: /dailyledger/private/\n")
        sources = tmp / "sources.yaml"
        sources.write_text(render_sources(web.base_url))
        res = run("poll", "--sources", str(sources), "--db", str(db), "--format", "jsonl")
        assert res.exit_code == 0, res.output
        yield web, db, sources


# 2. tables at 80 columns --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["status", "poll"])
def test_status_and_poll_read_at_80_columns(polled, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    web, db, sources = polled
    monkeypatch.setattr(scraper.render, "terminal_width", lambda out: 80)
    args = ["status", "--db", str(db)] if command == "status" else [
        "poll", "--sources", str(sources), "--db", str(db)]
    res = run(*args)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in res.stdout
    body = [line.split() for line in lines if line.startswith(("dailyledger", "developpez"))]
    assert sorted(row[0] for row in body) == ["dailyledger", "developpez"]  # names whole
    if command == "status":
        assert "just now" in res.stdout and "2026-" not in res.stdout  # relative times


def test_a_table_in_a_pipe_keeps_urls_whole(polled) -> None:
    web, db, sources = polled
    res = run("sql", "--db", str(db), "SELECT canonical_url, fetched_at FROM articles ORDER BY 1")
    assert res.exit_code == 0
    assert web.url(ARTICLE) in res.stdout and "…" not in res.stdout
    stamp = res.stdout.split(web.url(ARTICLE))[1].split()[1]
    assert len(stamp) == len("2026-03-01T08:30:00+00:00") and "." not in stamp


def test_intervals_are_iso_durations_in_json(polled) -> None:
    web, db, sources = polled
    res = run("sql", "--db", str(db), "--format", "jsonl", "SELECT INTERVAL '20 days 13:13:30' AS gap")
    assert json.loads(res.stdout) == {"gap": "P20DT13H13M30S"}


# 3. discover and --allow-private ------------------------------------------------------------

def test_discover_of_a_private_address_without_the_flag_fails_and_names_it(polled) -> None:
    web, db, sources = polled
    res = run("discover", web.url("/dailyledger/"))
    assert res.exit_code == 3
    assert res.stdout == ""
    assert "--allow-private" in res.stderr


def test_discover_of_a_404_fails(polled) -> None:
    web, db, sources = polled
    res = run("discover", "--allow-private", web.url("/no/such/page/"))
    assert res.exit_code == 4 and res.stdout == ""


def test_poll_with_allow_private_fetches_a_source_without_allow_private(tmp_path: Path) -> None:
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow:\n")
        text = render_sources(web.base_url).replace("allow_private: true", "allow_private: false")
        sources = tmp_path / "sources.yaml"
        sources.write_text(text)
        db = tmp_path / "a.duckdb"
        refused = run("poll", "--sources", str(sources), "--db", str(db), "--format", "jsonl")
        assert sum(json.loads(r)["new"] for r in refused.stdout.splitlines()) == 0
        res = run("poll", "--allow-private", "--sources", str(sources), "--db", str(db), "--format", "jsonl")
        assert res.exit_code == 0, res.output
        assert sum(json.loads(r)["new"] for r in res.stdout.splitlines()) == 5


# 4. show finds what fetch matched -----------------------------------------------------------

@pytest.mark.parametrize("variant", ["?utm_source=x", "", "no-slash"])
def test_show_finds_the_url_as_fetch_matched_it(polled, variant: str) -> None:
    web, db, sources = polled
    url = web.url(ARTICLE)
    url = url.rstrip("/") if variant == "no-slash" else url + variant
    res = run("show", "--db", str(db), "--sources", str(sources), url)
    assert res.exit_code == 0, res.output
    assert "Python 3.13" in res.stdout


def test_show_raw_prints_the_stored_html(polled) -> None:
    web, db, sources = polled
    res = run("show", "--raw", "--db", str(db), "--sources", str(sources), web.url(ARTICLE))
    assert res.exit_code == 0, (res.output, res.exc_info)
    assert res.stdout_bytes.lstrip().lower().startswith((b"<!doctype", b"<html"))


# 6, 7. sql errors and options ---------------------------------------------------------------

def test_reading_files_needs_allow_files_and_says_so(polled, tmp_path: Path) -> None:
    web, db, sources = polled
    parquet = tmp_path / "x.parquet"
    duckdb.connect().execute(f"COPY (SELECT 42 AS n) TO '{parquet}' (FORMAT parquet)")
    query = f"SELECT n FROM read_parquet('{parquet}')"
    res = run("sql", "--db", str(db), query)
    assert res.exit_code == 7 and "--allow-files" in res.stderr
    res = run("sql", "--db", str(db), "--allow-files", "--format", "csv", query)
    assert res.exit_code == 0 and res.stdout == "n\n42\n"
    res = run("sql", "--db", str(db), "--allow-files", "CREATE TABLE t (x INT)")
    assert res.exit_code == 7 and "--write" in res.stderr  # the archive stays read-only


def test_binder_errors_keep_their_candidates(polled) -> None:
    web, db, sources = polled
    res = run("sql", "--db", str(db), "SELECT titel FROM articles")
    assert res.exit_code == 7
    assert "Candidate bindings" in res.stderr and "title" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_an_extension_error_keeps_its_cause() -> None:
    exc = duckdb.IOException('IO Error: Failed to download extension "x" at URL "http://e/x"\n\n'
                             'Candidate extensions: "json"\nFor more info, visit https://d (ERROR Could not establish connection)')
    message = str(query_error(exc))
    assert "Could not establish connection" in message and "\n" not in message


def test_sql_from_a_file_stdin_and_with_params(polled, tmp_path: Path) -> None:
    web, db, sources = polled
    query = tmp_path / "q.sql"
    query.write_text("SELECT count(*) AS n FROM articles WHERE source = $src")
    res = run("sql", "--db", str(db), "--format", "csv", "-f", str(query), "-p", "src=developpez")
    assert res.stdout == "n\n3\n", res.output
    res = run("sql", "--db", str(db), "--format", "csv", input="SELECT 1 AS one")
    assert res.stdout == "one\n1\n"
    res = run("sql", "--db", str(db), "-p", "novalue", "SELECT 1")
    assert res.exit_code == 2


def test_ctrl_c_in_a_long_query_exits_130(polled) -> None:
    web, db, sources = polled
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "sql", "--db", str(db),
         "SELECT sum(hash(range)) FROM range(100000000000)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # pytest-xdist's workers ignore SIGINT, and children inherit that: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip() == "error: interrupted"


def test_tz_moves_the_day_boundary_of_the_views(polled) -> None:
    web, db, sources = polled
    q = "SELECT CAST(TIMESTAMPTZ '2026-03-01 23:30:00+00' AS DATE) AS d"
    assert run("sql", "--db", str(db), "--format", "csv", q).stdout == "d\n2026-03-01\n"
    assert run("sql", "--db", str(db), "--format", "csv", "--tz", "Europe/Paris", q).stdout == "d\n2026-03-02\n"
    assert run("status", "--db", str(db), "--tz", "Nowhere/City").exit_code == 2


# 7. an unreadable .warc.gz ------------------------------------------------------------------

def test_an_unreadable_warc_gives_one_printable_line(tmp_path: Path) -> None:
    import gzip

    bad = tmp_path / "bad.warc.gz"
    first = gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
                          b"Content-Length: 0\r\n\r\n\r\n\r\n")
    second = gzip.compress(b"WARC/1.1\r\nX\x01\x02\xff\xfe garbage\r\n\r\n")
    bad.write_bytes(first + second + bytes(range(256)) * 2)
    res = run("import", "--db", str(tmp_path / "a.duckdb"), str(bad))
    assert res.exit_code == 2
    line = res.stderr.strip()
    assert line.startswith("error: cannot read WARC file") and "\n" not in line
    assert all(ch.isprintable() for ch in line) and "\x01" not in line


# 8. the fetch event as JSON with keys -------------------------------------------------------

def test_the_fetch_log_event_has_keys(polled) -> None:
    web, db, sources = polled
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("scraper.net.fetch")
    handler = Keep()
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        run("fetch", "--no-store", "--allow-private", web.url("/no/such/page/"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    event = json.loads(JSONFormatter().format(next(r for r in records if r.getMessage() == "fetch")))
    assert event["event"] == "fetch"
    assert event["status"] == 404 and event["url"] == web.url("/no/such/page/") and event["attempt"] == 1


# 9. types other tools read ------------------------------------------------------------------

def test_parquet_evidence_is_a_string_and_extract_json_names_the_source(polled, tmp_path: Path) -> None:
    web, db, sources = polled
    out = tmp_path / "parquet"
    assert run("export", "--db", str(db), "--format", "parquet", str(out)).exit_code == 0
    files = sorted(out.rglob("*.parquet"))
    row = duckdb.connect().execute(
        "SELECT logical_type, converted_type FROM parquet_schema(?) WHERE name = 'paywall_evidence'",
        [str(files[0])]).fetchone()
    assert row is not None and "JSON" not in str(row[0]) and row[1] == "UTF8"
    page = tmp_path / "page.html"
    page.write_bytes(run("show", "--raw", "--db", str(db), "--sources", str(sources), web.url(ARTICLE)).stdout_bytes)
    res = run("extract", "--json", "--sources", str(sources), "--url", web.url(ARTICLE), str(page))
    assert json.loads(res.stdout)["source"] == "developpez"
    res = run("extract", "--format", "txt", "--sources", str(sources), "--url", web.url(ARTICLE), str(page))
    assert res.stdout.startswith(json.loads(run("extract", "--json", "--sources", str(sources),
                                                 str(page)).stdout)["text"][:40])
    md = run("extract", "--format", "markdown", str(page)).stdout
    assert md.startswith("# ")


# 5. --since: the README's example exports the demo's articles -------------------------------

def test_export_since_counts_fetch_dates(polled) -> None:
    web, db, sources = polled
    res = run("export", "--db", str(db), "--format", "jsonl", "--source", "developpez", "--since", "2026-01-01", "-")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 3


# 10. silence ---------------------------------------------------------------------------------

def test_sources_check_reports_every_error_and_an_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: a\n    domain: [a.test]\n  - name: b\n    domains: [b.test]\n"
                   "  - name: c\n    domains: [c.test]\n    language: 12\n")
    res = run("sources", "check", "--sources", str(bad))
    assert res.exit_code == 2
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "sources[0]" in errors[0] and "sources[2]" in errors[1]
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    res = run("sources", "check", "--sources", str(empty))
    assert res.exit_code == 2 and "declares no source" in res.stderr


def test_daemon_refuses_an_empty_source_set_and_a_negative_grace(tmp_path: Path) -> None:
    empty = tmp_path / "sources.yaml"
    empty.write_text("sources: []\n")
    res = run("daemon", "--sources", str(empty), "--db", str(tmp_path / "a.duckdb"))
    assert res.exit_code == 2 and "nothing to poll" in res.stderr
    res = run("daemon", "--grace", "-5", "--sources", str(empty))
    assert res.exit_code == 2 and "--grace" in res.output


def test_the_daemon_says_it_started_and_each_poll_without_v(tmp_path: Path) -> None:
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow:\nCrawl-delay: 0\n")
        (tmp_path / "sources.yaml").write_text(render_sources(web.base_url, poll_interval=1))
        log = tmp_path / "daemon.log"
        with log.open("w") as fh:
            proc = subprocess.Popen([sys.executable, "-m", "scraper", "daemon", "--sources",
                                     str(tmp_path / "sources.yaml"), "--db", str(tmp_path / "a.duckdb"),
                                     "--grace", "2"], stdout=fh, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end and "source polled" not in log.read_text():
                time.sleep(0.3)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    text = log.read_text()
    started = next(line for line in text.splitlines() if "daemon started" in line)
    assert "sources=2" in started and "feeds=" in started and "next_poll=now" in started
    assert "source polled source=" in text


# what similar tools give ----------------------------------------------------------------------

def test_fetch_reads_urls_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    with FixtureWeb() as web:
        first, second = web.url(ARTICLE), web.url("/dailyledger/2024/06/13/grocery-chains-margins-investigation/")
        listing = tmp_path / "urls.txt"
        listing.write_text(f"# two articles\n{first}\n\n{second}\n")
        res = run("fetch", "--no-store", "--json", "--allow-private", "-i", str(listing))
        assert res.exit_code == 0, res.output
        assert [json.loads(line)["url"] for line in res.stdout.splitlines()] == [first, second]
        res = run("fetch", "--no-store", "--json", "--allow-private", "-", input=f"{second}\n")
        assert [json.loads(line)["url"] for line in res.stdout.splitlines()] == [second]
    res = run("fetch", "-", input="\n# nothing\n")
    assert res.exit_code == 2 and "no URL given" in res.stderr


def test_diff_shows_the_words_that_changed_between_revisions(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with FixtureWeb() as web:
        path = ARTICLE
        original = (SITES_ROOT / ARTICLE.strip("/") / "index.html").read_bytes()
        url = web.url(path)
        assert run("fetch", "--allow-private", "--db", str(db), url).exit_code == 0
        changed = original.replace(b"<p>La fondation Python", b"<p>La grande fondation Python", 1)
        assert changed != original
        web.put(path, changed, content_type="text/html; charset=iso-8859-1")
        res = run("fetch", "--allow-private", "--db", str(db), url)
        assert res.stdout.startswith("updated"), res.output
    res = run("diff", "--db", str(db), url)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("--- version 1") and "+++ version 2" in res.stdout
    assert "La {+grande+} fondation Python" in res.stdout
    assert run("diff", "--db", str(db), url, "1", "1").stdout.rstrip().endswith("(the texts are the same)")
    res = run("diff", "--db", str(db), url, "1", "9")
    assert res.exit_code == 2 and "no revision 9" in res.stderr


def test_storage_names_the_oldest_duckdb(polled) -> None:
    web, db, sources = polled
    res = run("storage", "--db", str(db))
    assert res.exit_code == 0
    assert res.stdout.strip().endswith("storage v1.4.0+, opens in DuckDB 1.4.0 or newer")


def test_discover_with_allow_private_gives_an_entry_that_polls(polled) -> None:
    from scraper.sources.config import load_sources_text

    web, db, sources = polled
    res = run("discover", "--allow-private", web.url("/dailyledger/"))
    assert res.exit_code == 0, res.output
    (source,) = list(load_sources_text(res.stdout))
    assert source.allow_private  # its poll may read the loopback host it was discovered on
