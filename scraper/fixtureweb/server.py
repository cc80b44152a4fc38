"""The fixture web: a threaded loopback HTTP server for tests and ``make demo``.

Static files under ``sites/<site>/<path>`` are served at ``/<site>/<path>`` byte for byte; a
directory serves its ``index.html``. A sidecar ``<file>.headers.json`` sets the status and the
headers exactly::

    {"status": 200, "headers": {"Content-Type": "text/html; charset=iso-8859-1"},
     "gzip": true, "validators": true}

A header set to ``null`` is not sent (e.g. ``"ETag": null``). ``"gzip": false`` never compresses;
``"validators": false`` sends no ETag/Last-Modified and never answers 304. Static responses carry
an ``ETag`` and ``Last-Modified`` and answer ``If-None-Match`` / ``If-Modified-Since`` with 304,
and are gzip-compressed when the client accepts gzip and the type is text.

Tests publish and change pages between polls with :meth:`FixtureWeb.put` (an in-memory overlay
over the files; each put moves ``Last-Modified`` forward) and :meth:`FixtureWeb.delete`.

Dynamic endpoints under ``/_/`` (query parameters in brackets; counters are per path+query, so a
test that wants its own counter adds e.g. ``&key=mytest``)::

    /_/redirect?to=URL[&status=302]        one redirect to URL (any scheme: file:, ftp: too)
    /_/chain/N[?to=URL]                    N redirects, /_/chain/N -> /_/chain/N-1 ... -> URL
    /_/loop/a, /_/loop/b                   a -> b -> a
    /_/status/CODE                         that status with a small HTML body (/_/404 too)
    /_/429[?retry_after=1][&date=1][&fail=1]   429 `fail` times (Retry-After in seconds, or an
                                           HTTP-date with date=1; omitted if retry_after=none),
                                           then 200
    /_/flaky500[?fail=2][&status=500]      that status `fail` times, then 200
    /_/slow[?delay=2][&trickle=0][&chunks=5]   wait `delay` s before the headers, then send
                                           `chunks` body chunks `trickle` s apart
    /_/gzipbomb[?mb=64]                    gzip body inflating to `mb` MiB of zeros
    /_/brbomb[?mb=64]                      the same with brotli
    /_/big?bytes=N                         N bytes of HTML-ish filler with Content-Length
    /_/short                               Content-Length larger than the body, then close
    /_/reset                               connection reset after part of the body
    /_/echo                                the request's method, path and headers as JSON

More hostile endpoints (a lazily streamed 2 GB body, trickled headers, XML bombs, a
self-referencing sitemap index…) live in :mod:`scraper.fixtureweb.faults`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from scraper.fixtureweb import faults

SITES_ROOT = Path(__file__).resolve().parent / "sites"
SIDECAR_SUFFIX = ".headers.json"
COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml", "application/atom+xml",
                "application/json", "application/xhtml+xml", "application/javascript")
EXTRA_TYPES = {".html": "text/html", ".htm": "text/html", ".xml": "application/xml",
               ".rss": "application/rss+xml", ".atom": "application/atom+xml",
               ".txt": "text/plain", ".pdf": "application/pdf", ".json": "application/json"}


@dataclass(frozen=True)
class Page:
    """One servable resource: the exact bytes, status and headers (None means: not sent)."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str | None] = field(default_factory=dict)
    last_modified: float = 0.0  # epoch seconds
    gzip: bool = True
    validators: bool = True
    delay: float = 0.0  # seconds to wait before answering (a slow host)


@dataclass(frozen=True)
class RequestRecord:
    """A request the fixture web received (for tests: User-Agent, conditional headers…)."""

    method: str
    path: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]
    at: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class FixtureWeb:
    """The fixture web on ``host:port`` (port 0: a free one), served from a background thread.

    >>> with FixtureWeb() as web:
    ...     web.url("/developpez/")          # doctest: +SKIP
    """

    def __init__(self, root: Path | str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root) if root is not None else SITES_ROOT
        self.host = host
        self.port = port
        self._overlay: dict[str, Page | None] = {}  # path -> page, or None for deleted
        self._counters: dict[str, int] = {}
        self._requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> FixtureWeb:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.web = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fixtureweb:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in /_/slow
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fixture web is not started; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` (``"developpez/actu/"`` or ``"/_/slow?delay=1"``)."""
        return self.base_url + "/" + path.lstrip("/")

    # -- publishing (tests) -----------------------------------------------------------------
    def put(
        self,
        path: str,
        body: bytes | str,
        *,
        headers: Mapping[str, str | None] | None = None,
        status: int = 200,
        content_type: str | None = None,
        gzip: bool = True,
        validators: bool = True,
        delay: float = 0.0,
    ) -> str:
        """Publish or replace ``path`` in memory (over any file); returns its URL.

        A ``str`` body is encoded as UTF-8; ``delay`` makes each answer wait that many seconds
        (a slow host; :meth:`stop` cuts the wait short). ``Last-Modified`` becomes now, and always moves
        forward by at least one second from the previous version of the path, so a poll with
        ``If-Modified-Since`` sees the change."""
        path = _clean_path(path)
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        hdrs: dict[str, str | None] = dict(headers or {})
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        elif not any(k.lower() == "content-type" for k in hdrs):
            ctype = _guess_type(path)
            if isinstance(body, str) and (ctype.startswith("text/") or ctype.endswith("xml")):
                ctype += "; charset=utf-8"
            hdrs["Content-Type"] = ctype
        with self._lock:
            previous = self._overlay.get(path)
            if previous is None:
                previous = self._load_file(path)
            now = float(int(time.time()))
            if previous is not None and previous.last_modified >= now:
                now = previous.last_modified + 1
            self._overlay[path] = Page(data, status, hdrs, now, gzip, validators, delay)
        return self.url(path) if self._server is not None else path

    def delete(self, path: str) -> None:
        """Make ``path`` answer 404, even if a file exists for it."""
        with self._lock:
            self._overlay[_clean_path(path)] = None

    def reset(self) -> None:
        """Forget the overlay, the counters and the request log."""
        with self._lock:
            self._overlay.clear()
            self._counters.clear()
            self._requests.clear()

    # -- inspection (tests) -----------------------------------------------------------------
    def requests(self, path: str | None = None) -> list[RequestRecord]:
        """Requests received so far, oldest first; only those to ``path`` (without query) if given."""
        with self._lock:
            records = list(self._requests)
        if path is None:
            return records
        path = _clean_path(path)
        return [r for r in records if r.path.split("?", 1)[0] == path]

    def hits(self, path: str) -> int:
        return len(self.requests(path))

    # -- internals --------------------------------------------------------------------------
    def _count(self, key: str) -> int:
        """Increment and return the counter of ``key`` (1 for the first request)."""
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def page(self, path: str) -> Page | str | None:
        """The page at ``path``; a str is a redirect target (directory without slash)."""
        path = _clean_path(path)
        with self._lock:
            if path in self._overlay:
                return self._overlay[path]
            if path.endswith("/") and path + "index.html" in self._overlay:
                return self._overlay[path + "index.html"]
        if path.endswith(SIDECAR_SUFFIX):
            return None
        target = self._file_path(path)
        if target is None:
            return None
        if target.is_dir():
            if not path.endswith("/"):
                return path + "/"
            target = target / "index.html"
            if not target.is_file():
                return None
        return self._load(target, path)

    def _file_path(self, path: str) -> Path | None:
        rel = unquote(path).lstrip("/")
        target = (self.root / rel).resolve()
        root = self.root.resolve()
        if target != root and root not in target.parents:
            return None
        return target if target.exists() else None

    def _load_file(self, path: str) -> Page | None:
        target = self._file_path(path)
        if target is None:
            return None
        if target.is_dir():
            target = target / "index.html"
        return self._load(target, path) if target.is_file() else None

    def _load(self, target: Path, path: str) -> Page:
        body = target.read_bytes()
        spec: dict[str, object] = {}
        sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
        if sidecar.is_file():
            spec = json.loads(sidecar.read_text(encoding="utf-8"))
        headers: dict[str, str | None] = {}
        if not any(k.lower() == "content-type" for k in dict(spec.get("headers") or {})):  # type: ignore[call-overload]
            headers["Content-Type"] = _guess_type(target.name)
        headers.update(spec.get("headers") or {})  # type: ignore[call-overload]
        return Page(
            body=body,
            status=int(spec.get("status", 200)),  # type: ignore[call-overload]
            headers=headers,
            last_modified=float(int(target.stat().st_mtime)),
            gzip=bool(spec.get("gzip", True)),
            validators=bool(spec.get("validators", True)),
        )


def _clean_path(path: str) -> str:
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    return "/" + path.lstrip("/")


def _guess_type(name: str) -> str:
    suffix = Path(name.rstrip("/") or "index.html").suffix.lower()
    if name.endswith("/"):
        suffix = ".html"
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    web: FixtureWeb

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # a client that goes away is normal here (timeouts, size limits)
        super().handle_error(request, client_address)  # type: ignore[arg-type]


_BOMB_CACHE: dict[tuple[str, int], bytes] = {}


def _bomb(kind: str, mib: int) -> bytes:
    key = (kind, mib)
    if key not in _BOMB_CACHE:
        if kind == "gzip":
            obj = __import__("zlib").compressobj(9, 8, 16 + 15)
            block = b"\0" * (1 << 20)
            data = b"".join(obj.compress(block) for _ in range(mib)) + obj.flush()
        else:
            import brotli

            data = brotli.compress(b"\0" * (mib << 20), quality=5)
        _BOMB_CACHE[key] = data
    return _BOMB_CACHE[key]


def _filler(n: int) -> Iterator[bytes]:
    line = b"<p>Lorem ipsum dolor sit amet, fixture web filler paragraph for size limits.</p>\n"
    sent = 0
    while sent < n:
        chunk = (line * 800)[: n - sent]
        sent += len(chunk)
        yield chunk


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fixtureweb/1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # quiet: tests read web.requests() instead

    @property
    def web(self) -> FixtureWeb:
        return self.server.web

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(head=True)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(head=False)

    def _dispatch(self, *, head: bool) -> None:
        self.web._log(RequestRecord(self.command, self.path, tuple(self.headers.items()), time.time()))
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            if parts.path.startswith("/_/"):
                self._dynamic(parts.path[3:], query, head)
            else:
                self._static(parts.path, head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- responses ------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes = b"", headers: Mapping[str, str | None] | None = None,
        *, head: bool = False,
    ) -> None:
        self.send_response(status)
        names = set()
        for name, value in (headers or {}).items():
            names.add(name.lower())
            if value is not None:
                self.send_header(name, value)
        if "content-length" not in names and status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body and status not in (204, 304):
            self.wfile.write(body)

    def _html(self, status: int, title: str, extra: Mapping[str, str | None] | None = None,
              *, head: bool = False) -> None:
        # a 200 is an article (a heading alone is no article text: extract:no-article)
        text = (f"<p>{title}: this page stands for a news article, with a few ordinary sentences "
                "of text for the extractor to keep.</p>") if status == 200 else ""
        body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
                f"<body><h1>{title}</h1>{text}</body></html>\n").encode()
        headers: dict[str, str | None] = {"Content-Type": "text/html; charset=utf-8"}
        headers.update(extra or {})
        self._send(status, body, headers, head=head)

    def _static(self, path: str, head: bool) -> None:
        page = self.web.page(path)
        if page is None:
            self._html(404, "404 Not Found", head=head)
            return
        if isinstance(page, str):
            self._html(301, "Moved", {"Location": page}, head=head)
            return
        if page.delay and self.web._stopping.wait(page.delay):
            self.close_connection = True
            return
        headers: dict[str, str | None] = {}
        etag = _etag(page.body)
        last_modified = formatdate(page.last_modified, usegmt=True)
        if page.validators:
            headers["ETag"] = etag
            headers["Last-Modified"] = last_modified
        headers.update(page.headers)
        if page.validators and page.status == 200 and self._not_modified(
            headers.get("ETag"), headers.get("Last-Modified")
        ):
            self._send(304, b"", {k: v for k, v in headers.items()
                                  if k.lower() in ("etag", "last-modified", "cache-control", "expires")})
            return
        body = page.body
        ctype = (headers.get("Content-Type") or "").lower()
        explicit_encoding = any(k.lower() == "content-encoding" for k in headers)
        if page.gzip and not explicit_encoding and ctype.startswith(COMPRESSIBLE):
            headers["Vary"] = "Accept-Encoding"
            if _accepts(self.headers.get("Accept-Encoding", ""), "gzip"):
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
        self._send(page.status, body, headers, head=head)

    def _not_modified(self, etag: str | None, last_modified: str | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            if etag is None:
                return False
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag.removeprefix("W/") in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None and last_modified is not None:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    # -- /_/ endpoints --------------------------------------------------------------------
    def _dynamic(self, name: str, q: dict[str, str], head: bool) -> None:
        web = self.web
        key = self.path
        if name == "redirect":
            to = q.get("to", "/")
            self._html(int(q.get("status", "302")), "Redirect", {"Location": to}, head=head)
        elif name.startswith("chain/"):
            n = int(name.split("/", 1)[1] or "0")
            to = q.get("to", "/_/status/200")
            suffix = f"?to={q['to']}" if "to" in q else ""
            target = f"/_/chain/{n - 1}{suffix}" if n > 1 else to
            self._html(302, "Redirect", {"Location": target}, head=head)
        elif name in ("loop/a", "loop/b"):
            other = "b" if name.endswith("a") else "a"
            self._html(302, "Loop", {"Location": f"/_/loop/{other}"}, head=head)
        elif name.startswith("status/") or name.isdigit():
            code = int(name.split("/")[-1])
            if name == "429":
                self._too_many(q, key, head)
            else:
                phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else ""
                self._html(code, f"{code} {phrase}".strip(), head=head)
        elif name == "flaky500":
            n = web._count(key)
            if n <= int(q.get("fail", "2")):
                self._html(int(q.get("status", "500")), "Server Error", head=head)
            else:
                self._html(200, f"Recovered after {n - 1} failures", head=head)
        elif name == "slow":
            self._slow(q, head)
        elif name in ("gzipbomb", "brbomb"):
            kind = "gzip" if name == "gzipbomb" else "br"
            body = _bomb(kind, int(q.get("mb", "64")))
            self._send(200, body, {"Content-Type": "text/html; charset=utf-8",
                                   "Content-Encoding": kind}, head=head)
        elif name == "big":
            n = int(q.get("bytes", str(1 << 20)))
            self._send(200, b"", {"Content-Type": "text/html; charset=utf-8",
                                  "Content-Length": str(n)}, head=True)
            if not head:
                for chunk in _filler(n):
                    self.wfile.write(chunk)
        elif name == "short":
            body = b"<html><body><p>This body is shorter than announced.</p>"
            self._send(200, b"", {"Content-Type": "text/html", "Content-Length": str(len(body) + 500)},
                       head=True)
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif name == "reset":
            self._send(200, b"", {"Content-Type": "text/html", "Content-Length": "100000"}, head=True)
            self.wfile.write(b"<html><body>" + b"x" * 1000)
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif name == "echo":
            body = json.dumps({"method": self.command, "path": self.path,
                               "headers": dict(self.headers.items())}, indent=1).encode()
            self._send(200, body, {"Content-Type": "application/json"}, head=head)
        elif not faults.handle(self, name, q, head):  # hostile endpoints: see faults.py
            self._html(404, "404 Not Found", head=head)

    def _too_many(self, q: dict[str, str], key: str, head: bool) -> None:
        n = self.web._count(key)
        if n > int(q.get("fail", "1")):
            self._html(200, f"Served after {n - 1} refusals", head=head)
            return
        value = q.get("retry_after", "1")
        headers: dict[str, str | None] = {}
        if value != "none":
            headers["Retry-After"] = (
                formatdate(time.time() + float(value), usegmt=True) if q.get("date") == "1" else value
            )
        self._html(429, "429 Too Many Requests", headers, head=head)

    def _slow(self, q: dict[str, str], head: bool) -> None:
        stopping = self.web._stopping
        if stopping.wait(float(q.get("delay", "2"))):
            self.close_connection = True
            return
        chunks = int(q.get("chunks", "5"))
        trickle = float(q.get("trickle", "0"))
        piece = b"<p>slow paragraph</p>\n"
        self._send(200, b"", {"Content-Type": "text/html; charset=utf-8",
                              "Content-Length": str(len(piece) * chunks)}, head=True)
        if head:
            return
        for i in range(chunks):
            if i and stopping.wait(trickle):
                self.close_connection = True
                return
            self.wfile.write(piece)
            self.wfile.flush()


def _accepts(accept_encoding: str, coding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in (coding, "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or "0") == 0)
    return False
