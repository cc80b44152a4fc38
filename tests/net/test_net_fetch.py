"""fetch() against httpx.MockTransport: the policy without a server."""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import brotli
import httpx
import pytest

import scraper.net.fetch as fetch_module
from scraper.errors import (
    BlockedURLError,
    BodyTooLargeError,
    FetchError,
    HTTPStatusError,
    TooManyRedirectsError,
    UsageError,
)
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.net.urls import check_public_address
from scraper.settings import DEFAULT_USER_AGENT, PROJECT_URL, Settings

Handler = Callable[[httpx.Request], httpx.Response]
URL = "https://news.example/a"


@pytest.fixture
def mock(settings: Settings) -> Iterator[Callable[[Handler], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(handler: Handler) -> httpx.Client:
        c = make_client(settings, transport=httpx.MockTransport(handler))
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


class Chunks(httpx.SyncByteStream):
    """A body streamed in 16 KiB chunks, as a server would send it (not pre-read by httpx)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.data), 16384):
            yield self.data[i : i + 16384]


def streamed(r: httpx.Response) -> httpx.Response:
    return httpx.Response(r.status_code, headers=r.headers, stream=r.stream)


def sequence(*responses: httpx.Response) -> Handler:
    """A handler answering with ``responses`` in turn (the last one repeats)."""
    calls = iter(responses)
    last: list[httpx.Response] = []

    def handle(request: httpx.Request) -> httpx.Response:
        try:
            last[:] = [next(calls)]
        except StopIteration:
            pass
        return streamed(last[0])

    return handle


def html(status: int = 200, body: bytes = b"<p>ok</p>", **headers: str) -> httpx.Response:
    hdrs = {"Content-Type": "text/html; charset=utf-8"}
    hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
    return httpx.Response(status, headers=hdrs, stream=Chunks(body))


def test_success_records_one_attempt(mock, settings, sleeps) -> None:
    result = fetch(mock(sequence(html())), URL, settings, source="example", sleep=sleeps)
    assert (result.status, result.content, result.final_url, result.url) == (200, b"<p>ok</p>", URL, URL)
    assert result.content_type == "text/html; charset=utf-8"
    (attempt,) = result.attempts
    assert (attempt.url, attempt.final_url, attempt.status, attempt.bytes) == (URL, URL, 200, 9)
    assert (attempt.error, attempt.attempt, attempt.source) == (None, 1, "example")
    assert attempt.fetched_at.tzinfo is not None
    assert attempt.fetched_at.utcoffset() == timedelta(0)
    assert attempt.duration_ms >= 0
    assert sleeps == []


def test_client_sends_user_agent_and_accept_encoding(mock, settings) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return html()

    fetch(mock(handle), URL, settings)
    assert seen[0].headers["user-agent"] == DEFAULT_USER_AGENT
    assert PROJECT_URL in DEFAULT_USER_AGENT
    assert seen[0].headers["accept-encoding"] == "gzip, deflate, br"


def test_make_client_does_not_follow_redirects(settings) -> None:
    with make_client(settings) as c:
        assert c.follow_redirects is False
        assert c.timeout.connect == settings.connect_timeout
        assert c.timeout.read == settings.read_timeout


def test_5xx_then_success_retries_with_backoff(mock, settings, sleeps) -> None:
    handler = sequence(html(503), html(502), html(200))
    result = fetch(mock(handler), URL, settings, sleep=sleeps, rand=lambda: 1.0)
    assert [a.status for a in result.attempts] == [503, 502, 200]
    assert [a.attempt for a in result.attempts] == [1, 2, 3]
    assert [a.error for a in result.attempts] == ["http:503", "http:502", None]
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02)]


def test_retries_exhausted_raise_http_error_with_attempts(mock, settings, sleeps) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(mock(sequence(html(503))), URL, settings, sleep=sleeps)
    err = info.value
    assert err.code == "http:503" and err.status == 503 and err.exit_code == 4
    assert isinstance(err.attempts, tuple)  # type: ignore[attr-defined]
    assert len(err.attempts) == settings.retries + 1  # type: ignore[attr-defined]
    assert len(sleeps) == settings.retries
    assert "503" in str(err) and "\n" not in str(err)


def test_429_honours_retry_after_seconds(mock, settings, sleeps) -> None:
    result = fetch(mock(sequence(html(429, Retry_After="7"), html())), URL, settings, sleep=sleeps)
    assert sleeps == [7.0]
    assert [a.error for a in result.attempts] == ["http:429", None]


def test_503_honours_retry_after_http_date(mock, settings, sleeps) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    fetch(mock(sequence(html(503, Retry_After=when), html())), URL, settings, sleep=sleeps)
    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 20


def test_retry_after_over_the_cap_gives_up(mock, settings, sleeps) -> None:
    settings = replace(settings, retry_after_max=60)
    with pytest.raises(HTTPStatusError) as info:
        fetch(mock(sequence(html(429, Retry_After="3600"), html())), URL, settings, sleep=sleeps)
    assert sleeps == []
    assert info.value.code == "http:429"
    assert "retry_after_max" in str(info.value)
    assert len(info.value.attempts) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451, 501])
def test_non_retryable_status_fails_at_once(mock, settings, sleeps, status: int) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(mock(sequence(html(status))), URL, settings, sleep=sleeps)
    assert info.value.code == f"http:{status}"
    assert sleeps == []
    assert len(info.value.attempts) == 1  # type: ignore[attr-defined]


def test_304_is_a_result_and_conditional_headers_are_sent(mock, settings) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304, headers={"ETag": '"v1"'}, stream=Chunks(b""))

    headers = {"If-None-Match": '"v1"', "If-Modified-Since": "Wed, 12 Jun 2024 10:00:00 GMT"}
    result = fetch(mock(handle), URL, settings, headers=headers)
    assert (result.status, result.content, result.header("etag")) == (304, b"", '"v1"')
    assert seen[0].headers["if-none-match"] == '"v1"'
    assert seen[0].headers["if-modified-since"] == headers["If-Modified-Since"]


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ConnectError("refused"), "net:connect"),
        (httpx.ConnectTimeout("slow"), "net:timeout"),
        (httpx.ReadTimeout("slow"), "net:timeout"),
        (httpx.ReadError("reset by peer"), "net:reset"),
        (httpx.RemoteProtocolError("peer closed"), "net:protocol"),
    ],
)
def test_network_errors_are_retried_then_raised(mock, settings, sleeps, exc: Exception, code: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(FetchError) as info:
        fetch(mock(handle), URL, settings, sleep=sleeps)
    assert info.value.code == code
    assert info.value.exit_code == 3
    attempts = info.value.attempts  # type: ignore[attr-defined]
    assert [a.error for a in attempts] == [code] * (settings.retries + 1)
    assert all(a.status is None for a in attempts)


def test_network_error_then_success(mock, settings, sleeps) -> None:
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return html()

    result = fetch(mock(handle), URL, settings, sleep=sleeps)
    assert [a.error for a in result.attempts] == ["net:connect", None]


def redirects(table: dict[str, httpx.Response]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        return streamed(table.get(str(request.url), html(404)))

    return handle


def test_redirect_chain_resolves_relative_locations(mock, settings) -> None:
    handler = redirects({
        URL: html(301, Location="/b"),
        "https://news.example/b": html(302, Location="c?x=1#frag"),
        "https://news.example/c?x=1": html(200),
    })
    result = fetch(mock(handler), URL, settings)
    assert result.final_url == "https://news.example/c?x=1"
    assert result.url == URL
    assert [(a.final_url, a.status) for a in result.attempts] == [
        (URL, 301), ("https://news.example/b", 302), ("https://news.example/c?x=1", 200)
    ]
    assert all(a.url == URL and a.attempt == 1 for a in result.attempts)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://news.example/x", "gopher://x/"])
def test_redirect_to_other_scheme_is_refused(mock, settings, target: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        fetch(mock(redirects({URL: html(302, Location=target)})), URL, settings)
    assert info.value.code == "policy:scheme"
    assert [a.error for a in info.value.attempts] == [None, "policy:scheme"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", ["data:text/html,hi", "javascript:alert(1)", "http://news.example:99999/"])
def test_unparseable_location_is_refused(mock, settings, sleeps, target: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        fetch(mock(redirects({URL: html(302, Location=target)})), URL, settings, sleep=sleeps)
    assert info.value.code == "policy:bad-url"
    assert sleeps == []


def test_redirect_loop_is_detected(mock, settings) -> None:
    handler = redirects({URL: html(302, Location="/b"), "https://news.example/b": html(302, Location=URL)})
    with pytest.raises(TooManyRedirectsError) as info:
        fetch(mock(handler), URL, settings)
    assert info.value.code == "net:redirect-loop"


def test_too_many_redirects(mock, settings) -> None:
    settings = replace(settings, max_redirects=3)

    def handle(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        return html(302, Location=f"/a?n={n + 1}")

    with pytest.raises(TooManyRedirectsError) as info:
        fetch(mock(handle), URL, settings)
    assert info.value.code == "net:too-many-redirects"
    assert "max_redirects" in str(info.value)
    assert len(info.value.attempts) == 4  # type: ignore[attr-defined]


def test_redirect_without_location_is_an_http_error(mock, settings) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(mock(sequence(html(302))), URL, settings)
    assert info.value.code == "http:302"


def test_cross_origin_redirect_drops_credentials(mock, settings) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "news.example":
            return html(302, Location="https://cdn.example/a")
        return html()

    fetch(mock(handle), URL, settings,
          headers={"Authorization": "Bearer s3cret", "X-Api-Key": "k3y", "If-None-Match": '"v1"'})
    assert seen[0].headers.get("authorization") == "Bearer s3cret"
    assert "authorization" not in seen[1].headers
    # a source's own headers come from the environment: secrets too, they stay on their origin
    assert "x-api-key" not in seen[1].headers
    assert seen[1].headers["if-none-match"] == '"v1"'


def test_check_url_hook_sees_every_hop_and_can_refuse(mock, settings) -> None:
    seen: list[str] = []

    def check(url: str) -> None:
        seen.append(url)
        if "/private" in url:
            raise BlockedURLError(f"refused {url}: disallowed by robots.txt", code="policy:robots")

    handler = redirects({URL: html(302, Location="/private")})
    with pytest.raises(BlockedURLError) as info:
        fetch(mock(handler), URL, settings, check_url=check)
    assert seen == [URL, "https://news.example/private"]
    assert info.value.code == "policy:robots"


def test_ssrf_check_runs_on_first_url_and_after_redirects(mock, settings, monkeypatch) -> None:
    addresses = {"news.example": "93.184.216.34", "metadata.example": "169.254.169.254"}

    def resolve(host: str, port: int, *args: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", (addresses[host], port))]

    monkeypatch.setattr(fetch_module, "check_public_address", functools.partial(check_public_address, resolve=resolve))
    settings = replace(settings, allow_private=False)
    handler = redirects({URL: html(302, Location="http://metadata.example/latest/meta-data/")})
    with pytest.raises(BlockedURLError) as info:
        fetch(mock(handler), URL, settings)
    assert info.value.code == "policy:private-address"
    attempts = info.value.attempts  # type: ignore[attr-defined]
    assert [(a.status, a.error) for a in attempts] == [(302, None), (None, "policy:private-address")]


def test_bad_url_is_a_usage_error(mock, settings) -> None:
    with pytest.raises(UsageError) as info:
        fetch(mock(sequence(html())), "ftp://news.example/x", settings)
    assert info.value.attempts == ()  # type: ignore[attr-defined]


BODY = b"<html><body>" + b"<p>Des paragraphes d\xe2\x80\x99actualit\xc3\xa9.</p>" * 500 + b"</body></html>"


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", lambda b: gzip.compress(b)),
        ("x-gzip", lambda b: gzip.compress(b)),
        ("deflate", lambda b: zlib.compress(b)),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),
        ("br", lambda b: brotli.compress(b)),
        ("identity", lambda b: b),
    ],
)
def test_compressed_bodies_are_decoded(mock, settings, coding: str, encode: Callable[[bytes], bytes]) -> None:
    response = html(body=encode(BODY), Content_Encoding=coding)
    result = fetch(mock(sequence(response)), URL, settings)
    assert result.content == BODY
    assert result.attempts[0].bytes == len(BODY)


def test_multi_member_gzip_is_decoded_whole(mock, settings) -> None:
    body = gzip.compress(b"<p>one</p>") + gzip.compress(b"<p>two</p>")
    result = fetch(mock(sequence(html(body=body, Content_Encoding="gzip"))), URL, settings)
    assert result.content == b"<p>one</p><p>two</p>"


def test_broken_gzip_is_a_decoding_error(mock, settings, sleeps) -> None:
    with pytest.raises(FetchError) as info:
        fetch(mock(sequence(html(body=b"not gzip at all", Content_Encoding="gzip"))), URL, settings, sleep=sleeps)
    assert info.value.code == "net:decoding"
    assert sleeps == []


@pytest.mark.parametrize(("coding", "encode"), [("gzip", gzip.compress), ("br", brotli.compress)])
def test_compression_bomb_is_cut_off(mock, settings, sleeps, coding: str, encode: Callable[[bytes], bytes]) -> None:
    bomb = encode(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < settings.max_bytes
    with pytest.raises(BodyTooLargeError) as info:
        fetch(mock(sequence(html(body=bomb, Content_Encoding=coding))), URL, settings, sleep=sleeps)
    assert info.value.code == "net:too-large"
    assert "max_bytes" in str(info.value)
    (attempt,) = info.value.attempts  # type: ignore[attr-defined]
    assert settings.max_bytes < attempt.bytes < settings.max_bytes + 2 * 1024 * 1024
    assert sleeps == []  # not retried


def test_declared_length_over_the_limit_is_refused_before_reading(mock, settings) -> None:
    response = httpx.Response(200, headers={"Content-Length": "999999999"}, stream=Chunks(b"x"))
    with pytest.raises(BodyTooLargeError) as info:
        fetch(mock(sequence(response)), URL, settings)
    assert "Content-Length" in str(info.value)


def test_body_exactly_at_the_limit_is_accepted(mock, settings) -> None:
    body = b"x" * settings.max_bytes
    assert fetch(mock(sequence(html(body=body))), URL, settings).content == body
