"""fetch(): one URL to one FetchResult, within limits, every attempt recorded.

    validate URL -> check hop (scheme, SSRF, check_url) -> GET (stream) -> 3xx? next hop
                 -> 2xx/304: read body (decompressed, size and time limits) -> FetchResult
                 -> 429/5xx/network error: wait (Retry-After or backoff) and try again
                 -> anything else: HTTPStatusError

One budget per URL (``settings.url_budget``): every attempt, redirect hop, backoff and
Retry-After wait of one fetch() call ends by it. Each attempt's deadline is the earlier of
``total_timeout`` and the end of the budget; a wait that would not leave time for another
attempt is not waited, the fetch fails at once. A timeout after bytes arrived (a server that
trickles its headers or body) is retried at most once.

Private addresses are allowed per URL and per hop (:meth:`Settings.allows_private`): a source's
permission covers its own domains, never a redirect to another host.

Redirects are followed here, not by httpx, so that each hop's scheme and address are checked.
Bodies are read raw and decompressed here with an output limit (zlib ``max_length``, brotli
``output_buffer_limit``), so a compression bomb never inflates past ``settings.max_bytes``.

Every HTTP request is one :class:`FetchAttempt`: ``url`` is the URL fetch() was asked for,
``final_url`` the URL of that request (a hop of a redirect chain, or the last URL),
``attempt`` the try number (redirect hops share the number of their try). On failure the raised
:class:`ScraperError` carries the attempts in its declared ``attempts`` field.
"""

from __future__ import annotations

import logging
import random
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from scraper.errors import (
    BlockedURLError,
    BodyTooLargeError,
    FetchError,
    HTTPStatusError,
    ScraperError,
    TooManyRedirectsError,
)
from scraper.models import FetchAttempt, FetchResult
from scraper.net.client import RequestPolicy, request_policy
from scraper.net.retry import backoff_delay, parse_retry_after, should_retry
from scraper.net.urls import ALLOWED_SCHEMES, check_public_address, validate_url
from scraper.settings import Settings

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers of the caller that must not follow a redirect to another origin.
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

CheckURL = Callable[[str], None]
# told of every HTTP answer of a fetch (retries and redirect hops included): the URL of that
# request, its status and headers; the crawler's politeness pauses a host on 429/503 with it
OnResponse = Callable[[str, int, httpx.Headers], None]
MIN_ATTEMPT_SECONDS = 0.2  # a retry needs at least this much of the URL's budget left
SLOW_RETRIES = 1  # retries after a timeout that came after bytes were received


def fetch(
    client: httpx.Client,
    url: str,
    settings: Settings,
    *,
    headers: Mapping[str, str] | None = None,
    source: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    check_url: CheckURL | None = None,
    rand: Callable[[], float] = random.random,
    truncate: bool = False,
    on_response: OnResponse | None = None,
) -> FetchResult:
    """GET ``url`` and return its 2xx (or 304) response with the body read within limits.

    With ``truncate`` a body past ``settings.max_bytes`` is cut at the limit (the result says
    ``truncated``) instead of raising BodyTooLargeError: for files such as robots.txt, of which
    a reader must take the first part (RFC 9309 asks for at least 500 KiB).

    ``headers`` are added to the client's (e.g. ``If-None-Match`` / ``If-Modified-Since`` for a
    conditional GET: a 304 comes back as a result with empty content). ``on_response`` hears of
    every answer (see :data:`OnResponse`). ``check_url`` is called on
    the first URL and on every redirect target, after the scheme and SSRF checks; it raises a
    ScraperError (e.g. BlockedURLError for robots.txt) to refuse. ``sleep`` and ``rand`` are
    injectable for tests.

    Raises UsageError for a malformed ``url``; BlockedURLError (``policy:scheme``,
    ``policy:private-address``); TooManyRedirectsError (``net:too-many-redirects``,
    ``net:redirect-loop``); BodyTooLargeError; HTTPStatusError for a 4xx/5xx (after retries
    for 429 and 5xx); FetchError (``net:timeout``, ``net:connect``, ``net:reset``…) otherwise.
    """
    run = _Run(client, settings, source, sleep, check_url, rand)
    run.truncate = truncate
    run.on_response = on_response
    run.secrets = secret_values(headers or {})
    start = validate_url(url)  # a malformed URL: no attempt made (err.attempts stays empty)
    return run.go(start, dict(headers or {}))


@dataclass
class _Outcome:
    url: str
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""
    nbytes: int = 0
    error: ScraperError | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    elapsed_ms: float = 0.0
    truncated: bool = False
    received: int = 0  # bytes read from the network (headers and body, before decompression)


class _Run:
    """State of one fetch() call: the attempts so far, the try number, the redirect chain."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        source: str | None,
        sleep: Callable[[float], None],
        check_url: CheckURL | None,
        rand: Callable[[], float],
    ) -> None:
        self.client = client
        self.settings = settings
        self.source = source
        self.sleep = sleep
        self.check_url = check_url
        self.rand = rand
        self.attempts: list[FetchAttempt] = []
        self.try_no = 1
        self.secrets: tuple[str, ...] = ()
        self.truncate = False
        self.on_response: OnResponse | None = None
        self.budget_end = time.monotonic() + settings.url_budget
        self.slow_timeouts = 0  # timeouts after bytes arrived

    # -- the loop -------------------------------------------------------------------------
    def go(self, start: str, headers: dict[str, str]) -> FetchResult:
        self.start = start
        current = start
        chain = [current]
        self._check_hop(current)
        while True:
            out = self._request(current, headers)
            if out.error is not None:
                code = out.error.code
                self._record(out, detail=str(out.error), error=code)
                if should_retry(None, code) and self._may_retry():
                    if code == "net:timeout" and out.received:
                        self.slow_timeouts += 1
                        if self.slow_timeouts > SLOW_RETRIES:
                            self._fail(_noted(out.error, "timed out again after receiving "
                                                         f"{out.received} bytes: not retried"))
                    self._wait_within_budget(backoff_delay(self.try_no, *self._backoff()), out.error)
                    continue
                self._fail(out.error)

            status = out.status
            assert status is not None
            if status in REDIRECT_STATUSES:
                target = self._redirect_target(out)
                self._record(out, detail=f"redirect to {target}")
                if target in chain:
                    self._fail(
                        TooManyRedirectsError(
                            f"redirect loop: {current} sends back to {target}, already visited",
                            code="net:redirect-loop",
                        )
                    )
                if len(chain) > self.settings.max_redirects:
                    self._fail(
                        TooManyRedirectsError(
                            f"more than {self.settings.max_redirects} redirects from {start} "
                            "(settings.max_redirects / SCRAPER_MAX_REDIRECTS)"
                        )
                    )
                if _origin(target) != _origin(current):
                    # a source's headers and cookies are secrets: only the public ones travel
                    headers = {k: v for k, v in headers.items()
                               if k.lower() not in SENSITIVE_HEADERS and k.lower() in PUBLIC_HEADERS}
                self._check_hop(target)
                chain.append(target)
                current = target
                continue

            if 200 <= status < 300 or status == 304:
                self._record(out)
                return FetchResult(
                    url=start,
                    final_url=current,
                    status=status,
                    headers=tuple(out.headers.multi_items()),
                    content=out.content,
                    fetched_at=out.fetched_at,
                    elapsed_ms=out.elapsed_ms,
                    attempts=tuple(self.attempts),
                    truncated=out.truncated,
                )

            code = f"http:{status}"
            reason = out.headers.get("x-reason") or httpx.codes.get_reason_phrase(status)
            error = HTTPStatusError(
                f"{current} answered HTTP {status} {reason}".strip(), status=status, code=code
            )
            if should_retry(status, None) and self._may_retry():
                retry_after = parse_retry_after(
                    out.headers.get("retry-after"), datetime.now(timezone.utc)
                )
                if retry_after is not None and retry_after > self.settings.retry_after_max:
                    self._record(out, error=code, detail=f"Retry-After {retry_after:.0f}s over the cap")
                    self._fail(
                        HTTPStatusError(
                            f"{current} answered HTTP {status} and asks to wait {retry_after:.0f}s, "
                            f"more than retry_after_max ({self.settings.retry_after_max:.0f}s); "
                            "try again later",
                            status=status,
                            code=code,
                        )
                    )
                self._record(out, error=code, detail=str(error))
                delay = (
                    retry_after
                    if retry_after is not None
                    else backoff_delay(self.try_no, *self._backoff())
                )
                self._wait_within_budget(delay, error)
                continue
            self._record(out, error=code, detail=str(error))
            if should_retry(status, None):
                error = HTTPStatusError(
                    f"{error} after {self.try_no} attempts (settings.retries / SCRAPER_RETRIES)",
                    status=status,
                    code=code,
                )
            self._fail(error)

    # -- helpers --------------------------------------------------------------------------
    def _backoff(self) -> tuple[float, float, float]:
        return self.settings.backoff_base, self.settings.backoff_max, self.rand()

    def _may_retry(self) -> bool:
        return self.try_no <= self.settings.retries

    def _wait_within_budget(self, delay: float, error: ScraperError) -> None:
        """Wait ``delay`` before the next try, or fail with ``error`` when the wait would not
        leave :data:`MIN_ATTEMPT_SECONDS` of the URL's budget for it."""
        left = self.budget_end - time.monotonic()
        if delay + MIN_ATTEMPT_SECONDS > left:
            self._fail(_noted(error, (
                f"url_budget of {self.settings.url_budget:g}s spent after {self.try_no} attempt(s)"
                if delay < 1 else
                f"the next try would wait {delay:.0f}s, more than the {max(left, 0):.0f}s left of "
                f"url_budget ({self.settings.url_budget:g}s)"
            ) + " (settings.url_budget / SCRAPER_URL_BUDGET)"))
        self._wait(delay, error.code)

    def _wait(self, delay: float, why: str) -> None:
        log.info("retry url=%s attempt=%d after=%.2fs reason=%s", self.start, self.try_no + 1, delay, why)
        self.sleep(delay)
        self.try_no += 1

    def _fail(self, error: ScraperError) -> None:
        if self.attempts and self.attempts[-1].error is None:
            # e.g. the last hop of a redirect loop: the record says why the fetch ended
            last = self.attempts[-1]
            self.attempts[-1] = replace(last, error=error.code, error_detail=str(error))
        error.attempts = tuple(self.attempts)
        raise error

    def _record(self, out: _Outcome, *, error: str | None = None, detail: str | None = None) -> None:
        attempt = FetchAttempt(
            url=self.start,
            final_url=out.url,
            status=out.status,
            bytes=out.nbytes,
            duration_ms=round(out.elapsed_ms, 3),
            error=error,
            error_detail=detail,
            fetched_at=out.fetched_at,
            attempt=self.try_no,
            source=self.source,
        )
        self.attempts.append(attempt)
        log.info("fetch", extra={"url": self.start, "final_url": out.url, "status": out.status,
                                 "bytes": out.nbytes, "ms": round(out.elapsed_ms), "attempt": self.try_no,
                                 "error": error or "-"})

    def _check_hop(self, url: str) -> None:
        """Scheme, SSRF and the caller's check, before any request to ``url``."""
        try:
            parts = urlsplit(url)
            if parts.scheme.lower() not in ALLOWED_SCHEMES:
                raise BlockedURLError(
                    f"refused {url}: scheme {parts.scheme or '(none)'}: is not fetched, only http and https",
                    code="policy:scheme",
                )
            if not parts.hostname:
                raise BlockedURLError(f"refused {url}: no host name", code="policy:scheme")
            if not self.settings.allows_private(parts.hostname):
                check_public_address(parts.hostname, parts.port, False)
            if self.check_url is not None:
                self.check_url(url)
        except ScraperError as err:
            out = _Outcome(url=url)
            self._record(out, error=err.code, detail=str(err))
            self._fail(err)

    def _redirect_target(self, out: _Outcome) -> str:
        location = out.headers.get("location")
        if not location or not location.strip():
            self._record(out, error=f"http:{out.status}", detail="redirect without Location")
            self._fail(
                HTTPStatusError(
                    f"{out.url} answered HTTP {out.status} without a Location header",
                    status=out.status or 0,
                )
            )
        assert location is not None
        try:
            target = urljoin(out.url, location.strip()).split("#", 1)[0]
            urlsplit(target).port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            err = BlockedURLError(
                f"refused the redirect from {out.url}: Location {location!r} is not a valid URL ({exc})",
                code="policy:bad-url",
            )
            self._record(out, error=err.code, detail=str(err))
            self._fail(err)
        return target

    def _request(self, url: str, headers: dict[str, str]) -> _Outcome:
        s = self.settings
        out = _Outcome(url=url)
        t0 = time.monotonic()
        deadline = min(t0 + s.total_timeout, self.budget_end)
        span = max(deadline - t0, 0.001)
        timeout = httpx.Timeout(
            connect=min(s.connect_timeout, span),
            read=min(s.read_timeout, span),
            write=min(s.read_timeout, span),
            pool=min(s.connect_timeout, span),
        )
        host = urlsplit(url).hostname or ""
        policy = RequestPolicy(allow_private=s.allows_private(host), deadline=deadline)
        try:
            with request_policy(policy), self.client.stream(
                "GET", url, headers=headers, timeout=timeout
            ) as resp:
                out.status = resp.status_code
                out.headers = redact_headers(resp.headers, self.secrets)
                if self.on_response is not None:
                    self.on_response(url, resp.status_code, resp.headers)
                if 200 <= resp.status_code < 300:
                    out.content = self._read_body(resp, url, out, deadline)
        except ScraperError as err:
            out.error = err
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.01:
                out.error = self._deadline_error(url, deadline, "answer")
            else:
                out.error = FetchError(
                    f"timed out fetching {url} ({type(exc).__name__})", code="net:timeout"
                )
        except httpx.ConnectError as exc:
            out.error = FetchError(f"cannot connect to {url}: {exc}", code="net:connect")
        except httpx.RemoteProtocolError as exc:
            out.error = FetchError(f"broken response from {url}: {exc}", code="net:protocol")
        except (httpx.ReadError, httpx.WriteError) as exc:
            out.error = FetchError(f"connection lost fetching {url}: {exc}", code="net:reset")
        except httpx.UnsupportedProtocol as exc:
            out.error = BlockedURLError(f"refused {url}: {exc}", code="policy:scheme")
        except httpx.InvalidURL as exc:
            # httpx parses a 3xx's Location before returning the response; an unparseable one
            # (``data:text/html,x``, a bad port) ends here without the response.
            out.error = BlockedURLError(
                f"refused {url}: it or its redirect Location is not a valid URL ({exc})",
                code="policy:bad-url",
            )
        except httpx.HTTPError as exc:
            out.error = FetchError(f"fetching {url} failed: {exc}", code="net:error")
        out.elapsed_ms = (time.monotonic() - t0) * 1000
        out.received = policy.received
        return out

    def _deadline_error(self, url: str, deadline: float, what: str) -> FetchError:
        """``net:timeout`` naming the limit that ``deadline`` was: the URL's budget or
        ``total_timeout``."""
        s = self.settings
        if deadline >= self.budget_end:
            return FetchError(
                f"{url} did not {what} within what was left of url_budget ({s.url_budget:g}s "
                "for all attempts; settings.url_budget / SCRAPER_URL_BUDGET)",
                code="net:timeout",
            )
        return FetchError(
            f"{url} took longer than total_timeout ({s.total_timeout:g}s) to {what} "
            "(settings.total_timeout / SCRAPER_TOTAL_TIMEOUT)",
            code="net:timeout",
        )

    def _read_body(self, resp: httpx.Response, url: str, out: _Outcome, deadline: float) -> bytes:
        limit = self.settings.max_bytes
        encoding = resp.headers.get("content-encoding", "identity")
        decoder = make_decoder(encoding, limit, url)
        length = resp.headers.get("content-length", "")
        if (isinstance(decoder, _Identity) and length.isdigit() and int(length) > limit
                and not self.truncate):
            raise _too_large(url, limit, f"Content-Length {length}")
        if resp.is_stream_consumed:  # a transport that read the body already (e.g. a mock)
            out.nbytes = len(resp.content)
            if out.nbytes > limit:
                if self.truncate:
                    out.truncated = True
                    return resp.content[:limit]
                raise _too_large(url, limit, f"{out.nbytes} bytes")
            return resp.content
        parts: list[bytes] = []

        def take(chunks: Iterable[bytes]) -> bool:
            """Keep ``chunks`` within the limit; True once the body was cut at it."""
            for chunk in chunks:
                out.nbytes += len(chunk)
                if out.nbytes > limit:
                    if not self.truncate:
                        raise _too_large(url, limit, f"{out.nbytes}+ bytes read")
                    parts.append(chunk[: len(chunk) - (out.nbytes - limit)])
                    out.truncated = True
                    return True
                parts.append(chunk)
            return False

        for raw in resp.iter_raw():
            if take(decoder.feed(raw)):
                return b"".join(parts)
            if time.monotonic() > deadline:
                raise self._deadline_error(url, deadline, "send its body")
        take(decoder.flush())
        return b"".join(parts)


# Caller headers that carry no secret: validators of a conditional GET and content negotiation.
# Every other header a caller adds (a source's headers and cookies, read from the environment)
# is treated as a secret.
PUBLIC_HEADERS = frozenset({
    "if-none-match", "if-modified-since", "accept", "accept-language", "accept-encoding",
    "user-agent", "referer", "cache-control", "pragma",
})
REDACTED = "[redacted]"
_MIN_SECRET = 4  # shorter values would redact ordinary words


def secret_values(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The values of ``headers`` that must never be stored or logged: whole values of every
    header but :data:`PUBLIC_HEADERS`, and each cookie's value on its own."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in PUBLIC_HEADERS or not value:
            continue
        found.add(value.strip())
        if name.lower() == "cookie":
            for pair in value.split(";"):
                found.add(pair.partition("=")[2].strip())
        else:
            found.update(part for part in value.split() if len(part) >= 8)  # "Bearer <token>"
    return tuple(sorted((v for v in found if len(v) >= _MIN_SECRET), key=len, reverse=True))


def redact_headers(headers: httpx.Headers, secrets: tuple[str, ...]) -> httpx.Headers:
    """``headers`` with every occurrence of a secret we sent replaced by ``[redacted]`` (a
    server that reflects our cookie or token in a header must not get it archived)."""
    if not secrets:
        return headers
    items = []
    changed = False
    for name, value in headers.multi_items():
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
                changed = True
        items.append((name, value))
    return httpx.Headers(items) if changed else headers


def _noted(error: ScraperError, note: str) -> ScraperError:
    """``error`` again (same class and code) with ``note`` added to its message."""
    if isinstance(error, HTTPStatusError):
        return HTTPStatusError(f"{error}; {note}", status=error.status, code=error.code)
    return type(error)(f"{error}; {note}", code=error.code)


def _too_large(url: str, limit: int, what: str) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"body of {url} passed the size limit of {limit} bytes ({what}); "
        "raise settings.max_bytes / SCRAPER_MAX_BYTES to accept it"
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


# -- bounded decompression ----------------------------------------------------------------------


class _Decoder:
    """Streams decompressed chunks; never produces more than ``limit + 1`` bytes in all, so the
    caller sees the limit passed without the bomb ever being inflated in memory."""

    def __init__(self, limit: int, url: str) -> None:
        self.remaining = limit + 1
        self.url = url

    def feed(self, data: bytes) -> list[bytes]:  # pragma: no cover - interface
        raise NotImplementedError

    def flush(self) -> list[bytes]:
        return []

    def _take(self, chunk: bytes) -> bytes:
        self.remaining -= len(chunk)
        return chunk

    def _error(self, exc: Exception) -> FetchError:
        return FetchError(f"cannot decompress the body of {self.url}: {exc}", code="net:decoding")


class _Identity(_Decoder):
    def feed(self, data: bytes) -> list[bytes]:
        return [self._take(data)] if data else []


class _Zlib(_Decoder):
    def __init__(self, limit: int, url: str, wbits: int, *, fallback_raw: bool = False) -> None:
        super().__init__(limit, url)
        self.wbits = wbits
        self.obj = zlib.decompressobj(wbits)
        self.fallback_raw = fallback_raw  # "deflate" is sometimes sent without its zlib header
        self.started = False

    def feed(self, data: bytes) -> list[bytes]:
        chunks: list[bytes] = []
        try:
            while data and self.remaining > 0:
                if self.obj.eof:  # another gzip member follows (``data`` holds its start)
                    self.obj = zlib.decompressobj(self.wbits)
                try:
                    out = self.obj.decompress(data, self.remaining)
                except zlib.error:
                    if self.fallback_raw and not self.started:
                        self.fallback_raw = False
                        self.wbits = -zlib.MAX_WBITS
                        self.obj = zlib.decompressobj(self.wbits)
                        out = self.obj.decompress(data, self.remaining)
                    else:
                        raise
                self.started = True
                if out:
                    chunks.append(self._take(out))
                data = self.obj.unconsumed_tail or (self.obj.unused_data if self.obj.eof else b"")
                if self.obj.eof and data and not data.strip(b"\x00"):
                    break  # trailing padding after the last member
        except zlib.error as exc:
            raise self._error(exc) from None
        return chunks

    def flush(self) -> list[bytes]:
        try:
            out = self.obj.flush(max(self.remaining, 1))
        except zlib.error as exc:  # pragma: no cover - flush rarely fails
            raise self._error(exc) from None
        return [self._take(out)] if out else []


class _Brotli(_Decoder):
    def __init__(self, limit: int, url: str) -> None:
        super().__init__(limit, url)
        import brotli

        self.brotli = brotli
        self.obj = brotli.Decompressor()

    def feed(self, data: bytes) -> list[bytes]:
        chunks: list[bytes] = []
        try:
            out = self.obj.process(data, output_buffer_limit=self.remaining)
            if out:
                chunks.append(self._take(out))
            while self.remaining > 0 and not self.obj.can_accept_more_data():
                out = self.obj.process(b"", output_buffer_limit=self.remaining)
                if not out:
                    break
                chunks.append(self._take(out))
        except self.brotli.error as exc:
            raise self._error(exc) from None
        return chunks


def make_decoder(content_encoding: str, limit: int, url: str) -> _Decoder:
    """A bounded decoder for a Content-Encoding value (last coding applied is undone first;
    only single codings are supported, as browsers in practice see). Unknown codings pass
    through as identity: the bytes are kept as received."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity(limit, url)
    if len(codings) > 1:
        raise FetchError(
            f"{url} uses stacked content codings {content_encoding!r}, which are not supported",
            code="net:decoding",
        )
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Zlib(limit, url, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Zlib(limit, url, zlib.MAX_WBITS, fallback_raw=True)
    if coding == "br":
        return _Brotli(limit, url)
    return _Identity(limit, url)
