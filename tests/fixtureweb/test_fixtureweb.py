"""The fixture web: exact bytes, sidecar headers, validators, gzip, overlay, /_/ endpoints, sites."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scraper.fixtureweb import SITES_ROOT, FixtureWeb

DVP = SITES_ROOT / "developpez" / "actu"
PAID = next((DVP / "363891").iterdir()) / "index.html"
FREE = next((DVP / "364012").iterdir()) / "index.html"
MIXED = next((DVP / "363950").iterdir()) / "index.html"
LEDGER_FREE = SITES_ROOT / "dailyledger/2024/06/12/city-council-approves-light-rail-expansion/index.html"
LEDGER_PAID = SITES_ROOT / "dailyledger/2024/06/13/grocery-chains-margins-investigation/index.html"
NOTICE = (
    "La fin de cet article est réservée aux abonnés. Soutenez le Club Developpez.com en prenant "
    "un abonnement pour que nous puissions continuer à vous proposer des publications."
)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain client: no automatic decompression surprises (identity unless a test asks)."""
    with httpx.Client(headers={"Accept-Encoding": "identity"}, follow_redirects=False) as c:
        yield c


def rel(path: Path) -> str:
    return "/" + str(path.parent.relative_to(SITES_ROOT)) + "/"


def test_static_page_is_served_byte_for_byte_with_sidecar_headers(fixture_web, http) -> None:
    r = http.get(fixture_web.url(rel(PAID)))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=iso-8859-1"
    assert r.content == PAID.read_bytes()
    assert "content-encoding" not in r.headers


def test_gzip_when_accepted(fixture_web) -> None:
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as c, c.stream("GET", fixture_web.url(rel(FREE))) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw) == FREE.read_bytes()


def test_directory_without_slash_redirects_and_with_slash_serves_index(fixture_web, http) -> None:
    r = http.get(fixture_web.url("/dailyledger"))
    assert (r.status_code, r.headers["location"]) == (301, "/dailyledger/")
    assert http.get(fixture_web.url("/dailyledger/")).content == (SITES_ROOT / "dailyledger/index.html").read_bytes()


@pytest.mark.parametrize(
    "path", ["/nowhere/", "/dailyledger/index.html.headers.json", "/../pyproject.toml", "/%2e%2e/%2e%2e/settings.py"]
)
def test_missing_sidecar_and_traversal_paths_are_404(fixture_web, http, path: str) -> None:
    assert http.get(fixture_web.url(path)).status_code == 404


def test_etag_and_last_modified_give_304(fixture_web, http) -> None:
    url = fixture_web.url("/dailyledger/")
    first = http.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert http.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert http.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert http.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_put_publishes_and_updates_with_new_validators(fixture_web, http) -> None:
    path = "/feeds-test/put/feed.xml"
    assert http.get(fixture_web.url(path)).status_code == 404
    url = fixture_web.put(path, "<rss><channel><title>v1</title></channel></rss>")
    assert url == fixture_web.url(path)
    v1 = http.get(url)
    assert v1.text.endswith("v1</title></channel></rss>")
    assert v1.headers["content-type"] == "application/xml; charset=utf-8"
    fixture_web.put(path, "<rss><channel><title>v2</title></channel></rss>")
    assert http.get(url, headers={"If-None-Match": v1.headers["etag"]}).status_code == 200
    v2 = http.get(url, headers={"If-Modified-Since": v1.headers["last-modified"]})
    assert v2.status_code == 200 and "v2" in v2.text
    assert v2.headers["etag"] != v1.headers["etag"]
    assert http.get(url, headers={"If-None-Match": v2.headers["etag"]}).status_code == 304


def test_put_with_exact_bytes_headers_and_status(fixture_web, http) -> None:
    body = "<p>caf\u00e9 \u2019</p>".encode("cp1252")
    url = fixture_web.put(
        "/put-test/page.html", body, headers={"Content-Type": "text/html; charset=iso-8859-1", "X-Case": "1"},
        status=410, validators=False,
    )
    r = http.get(url)
    assert (r.status_code, r.content, r.headers["x-case"]) == (410, body, "1")
    assert "etag" not in r.headers and "last-modified" not in r.headers


def test_put_overrides_a_file_and_delete_hides_it(fixture_web, http) -> None:
    path = rel(LEDGER_PAID)
    fixture_web.put(path + "index.html", "<p>now free</p>", content_type="text/html; charset=utf-8")
    try:
        assert http.get(fixture_web.url(path)).text == "<p>now free</p>"
        fixture_web.delete(path + "index.html")
        fixture_web.delete(path)
        assert http.get(fixture_web.url(path)).status_code == 404
    finally:
        with fixture_web._lock:
            fixture_web._overlay.pop(path + "index.html", None)
            fixture_web._overlay.pop(path, None)
    assert http.get(fixture_web.url(path)).content == LEDGER_PAID.read_bytes()


def test_requests_are_logged_with_headers(fixture_web, http) -> None:
    http.get(fixture_web.url("/_/echo?key=log"), headers={"X-Probe": "yes"})
    record = fixture_web.requests("/_/echo")[-1]
    assert (record.method, record.path, record.header("x-probe")) == ("GET", "/_/echo?key=log", "yes")


def test_429_then_200_per_path(fixture_web, http) -> None:
    url = fixture_web.url("/_/429?retry_after=5&key=fw")
    first = http.get(url)
    assert (first.status_code, first.headers["retry-after"]) == (429, "5")
    assert http.get(url).status_code == 200


def test_429_with_http_date_and_without_header(fixture_web, http) -> None:
    dated = http.get(fixture_web.url("/_/429?retry_after=60&date=1&key=fw-date"))
    assert dated.headers["retry-after"].endswith("GMT")
    bare = http.get(fixture_web.url("/_/429?retry_after=none&key=fw-none"))
    assert bare.status_code == 429 and "retry-after" not in bare.headers


def test_flaky500_fails_then_recovers(fixture_web, http) -> None:
    url = fixture_web.url("/_/flaky500?fail=2&key=fw")
    assert [http.get(url).status_code for _ in range(3)] == [500, 500, 200]


@pytest.mark.parametrize(("path", "status"), [("/_/404", 404), ("/_/status/503", 503), ("/_/status/410", 410)])
def test_status_endpoints(fixture_web, http, path: str, status: int) -> None:
    assert http.get(fixture_web.url(path)).status_code == status


def test_redirect_endpoints(fixture_web, http) -> None:
    assert http.get(fixture_web.url("/_/redirect?to=ftp://x/y")).headers["location"] == "ftp://x/y"
    assert http.get(fixture_web.url("/_/chain/2?to=/dailyledger/")).headers["location"] == "/_/chain/1?to=/dailyledger/"
    assert http.get(fixture_web.url("/_/chain/1?to=/dailyledger/")).headers["location"] == "/dailyledger/"
    assert http.get(fixture_web.url("/_/loop/a")).headers["location"] == "/_/loop/b"


def test_gzip_bomb_is_small_on_the_wire(fixture_web) -> None:
    with httpx.Client() as c, c.stream("GET", fixture_web.url("/_/gzipbomb?mb=8")) as r:
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert len(raw) < 100_000
    assert len(gzip.decompress(raw)) == 8 << 20


def test_slow_endpoint_delays_headers(fixture_web) -> None:
    with httpx.Client(timeout=0.2) as c, pytest.raises(httpx.ReadTimeout):
        c.get(fixture_web.url("/_/slow?delay=2&key=fw"))


def test_head_sends_headers_only(fixture_web, http) -> None:
    r = http.head(fixture_web.url(rel(PAID)))
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) == PAID.stat().st_size


def test_start_stop_and_context_manager() -> None:
    web = FixtureWeb()
    with pytest.raises(RuntimeError):
        web.base_url  # noqa: B018
    with web:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", web.base_url)
        assert httpx.get(web.url("dailyledger/")).status_code == 200
    with pytest.raises(RuntimeError):
        web.base_url  # noqa: B018


def test_stop_does_not_wait_for_slow_handlers() -> None:
    web = FixtureWeb().start()
    with httpx.Client(timeout=0.2) as c, pytest.raises(httpx.ReadTimeout):
        c.get(web.url("/_/slow?delay=30"))
    t0 = time.monotonic()
    web.stop()
    assert time.monotonic() - t0 < 3


def test_custom_root(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_bytes(b"hello")
    (tmp_path / "site" / "a.txt.headers.json").write_text(json.dumps({"status": 203, "headers": {"X-A": "b"}}))
    with FixtureWeb(root=tmp_path) as web, httpx.Client(headers={"Accept-Encoding": "identity"}) as c:
        r = c.get(web.url("/site/a.txt"))
    assert (r.status_code, r.content, r.headers["x-a"], r.headers["content-type"]) == (203, b"hello", "b", "text/plain")


def test_module_runs_in_the_foreground_and_prints_its_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper.fixtureweb", "--port", "0"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line)
        assert httpx.get(line + "/dailyledger/").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


# -- the fixture sites themselves ------------------------------------------------------------------


def words(html: str) -> int:
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return len(re.sub(r"<[^>]+>", " ", body).split())


def test_paywalled_developpez_page_is_cp1252_under_an_iso_8859_1_label() -> None:
    data = PAID.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    for char in "’«»œ…€":
        assert char.encode("cp1252") in data, char
    text = data.decode("cp1252")
    assert 'content="text/html; charset=iso-8859-1"' in text
    assert "l’industrie américaine de l’IA" in text and "s’inquiètent de l’usage" in text
    assert NOTICE in text
    assert 'class="content" itemprop="articleBody"' in text and 'itemprop="creator"' in text
    assert text.count("Abonnez-vous") >= 2
    body = text.split('itemprop="articleBody">', 1)[1].split("</div>", 1)[0]
    assert words(body) >= 300


def test_free_developpez_page_has_no_notice() -> None:
    text = FREE.read_bytes().decode("cp1252")
    assert "réservée aux abonnés" not in text
    body = text.split('itemprop="articleBody">', 1)[1].split("</div>", 1)[0]
    assert words(body) >= 300


def test_mixed_page_holds_utf8_and_cp1252_paragraphs() -> None:
    data = MIXED.read_bytes()
    assert "C’est une bonne nouvelle".encode() in data  # UTF-8 paragraph
    assert "l’extérieur du catalogue".encode("cp1252") in data  # windows-1252 paragraph
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_english_article_declares_a_free_news_article_in_a_graph() -> None:
    text = LEDGER_FREE.read_bytes().decode("utf-8")
    ld = json.loads(text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0])
    article = next(node for node in ld["@graph"] if node["@type"] == "NewsArticle")
    assert article["isAccessibleForFree"] is True
    assert [a["name"] for a in article["author"]] == ["Jordan Mills", "Priya Raman"]
    assert article["datePublished"] == "2024-06-12T06:30:00-04:00"
    assert 'property="og:title"' in text and "Subscribe to The Daily Ledger" in text
    assert words(text.split('class="story-body">', 1)[1].split("</div>", 1)[0]) >= 300


def test_paywall_page_declares_its_paywall_box() -> None:
    text = LEDGER_PAID.read_bytes().decode("utf-8")
    ld = json.loads(text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0])
    article = next(node for node in ld["@graph"] if node["@type"] == "NewsArticle")
    assert article["isAccessibleForFree"] is False
    assert article["hasPart"]["cssSelector"] == ".paywall"
    assert '<div class="paywall"' in text and "Subscribe to continue reading…" in text


def test_readme_lists_every_page() -> None:
    readme = (SITES_ROOT / "README.md").read_text(encoding="utf-8")
    pages = [p for p in SITES_ROOT.rglob("*") if p.is_file() and p.suffix in {".html", ".pdf"}]
    for page in pages:
        path = "/" + str(page.relative_to(SITES_ROOT))
        if page.name == "index.html":
            path = path[: -len("index.html")]
        assert f"`{path}`" in readme, path
