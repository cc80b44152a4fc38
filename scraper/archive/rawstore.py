"""Where raw response bodies live: in the archive (default) or in rotating WARC files.

With ``raw_store: warc`` (``SCRAPER_RAW_STORE=warc``) a ``responses`` row keeps no body: its
``codec`` is ``warc`` and ``warc_file``, ``warc_offset``, ``warc_length`` name the gzip member
holding its WARC ``response`` record. Each response is written as three WARC 1.1 records, each
its own gzip member: ``request``, ``response`` (status line, stored headers, the body as
received after decoding, so ``Content-Encoding``/``Transfer-Encoding`` are dropped and
``Content-Length`` fixed), and a ``metadata`` record (JSON: size, sha256, fetch time). Files
start with a ``warcinfo`` record and are closed once they pass ``warc_max_bytes``.

Durability: :meth:`WarcStore.seal` closes and fsyncs the file being written (an object store
gets the whole object uploaded), and :meth:`scraper.archive.Archive.write` calls it before the
``COMMIT`` of the rows that point into it. A transaction that rolls back leaves records no row
points to, which is harmless.

The seam is small on purpose: ``put(response) -> RawRef`` and ``get(ref) -> bytes``. The
write path asks :func:`active` for the store of the archive being written (configured once per
archive path with :func:`configure`, by the command line from the settings) at the one place
it builds a ``responses`` row; readers call :func:`body_of` on a ``responses`` row.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import json
import os
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from scraper.errors import ArchiveError
from scraper.models import FetchResult
from scraper.settings import VERSION

WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class RawRef:
    file: str  # absolute path or s3:// URL
    offset: int
    length: int


class RawStore(Protocol):
    def put(self, response: FetchResult) -> RawRef: ...
    def get(self, ref: RawRef) -> bytes: ...
    def seal(self) -> None: ...


# -- WARC records -----------------------------------------------------------------------------


def http_headers_for(response: FetchResult) -> StatusAndHeaders:
    """Status line and headers of a response, fixed to describe its decoded body; cookies and
    credentials (``REDACTED_HEADERS``) are never written."""
    from scraper.archive.store import REDACTED_HEADERS  # store imports this module

    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (name, value)
        for name, value in response.headers
        if name.lower() not in WIRE_HEADERS and name.lower() not in REDACTED_HEADERS
    ]
    headers.append(("Content-Length", str(len(response.content))))
    return StatusAndHeaders(f"{response.status} {reason}", headers, protocol="HTTP/1.1")


def warc_date(value: datetime) -> str:
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime_to_iso_date(utc.replace(tzinfo=None), use_micros=True)


def _request_headers(url: str) -> StatusAndHeaders:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], protocol="HTTP/1.1",
                            is_http_request=True)


class _Records:
    """Writes WARC records to ``stream``, each its own gzip member, at zlib level 1: warcio's
    own gzip writer uses level 9, several times slower on ~40 KB pages for files ~10% smaller
    (the DuckDB path zlibs bodies at level 1 too). Any gzip reader reads either."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._buf = io.BytesIO()
        self._plain = WARCWriter(self._buf, gzip=False, warc_version="1.1")
        self.create_warc_record = self._plain.create_warc_record
        self.create_warcinfo_record = self._plain.create_warcinfo_record

    def write_record(self, record: Any) -> None:
        self._buf.seek(0)
        self._buf.truncate()
        self._plain.write_record(record)
        packer = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.stream.write(packer.compress(self._buf.getvalue()) + packer.flush())


# -- the store ----------------------------------------------------------------------------------


class WarcStore:
    """Rotating, size-bounded WARC files under a directory or an ``s3://bucket/prefix``."""

    def __init__(self, root: str | Path, *, max_bytes: int = 100 * 1024 * 1024,
                 environ: Mapping[str, str] | None = None) -> None:
        self.root = str(root)
        self.remote = "://" in self.root and not self.root.startswith("file://")
        if not self.remote:
            self.root = str(Path(self.root.removeprefix("file://")).expanduser().resolve())
        self.max_bytes = max_bytes
        self.environ = dict(environ or {})
        self._lock = threading.Lock()
        self._path: str | None = None  # the file being written
        self._stream: BinaryIO | None = None
        self._writer: _Records | None = None
        self._size = 0
        self._count = 0
        self._fs: Any = None

    # -- writing
    def _new_name(self) -> str:
        self._count += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        return f"scraper-{stamp}-{os.getpid()}-{self._count:05d}.warc.gz"

    def _open(self) -> None:
        if self._path is not None and not self.remote and self._size < self.max_bytes:
            self._stream = open(self._path, "ab")  # noqa: SIM115 - closed by seal()
            self._writer = _Records(self._stream)
            return
        name = self._new_name()
        if self.remote:
            self._path = f"{self.root.rstrip('/')}/{name}"
            self._stream = io.BytesIO()
        else:
            Path(self.root).mkdir(parents=True, exist_ok=True)
            self._path = str(Path(self.root) / name)
            self._stream = open(self._path, "wb")  # noqa: SIM115 - closed by seal()
        self._writer = _Records(self._stream)
        self._writer.write_record(self._writer.create_warcinfo_record(name, {
            "software": f"scraper/{VERSION} (warcio)", "format": "WARC File Format 1.1",
            "description": "raw responses of a scraper archive (raw_store: warc)"}))
        self._size = self._stream.tell()

    def put(self, response: FetchResult) -> RawRef:
        with self._lock:
            if self._stream is None:
                self._open()
            assert self._stream is not None and self._writer is not None and self._path is not None
            writer, stream = self._writer, self._stream
            date = warc_date(response.fetched_at)
            request = writer.create_warc_record(response.url, "request", payload=io.BytesIO(b""), length=0,
                                                http_headers=_request_headers(response.url),
                                                warc_headers_dict={"WARC-Date": date})
            writer.write_record(request)
            start = stream.tell()
            record = writer.create_warc_record(
                response.final_url or response.url, "response", payload=io.BytesIO(response.content),
                length=len(response.content), http_headers=http_headers_for(response),
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": str(
                    request.rec_headers.get_header("WARC-Record-ID"))})
            writer.write_record(record)
            end = stream.tell()
            record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
            meta = json.dumps({"body_bytes": len(response.content), "status": response.status,
                               "body_sha256": hashlib.sha256(response.content).hexdigest(),
                               "url": response.url}, sort_keys=True).encode()
            writer.write_record(writer.create_warc_record(
                response.final_url or response.url, "metadata", payload=io.BytesIO(meta), length=len(meta),
                warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id,
                                   "WARC-Refers-To": record_id}))
            self._size = stream.tell()
            ref = RawRef(self._path, start, end - start)
            if self._size >= self.max_bytes:
                self._close()
                self._path = None  # the next put starts a new file
            return ref

    def seal(self) -> None:
        """Close and fsync (or upload) what was written, before rows pointing into it commit."""
        with self._lock:
            self._close()
            if self.remote:
                self._path = None  # objects are written whole: the next put starts a new one

    def _close(self) -> None:
        stream = self._stream
        if stream is None:
            return
        self._stream = None
        self._writer = None
        try:
            if self.remote:
                assert isinstance(stream, io.BytesIO) and self._path is not None
                fs, key = self._filesystem(self._path)
                with fs.open_output_stream(key, compression=None) as out:  # already gzip members
                    out.write(stream.getvalue())
            else:
                stream.flush()
                os.fsync(stream.fileno())
                stream.close()
        except OSError as exc:
            raise ArchiveError(f"cannot write WARC file {self._path}: {exc}; nothing was committed",
                               code="archive:warc-write") from exc

    # -- reading
    def get(self, ref: RawRef) -> bytes:
        return read_ref(ref, self.environ)

    def _filesystem(self, url: str) -> tuple[Any, str]:
        if self._fs is None:
            self._fs = s3_filesystem(self.environ)
        parts = urlsplit(url)
        return self._fs, f"{parts.netloc}{parts.path}"


def s3_filesystem(environ: Mapping[str, str]) -> Any:
    from pyarrow import fs

    endpoint = environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, Any] = {}
    if endpoint:
        parts = urlsplit(endpoint)
        kwargs["endpoint_override"] = parts.netloc or endpoint
        kwargs["scheme"] = parts.scheme or "https"
    for var, arg in (("AWS_ACCESS_KEY_ID", "access_key"), ("AWS_SECRET_ACCESS_KEY", "secret_key"),
                     ("AWS_REGION", "region")):
        value = environ.get(var) or os.environ.get(var)
        if value:
            kwargs[arg] = value
    return fs.S3FileSystem(**kwargs)


def read_ref(ref: RawRef, environ: Mapping[str, str] | None = None) -> bytes:
    """The body of the WARC response record at ``ref``."""
    try:
        if "://" in ref.file and not ref.file.startswith("file://"):
            parts = urlsplit(ref.file)
            with s3_filesystem(environ or {}).open_input_file(f"{parts.netloc}{parts.path}") as f:
                f.seek(ref.offset)
                data = f.read(ref.length)
        else:
            with open(ref.file.removeprefix("file://"), "rb") as fh:
                fh.seek(ref.offset)
                data = fh.read(ref.length)
        for record in ArchiveIterator(io.BytesIO(data)):
            if record.rec_type == "response":
                return bytes(record.content_stream().read())
    except OSError as exc:
        raise ArchiveError(f"cannot read raw response from {ref.file} at {ref.offset}: {exc}",
                           code="archive:warc-read") from exc
    raise ArchiveError(f"no WARC response record in {ref.file} at {ref.offset}", code="archive:warc-read")


def body_of(row: Mapping[str, Any]) -> bytes:
    """The raw body of a ``responses`` row, wherever it is kept."""
    if row.get("codec") == "warc":
        return read_ref(RawRef(str(row["warc_file"]), int(row["warc_offset"]), int(row["warc_length"])))
    from scraper.archive.store import decompress_body

    return decompress_body(row["codec"], row["body"])


# -- which store the archive being written uses -------------------------------------------------

_stores: dict[str, RawStore] = {}
_active: contextvars.ContextVar[RawStore | None] = contextvars.ContextVar("raw_store", default=None)
_guard = threading.Lock()


def configure(db: Path, store: RawStore | None) -> None:
    """Keep raw bodies of the archive at ``db`` in ``store`` (None: back in the archive)."""
    key = str(Path(db).resolve())
    with _guard:
        if store is None:
            _stores.pop(key, None)
        else:
            _stores[key] = store


def store_for(db: Path) -> RawStore | None:
    if not _stores:
        return None
    return _stores.get(str(Path(db).resolve()))


def active() -> RawStore | None:
    """The raw store of the archive whose write transaction is running in this thread."""
    return _active.get()


def activate(store: RawStore | None) -> contextvars.Token[RawStore | None]:
    return _active.set(store)


def deactivate(token: contextvars.Token[RawStore | None]) -> None:
    _active.reset(token)
