"""scraper serve over HTTP: the JSON API, the pages' data, escaping, headers, errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from scraper.archive import Archive, store_captures
from tests.search.conftest import T0, article_capture
from tests.web.conftest import HOSTILE_URL, Served, article_id


def test_sources_api_mirrors_status_with_days(served: Served) -> None:
    body = served.get("/api/sources").json()
    rows = {r["source"]: r for r in body["sources"]}
    assert {"developpez", "dailyledger", "testsite", "hostile"} <= set(rows)
    dev = rows["developpez"]
    assert dev["articles_total"] == 3 and dev["truncated_share"] == pytest.approx(0.333, abs=0.001)
    assert len(dev["days"]) == 30 and sum(d["articles"] for d in dev["days"]) >= 1
    assert {"last_poll", "next_poll", "articles_today", "errors", "not_modified_share"} <= set(dev)


def test_articles_api_newest_first_with_the_documented_fields(served: Served) -> None:
    rows = served.get("/api/articles").json()["articles"]
    assert len(rows) == 10
    assert {"id", "url", "title", "source", "access"} <= set(rows[0])
    dates = [r["published_at"] or r["first_seen_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(("query", "check"), [
    ("source=developpez", lambda r: r["source"] == "developpez"),
    ("access=truncated", lambda r: r["access"] == "truncated"),
    ("language=en", lambda r: r["language"] == "en"),
    ("since=2026-02-27&until=2026-02-28", lambda r: r["published_at"][:10] in ("2026-02-27", "2026-02-28")),
])
def test_article_filters(served: Served, query: str, check) -> None:  # type: ignore[no-untyped-def]
    body = served.get(f"/api/articles?{query}").json()
    assert body["articles"] and all(check(r) for r in body["articles"])
    assert body["total"] == len(body["articles"]) < 10


def test_search_in_the_list_is_ranked_with_snippets(served: Served) -> None:
    body = served.get("/api/articles", params={"q": "turbines"}).json()
    assert [r["url"] for r in body["articles"]] == ["https://testsite.example/en/turbines",
                                                    "https://testsite.example/en/harbour"]
    assert body["articles"][0]["score"] > body["articles"][1]["score"]
    assert "**turbines**" in body["articles"][0]["snippet"].lower()
    body = served.get("/api/articles", params={"q": "élections", "access": "full"}).json()
    assert {r["url"].rsplit("/", 1)[1] for r in body["articles"]} == {"municipales", "maire"}
    page = served.get("/articles", params={"q": "turbines"}).text
    assert "<mark>turbines</mark>" in page.lower() or "<mark>Turbines</mark>" in page


def test_pagination_and_bad_parameters(served: Served) -> None:
    assert served.get("/api/articles?page=2").json()["articles"] == []
    for query in ("page=0", "page=x", "since=yesterday", "access=open", "q=a("):
        res = served.get(f"/api/articles?{query}")
        assert res.status_code == 400 and res.json()["error"], query
        page = served.get(f"/articles?{query}")
        assert page.status_code == 400 and 'class="error"' in page.text


def test_article_api_has_verdict_revisions_changes_and_diff(served: Served) -> None:
    maire = article_id(served, "/fr/maire")
    body = served.get(f"/api/articles/{maire}").json()
    assert body["id"] == maire and body["access"] == "full"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["access_changes"] == [{"version": 2, "changed_at": body["versions"][1]["fetched_at"],
                                       "old_access": "truncated", "new_access": "full"}]
    diff = body["diff"]
    assert (diff["a"], diff["b"]) == (1, 2) and diff["added"] > 0
    assert ["ins", " nouveau"] in diff["runs"] and ["del", "municipal."] in diff["runs"]
    shadow = article_id(served, "363891")
    body = served.get(f"/api/articles/{shadow}").json()
    assert body["paywall_confidence"] > 0.5
    assert {"name", "detail", "weight"} <= set(body["paywall_evidence"][0])
    assert body["response"]["status"] == 200 and body["response"]["body_bytes"] > 0
    assert any(name == "set-cookie" and value == "[redacted]" for name, value in body["response"]["headers"])


def test_article_page_shows_every_part(served: Served) -> None:
    maire = article_id(served, "/fr/maire")
    page = served.get(f"/articles/{maire}?a=1&b=2").text
    for part in ("Verdict", "Text", "Metadata", "Revisions", "Access changes", "Raw response"):
        assert f">{part}</h" in page
    assert "<ins> nouveau</ins>" in page and "<del>municipal.</del>" in page
    assert served.get(f"/articles/{maire}?a=1&b=7").status_code == 404
    assert served.get("/articles/999999").status_code == 404
    assert served.get("/api/articles/999999").json() == {"error": "no article 999999 in the archive"}


def test_nothing_archived_is_markup(served: Served) -> None:
    hostile = next(r["id"] for r in served.get("/api/articles?source=hostile").json()["articles"])
    pages = [served.get(path).text for path in
             ("/", "/articles", f"/articles/{hostile}", "/articles?q=hostile", "/articles?source=hostile")]
    for page in pages:
        assert "<script" not in page and "<img" not in page and "<svg" not in page.replace('<svg class="chart"', "")
        assert "<iframe" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
        assert not re.search(r'href="\s*javascript:', page, re.I)
    article = pages[2]
    assert "&lt;script&gt;window.__pwned = &#34;title&#34;" in article  # shown, as text
    assert "<code>javascript:window.__pwned=&#39;url&#39;</code>" in article  # not a link
    assert "&lt;script&gt;window.__pwned = &#34;raw&#34;" in article  # the raw page, as source
    raw = served.get(f"/articles/{hostile}/raw")
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert raw.text.startswith("<!doctype html>")


def test_every_response_forbids_script(served: Served) -> None:
    for path in ("/", "/articles", "/api/articles", "/articles/1", "/nope", "/static/style.css"):
        res = served.get(path)
        csp = res.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, path
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["x-frame-options"] == "DENY"


def test_only_loopback_host_names_are_answered(served: Served) -> None:
    assert served.get("/", headers={"host": "rebind.example"}).status_code == 400
    assert served.get("/", headers={"host": "localhost"}).status_code == 200


def test_the_archive_stays_writable_while_serving(served: Served) -> None:
    archive = Archive(served.db, lock_timeout=10)
    cap = article_capture("https://testsite.example/en/late", "Late news", "A late walrus story.",
                          language="en", at=T0 + timedelta(days=5))
    served.get("/articles")
    archive.write(lambda con: store_captures(con, [cap]))
    rows = served.get("/api/articles", params={"q": "walrus"}).json()["articles"]
    assert [r["title"] for r in rows] == ["Late news"]


def test_serve_refuses_a_busy_port(served: Served) -> None:
    import subprocess
    import sys

    port = served.url.rsplit(":", 1)[1].strip("/")
    res = subprocess.run([sys.executable, "-m", "scraper", "serve", "--db", str(served.db),
                          "--port", port], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert res.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


def test_hostile_url_kept_as_is(served: Served) -> None:
    rows = served.get("/api/articles?source=hostile").json()["articles"]
    assert rows[0]["url"] == HOSTILE_URL


def test_a_missing_archive_is_503_and_creates_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import start_server, stop_server

    db = tmp_path / "none.duckdb"
    server = start_server(db)
    try:
        for path in ("/", "/articles?q=x", "/articles/1"):
            assert server.get(path).status_code == 503
        body = server.get("/api/articles?q=x").json()
        assert body["error"].startswith(f"no archive at {db}")
    finally:
        stop_server(server)
    assert list(tmp_path.iterdir()) == []
