"""The one shared HTTP client: our User-Agent, timeouts, no automatic redirects, and a guarded
connection layer.

Redirects are followed by :func:`scraper.net.fetch.fetch`, hop by hop, so each hop's scheme and
address can be checked. Bodies are decompressed by fetch() too, with an output limit, so the
client asks for compressed bodies but never decodes them itself.

Below httpx, every TCP connection goes through :class:`GuardedBackend` (an httpcore network
backend):

- **SSRF at connect time, pinned.** The host name is resolved once, every address is checked
  (:func:`scraper.net.urls.is_public_ip`) and the socket is opened to one of *those* addresses, so
  a DNS answer that changes between the check and the connection (rebinding) cannot slip a
  private address in. TLS still verifies the certificate against the host name (SNI).
- **A total deadline per response.** Each socket read and write waits at most until the
  deadline of the fetch in progress (:func:`request_policy`), so a server that trickles its
  status line and headers one byte at a time is cut off at ``total_timeout`` like a slow body,
  not only when it goes silent for ``read_timeout``.

- **Pooled per (origin, policy).** The client's transport keeps two connection pools, one whose
  connections may go to private addresses and one whose connections may not
  (:class:`PolicyTransport`); a request goes to the pool of its policy, so a keep-alive
  connection opened for a fetch allowed a private host is never reused by a fetch that is not.

The policy (deadline, allow_private) of the fetch in progress travels in a context variable set
by fetch(), which decides ``allow_private`` per URL and per redirect hop
(:meth:`scraper.settings.Settings.allows_private`); a request made with the client directly uses
the client's own ``allow_private`` and no deadline beyond httpx's timeouts.
"""

from __future__ import annotations

import contextvars
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from scraper.errors import BlockedURLError, FetchError
from scraper.net.urls import refuse_private
from scraper.settings import Settings

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass
class RequestPolicy:
    """What the connection layer enforces for the fetch in progress."""

    allow_private: bool
    deadline: float | None = None  # time.monotonic() value; None: no total deadline
    received: int = 0  # bytes read from the network for this request (status line, headers, body)


_POLICY: contextvars.ContextVar[RequestPolicy | None] = contextvars.ContextVar(
    "scraper_request_policy", default=None
)


@contextmanager
def request_policy(policy: RequestPolicy) -> Iterator[RequestPolicy]:
    """Make ``policy`` the one the connection layer applies inside the ``with`` block."""
    token = _POLICY.set(policy)
    try:
        yield policy
    finally:
        _POLICY.reset(token)


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (for TCP), in the resolver's order, without repeats.

    Looks ``socket.getaddrinfo`` up at call time, so tests can monkeypatch it."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}", code="net:dns") from None
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _remaining(policy: RequestPolicy | None, timeout: float | None) -> float | None:
    """``timeout``, shortened to what is left before the deadline of the fetch in progress."""
    if policy is None or policy.deadline is None:
        return timeout
    left = policy.deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the total deadline of the response passed")
    return left if timeout is None or left < timeout else timeout


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait ends at the deadline of the fetch in progress.

    On Linux, each read first asks for immediate ACKs (``TCP_QUICKACK``, which the kernel
    resets by itself): on a keep-alive connection reused back to back, delayed ACKs meet the
    server's Nagle (headers then body in two writes) and every response waited ~40 ms more."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self._sock: Any = None
        if _QUICKACK is not None:
            try:
                sock = inner.get_extra_info("socket")
            except Exception:  # noqa: BLE001 - a stream without one (tests' fakes)
                sock = None
            self._sock = sock if hasattr(sock, "setsockopt") else None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._quickack()
        policy = _POLICY.get()
        data = self._inner.read(max_bytes, _remaining(policy, timeout))
        self._quickack()  # also sends the ACK of what was just read, if one is pending
        if policy is not None:
            policy.received += len(data)
        return data

    def _quickack(self) -> None:
        if self._sock is not None:
            try:
                self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:
                self._sock = None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(_POLICY.get(), timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _remaining(_POLICY.get(), timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check and pin the address of every new connection; bound every wait.

    ``allow_private`` is the backend's own, fixed: a pool's connections are opened under one
    policy (see :class:`PolicyTransport`)."""

    def __init__(self, allow_private: bool, inner: httpcore.NetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        policy = _POLICY.get()
        addresses = resolve_host(host, port)
        if not self.allow_private:
            refuse_private(host, addresses)
        last: Exception | None = None
        for address in addresses:  # connect to an address we checked, never re-resolve
            try:
                stream = self._inner.connect_tcp(
                    address, port, _remaining(policy, timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        if last is not None:
            raise last
        raise FetchError(f"cannot resolve host {host!r}: no address", code="net:dns")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise BlockedURLError("unix sockets are never used", code="policy:scheme")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def make_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )


LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30)


def guarded_transport(allow_private: bool) -> httpx.HTTPTransport:
    """httpx's transport with :class:`GuardedBackend` as its connection layer: one pool whose
    connections are all opened under ``allow_private``."""
    transport = httpx.HTTPTransport(http1=True, http2=False, limits=LIMITS, trust_env=False)
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):  # pragma: no cover - an httpcore we do not know
        raise RuntimeError("httpcore.ConnectionPool has no _network_backend; pin httpcore<2")
    pool._network_backend = GuardedBackend(allow_private)
    return transport


class PolicyTransport(httpx.BaseTransport):
    """Two guarded pools, public-only and private-allowed; each request goes to the pool of the
    policy of the fetch in progress (else to the client's default), so connections are pooled
    per (origin, policy) and a private-allowed connection never serves a public-only fetch."""

    def __init__(self, allow_private: bool) -> None:
        self.default = allow_private
        self.public = guarded_transport(False)
        self.private = guarded_transport(True)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        policy = _POLICY.get()
        allow = policy.allow_private if policy is not None else self.default
        return (self.private if allow else self.public).handle_request(request)

    def close(self) -> None:
        self.public.close()
        self.private.close()


def make_transport(settings: Settings) -> PolicyTransport:
    """The client's transport: :class:`PolicyTransport` over :class:`GuardedBackend` pools."""
    return PolicyTransport(settings.allow_private)


def make_client(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One client per process (or per daemon), shared by every fetch; close it when done.

    ``transport`` is for tests (``httpx.MockTransport``); by default the guarded transport."""
    return httpx.Client(
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept-Language": "fr,en;q=0.8",
        },
        timeout=make_timeout(settings),
        follow_redirects=False,
        trust_env=False,  # proxies and netrc from the environment would bypass the SSRF check
        transport=transport if transport is not None else make_transport(settings),
    )
