"""fetch() end to end against the fixture web on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scraper.errors import BlockedURLError, BodyTooLargeError, FetchError, HTTPStatusError, TooManyRedirectsError
from scraper.fixtureweb import SITES_ROOT, FixtureWeb
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.settings import PROJECT_URL, Settings

DVP_PAID = "/developpez/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai-les-entreprises-s-inquietent-de-l-usage-des-chatbots-par-leurs-employes/"

def test_article_bytes_and_headers_arrive_intact(fixture_web: FixtureWeb, client, settings) -> None:
    result = fetch(client, fixture_web.url(DVP_PAID), settings, source="developpez")
    assert result.content == (SITES_ROOT / DVP_PAID.strip("/") / "index.html").read_bytes()
    assert result.content_type == "text/html; charset=iso-8859-1"
    assert result.header("content-encoding") == "gzip"  # sent compressed, handed back decompressed
    assert b"l\x92industrie am\xe9ricaine de l\x92IA" in result.content

def test_server_sees_our_user_agent(fixture_web: FixtureWeb, client, settings) -> None:
    fetch(client, fixture_web.url("/_/echo?key=ua"), settings)
    (request,) = fixture_web.requests("/_/echo")[-1:]
    assert PROJECT_URL in (request.header("User-Agent") or "")

@pytest.mark.parametrize("path", ["/_/gzipbomb?mb=32", "/_/brbomb?mb=32"])
def test_compression_bomb_is_cut_off(fixture_web: FixtureWeb, client, settings, sleeps, path: str) -> None:
    with pytest.raises(BodyTooLargeError) as info:
        fetch(client, fixture_web.url(path), settings, sleep=sleeps)
    (attempt,) = info.value.attempts  # type: ignore[attr-defined]
    assert attempt.error == "net:too-large" and attempt.status == 200
    assert attempt.bytes <= settings.max_bytes + 4 * 1024 * 1024

def test_large_body_is_cut_off(fixture_web: FixtureWeb, client, settings) -> None:
    with pytest.raises(BodyTooLargeError):
        fetch(client, fixture_web.url("/_/big?bytes=5000000"), settings)

def test_429_with_retry_after_then_200(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    result = fetch(client, fixture_web.url("/_/429?retry_after=1&key=live-seconds"), settings, sleep=sleeps)
    assert sleeps == [1.0]
    assert [(a.status, a.error) for a in result.attempts] == [(429, "http:429"), (200, None)]

def test_429_with_http_date_retry_after(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    url = fixture_web.url("/_/429?retry_after=30&date=1&key=live-date")
    result = fetch(client, url, settings, sleep=sleeps)
    assert result.status == 200
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30

def test_retry_after_past_the_cap_gives_up(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    url = fixture_web.url("/_/429?retry_after=86400&key=live-cap")
    with pytest.raises(HTTPStatusError) as info:
        fetch(client, url, replace(settings, retry_after_max=60), sleep=sleeps)
    assert info.value.code == "http:429" and sleeps == []

def test_500_that_recovers(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    result = fetch(client, fixture_web.url("/_/flaky500?fail=2&key=live"), settings, sleep=sleeps)
    assert [a.status for a in result.attempts] == [500, 500, 200]
    assert len(sleeps) == 2

def test_404_is_not_retried(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    before = fixture_web.hits("/developpez/no-such-page")
    with pytest.raises(HTTPStatusError) as info:
        fetch(client, fixture_web.url("/developpez/no-such-page"), settings, sleep=sleeps)
    assert info.value.code == "http:404" and info.value.exit_code == 4
    assert fixture_web.hits("/developpez/no-such-page") == before + 1
    assert sleeps == []

def test_redirect_chain_is_followed(fixture_web: FixtureWeb, client, settings) -> None:
    result = fetch(client, fixture_web.url(f"/_/chain/3?to={DVP_PAID}"), settings)
    assert result.final_url == fixture_web.url(DVP_PAID)
    assert [a.status for a in result.attempts] == [302, 302, 302, 200]

def test_redirect_loop_is_refused(fixture_web: FixtureWeb, client, settings) -> None:
    with pytest.raises(TooManyRedirectsError) as info:
        fetch(client, fixture_web.url("/_/loop/a"), settings)
    assert info.value.code == "net:redirect-loop"

@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/pub/file.txt"])
def test_redirect_to_file_or_ftp_is_refused(fixture_web: FixtureWeb, client, settings, target: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        fetch(client, fixture_web.url(f"/_/redirect?to={target}"), settings)
    assert info.value.code == "policy:scheme"

def test_slow_headers_time_out(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    quick = replace(settings, read_timeout=0.3, retries=1)
    with pytest.raises(FetchError) as info:
        fetch(client, fixture_web.url("/_/slow?delay=3&key=headers"), quick, sleep=sleeps)
    assert info.value.code == "net:timeout"
    assert [a.error for a in info.value.attempts] == ["net:timeout", "net:timeout"]  # type: ignore[attr-defined]

def test_trickled_body_hits_the_total_timeout(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    quick = replace(settings, read_timeout=1.0, total_timeout=0.8, retries=0)
    with pytest.raises(FetchError) as info:
        fetch(client, fixture_web.url("/_/slow?delay=0&trickle=0.3&chunks=20"), quick, sleep=sleeps)
    assert info.value.code == "net:timeout"
    assert "total_timeout" in str(info.value)

def test_short_body_is_a_protocol_error(fixture_web: FixtureWeb, client, settings, sleeps) -> None:
    with pytest.raises(FetchError) as info:
        fetch(client, fixture_web.url("/_/short"), replace(settings, retries=1), sleep=sleeps)
    assert info.value.code in {"net:protocol", "net:reset"}
    assert len(sleeps) == 1

def test_loopback_is_refused_unless_allowed(fixture_web: FixtureWeb) -> None:
    strict = Settings()  # allow_private=False
    before = fixture_web.hits("/dailyledger/")
    with make_client(strict) as c, pytest.raises(BlockedURLError) as info:
        fetch(c, fixture_web.url("/dailyledger/"), strict)
    assert info.value.code == "policy:private-address"
    assert fixture_web.hits("/dailyledger/") == before  # no request was sent

def test_conditional_get_returns_304(fixture_web: FixtureWeb, client, settings) -> None:
    first = fetch(client, fixture_web.url("/dailyledger/"), settings)
    etag = first.header("etag")
    assert etag
    again = fetch(client, fixture_web.url("/dailyledger/"), settings, headers={"If-None-Match": etag})
    assert (again.status, again.content) == (304, b"")
    since = fetch(
        client, fixture_web.url("/dailyledger/"), settings,
        headers={"If-Modified-Since": first.header("last-modified") or ""},
    )
    assert since.status == 304

def test_pdf_is_fetched_as_is(fixture_web: FixtureWeb, client, settings) -> None:
    result = fetch(client, fixture_web.url("/files/rapport-annuel-2023.pdf"), settings)
    assert result.content.startswith(b"%PDF-")
    assert result.content_type == "application/pdf"

def test_connection_refused_is_net_connect(settings, sleeps) -> None:
    web = FixtureWeb().start()
    url = web.url("/dailyledger/")
    web.stop()
    with make_client(settings) as c, pytest.raises(FetchError) as info:
        fetch(c, url, replace(settings, retries=1), sleep=sleeps)
    assert info.value.code == "net:connect"
    assert len(sleeps) == 1
