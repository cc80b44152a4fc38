"""The foundation end to end: CLI -> fetch -> extract -> archive -> SQL, against the fixture web."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import cli

DEV_PAYWALLED = ("/developpez/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai-les-"
                 "entreprises-s-inquietent-de-l-usage-des-chatbots-par-leurs-employes/")
DEV_FREE = ("/developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-"
            "et-un-compilateur-jit/")
DEV_MIXED = ("/developpez/actu/363950/firefox-imposera-la-signature-de-toutes-les-extensions-y-"
             "compris-en-entreprise/")
LEDGER_FREE = "/dailyledger/2024/06/12/city-council-approves-light-rail-expansion/"
LEDGER_BOX = "/dailyledger/2024/06/13/grocery-chains-margins-investigation/"


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # no sources.yaml here: the generic path
    monkeypatch.setenv("SCRAPER_DB", str(tmp_path / "a.duckdb"))
    monkeypatch.setenv("SCRAPER_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("SCRAPER_RETRIES", "1")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_fetch_paywalled_developpez_page_keeps_apostrophes_and_flags_truncation(run, fixture_web):
    res = run("fetch", "--json", fixture_web.url(DEV_PAYWALLED))
    assert res.exit_code == 0, res.output
    (row,) = _json_lines(res.stdout)
    assert "l’industrie" in row["title"].lower() or "l’industrie" in row["text"]
    assert "lindustrie" not in row["text"] and "\x92" not in row["text"]
    assert "s’inquiètent" in row["title"] + row["text"]
    assert row["access"] == "truncated"
    assert row["paywall_notice"].startswith("La fin de cet article est réservée aux abonnés")
    assert "réservée aux abonnés" not in row["text"]
    assert row["stored"] == "new"
    assert {"url", "source", "fetched_at", "text", "title", "authors", "published_at", "language",
            "canonical_url", "word_count", "access", "paywall_declared", "paywall_confidence",
            "paywall_signals", "paywall_notice"} <= row.keys()


def test_fetch_then_sql_and_show_find_the_article(run, fixture_web):
    url = fixture_web.url(LEDGER_FREE)
    assert run("fetch", url).exit_code == 0
    res = run("sql", "--format", "json", "SELECT title, access, authors, word_count FROM articles")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 1
    assert rows[0]["access"] == "full"
    assert rows[0]["word_count"] > 300
    assert len(rows[0]["authors"]) == 2
    shown = run("show", url)
    assert shown.exit_code == 0
    assert rows[0]["title"] in shown.stdout


def test_refetch_same_page_is_unchanged_and_adds_no_version(run, fixture_web):
    url = fixture_web.url(DEV_FREE)
    first = _json_lines(run("fetch", "--json", url).stdout)[0]
    second = _json_lines(run("fetch", "--json", url).stdout)[0]
    assert (first["stored"], second["stored"]) == ("new", "unchanged")
    res = run("sql", "--format", "jsonl",
              "SELECT (SELECT count(*) FROM articles) a, (SELECT count(*) FROM article_versions) v, "
              "(SELECT count(*) FROM fetches) f")
    counts = json.loads(res.stdout)
    assert counts == {"a": 1, "v": 1, "f": 2}


def test_mixed_encoding_page_decodes_both_parts(run, fixture_web):
    res = run("fetch", "--json", "--no-store", fixture_web.url(DEV_MIXED))
    row = _json_lines(res.stdout)[0]
    assert "D’autres rappellent" in row["text"]
    assert "Ã" not in row["text"] and "â€" not in row["text"]
    assert not any("\x80" <= ch <= "\x9f" for ch in row["text"])
    assert row["access"] == "full"


def test_paywall_box_page_is_declared_and_truncated(run, fixture_web):
    row = _json_lines(run("fetch", "--json", "--no-store", fixture_web.url(LEDGER_BOX)).stdout)[0]
    assert row["paywall_declared"] is True
    assert row["access"] in ("truncated", "locked")


def test_redirect_is_followed_and_logged(run, fixture_web):
    url = fixture_web.url("/_/redirect?to=" + LEDGER_FREE)
    res = run("fetch", "--json", url)
    assert res.exit_code == 0, res.output
    row = _json_lines(res.stdout)[0]
    assert row["canonical_url"].endswith(LEDGER_FREE)
    log = json.loads(run("sql", "--format", "json",
                         "SELECT final_url, status FROM fetches ORDER BY fetched_at, attempt").stdout)
    assert [r["status"] for r in log] == [302, 200]
    assert log[-1]["final_url"].endswith(LEDGER_FREE)


def test_429_with_retry_after_then_success(run, fixture_web):
    url = fixture_web.url("/_/429?retry_after=1&fail=1&key=cli429")
    res = run("fetch", "--no-store", url)
    assert res.exit_code == 0, res.output


def test_500_that_recovers_is_retried_and_every_attempt_logged(run, fixture_web):
    url = fixture_web.url("/_/flaky500?fail=1&key=cli500")
    assert run("fetch", url).exit_code == 0
    log = json.loads(run("sql", "--format", "json",
                         "SELECT status, error FROM fetches ORDER BY attempt").stdout)
    assert [r["status"] for r in log] == [500, 200]
    assert log[0]["error"] == "http:500" and log[1]["error"] is None


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("fetch", "not a url"), 2, "error:"),
        (("fetch", "ftp://example.com/x"), 2, "error:"),
        (("fetch", "http://127.0.0.1:9/"), 3, "error:"),
        (("fetch", "{web}/_/404"), 4, "404"),
        (("fetch", "{web}/files/rapport-annuel-2023.pdf"), 5, "application/pdf"),
        (("sql", "SELEC nonsense"), 7, "error:"),
        (("show", "http://nowhere.example/x"), 6, "error:"),
    ],
)
def test_errors_are_one_line_with_documented_exit_codes(run, fixture_web, args, code, needle):
    if args[0] == "sql" or args[0] == "show":
        run("fetch", fixture_web.url(DEV_FREE))  # make the archive exist
    args = tuple(a.replace("{web}", fixture_web.base_url) for a in args)
    res = run(*args)
    assert res.exit_code == code, res.output
    err_lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err_lines) == 1 and err_lines[0].startswith("error:")
    assert needle in err_lines[0]
    assert "Traceback" not in res.output


def test_missing_archive_is_a_clear_error(run, tmp_path):
    res = run("sql", "--db", str(tmp_path / "none.duckdb"), "SELECT 1")
    assert res.exit_code == 6
    assert "error:" in res.stderr and "Traceback" not in res.output


def test_failed_fetch_is_logged_and_archive_untouched(run, fixture_web):
    run("fetch", fixture_web.url(DEV_FREE))
    assert run("fetch", fixture_web.url("/_/404")).exit_code == 4
    res = json.loads(run("sql", "--format", "json",
                         "SELECT (SELECT count(*) FROM articles) a, "
                         "(SELECT list(error) FROM fetches WHERE error IS NOT NULL) e").stdout)
    assert res[0]["a"] == 1 and res[0]["e"] == ["http:404"]


def test_sql_is_read_only_by_default(run, fixture_web):
    run("fetch", fixture_web.url(DEV_FREE))
    res = run("sql", "DELETE FROM articles")
    assert res.exit_code == 7
    assert json.loads(run("sql", "--format", "json", "SELECT count(*) n FROM articles").stdout) == [{"n": 1}]


def test_sql_formats(run, fixture_web):
    run("fetch", fixture_web.url(DEV_FREE))
    q = "SELECT 1 AS a, 'x,y' AS b UNION ALL SELECT 2, 'z' ORDER BY a"
    assert run("sql", "--format", "csv", q).stdout == 'a,b\r\n1,"x,y"\r\n2,z\r\n' or \
        run("sql", "--format", "csv", q).stdout == 'a,b\n1,"x,y"\n2,z\n'
    assert run("sql", "--format", "jsonl", q).stdout.splitlines() == ['{"a": 1, "b": "x,y"}', '{"a": 2, "b": "z"}']
    assert json.loads(run("sql", "--format", "json", q).stdout) == [{"a": 1, "b": "x,y"}, {"a": 2, "b": "z"}]


def test_extract_command_works_offline_on_saved_bytes(run, tmp_path):
    page = (Path(__file__).parents[2] / "scraper" / "fixtureweb" / "sites" / DEV_PAYWALLED.strip("/")
            / "index.html")
    res = run("extract", "--json", "--content-type", "text/html; charset=iso-8859-1", str(page))
    assert res.exit_code == 0, res.output
    row = _json_lines(res.stdout)[0]
    assert row["access"] == "truncated" and "l’" in row["text"]
    assert not (tmp_path / "a.duckdb").exists()


def test_a_page_without_article_text_is_not_stored_and_keeps_the_archived_article(run, fixture_web):
    from scraper.fixtureweb.faults import article_html

    path = "/no-article-test/story/"
    url = fixture_web.put(path, article_html("A story that will vanish", slug="vanish"))
    try:
        assert run("fetch", url).exit_code == 0
        fixture_web.put(path, "<html><head><title>Gone</title></head><body><nav><a href='/'>Home</a>"
                              "</nav></body></html>")  # the same URL now serves an empty shell
        res = run("fetch", url)
    finally:
        fixture_web.delete(path)
    assert res.exit_code == 5
    assert res.stderr.startswith(f"error: {url}: no article text at {url}: 0 letter(s)"), res.stderr
    rows = json.loads(run("sql", "--format", "json",
                          "SELECT version, word_count, (SELECT list(error) FROM fetches WHERE error "
                          "IS NOT NULL) AS errors FROM articles").stdout)
    assert len(rows) == 1
    assert rows[0]["version"] == 1 and rows[0]["word_count"] > 50  # not overwritten by nothing
    assert rows[0]["errors"] == ["extract:no-article"]
