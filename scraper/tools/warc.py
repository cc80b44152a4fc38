"""WARC files and the archive: import their HTML responses, write ours as WARC 1.1 (warcio).

Import (``scraper import``)::

    WARC response record (wget --warc-file, Browsertrix, Heritrix)
        -> HTTP status 200, Content-Type HTML, payload decoded (chunked, gzip, br)
        -> FetchResult(url=WARC-Target-URI, fetched_at=WARC-Date)
        -> pipeline.capture_page (source matched by URL) -> store_captures, in batches

Any other record (request, metadata, warcinfo, resource…) is passed over; a response that is
not a 200, not HTML, too large or not an article is skipped and counted by reason. Every batch
is one transaction: an unreadable file stops the import with a one-line error after storing the
records read before the damage, each batch whole, so the archive is never left half-written and
the import can simply be run again (a page already archived with the same text adds nothing).

Writing: :class:`WarcWriter` turns a stored response into a ``response`` record (status line,
stored headers, decoded body; ``Content-Encoding``, ``Transfer-Encoding`` and ``Content-Length``
rewritten to describe that body) plus a ``metadata`` record (``application/json``: the article's
extracted fields) that names the response in ``WARC-Concurrent-To`` and ``WARC-Refers-To``,
so pywb or ArchiveBox replay the page and our fields travel with it.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from scraper.archive import Archive
from scraper.archive.store import REDACTED_HEADERS, StoreOutcome, store_captures
from scraper.errors import ScraperError, UsageError
from scraper.models import Capture, FetchResult
from scraper.pipeline import capture_page, resolve_source
from scraper.settings import VERSION
from scraper.sources.config import SourceSet
from scraper.progress import QUIET, Progress

__all__ = ["ImportReport", "WarcWriter", "http_headers_for", "import_warcs"]

BATCH_SIZE = 100
TASK = "import"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# headers that describe the bytes on the wire, not the decoded body we keep
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


# -- writing ----------------------------------------------------------------------------------


def http_headers_for(response: FetchResult) -> StatusAndHeaders:
    """Status line and headers of a stored response, fixed to describe its decoded body."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (name, value)
        for name, value in response.headers
        if name.lower() not in _WIRE_HEADERS
        and not (name.lower() in REDACTED_HEADERS and value == "[redacted]")
    ]
    headers.append(("Content-Length", str(len(response.content))))
    return StatusAndHeaders(f"{response.status} {reason}", headers, protocol="HTTP/1.1")


def _warc_date(value: datetime) -> str:
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime_to_iso_date(utc.replace(tzinfo=None), use_micros=True)


class WarcWriter:
    """gzip-compressed WARC 1.1 records on ``stream``, opened by a ``warcinfo`` record."""

    def __init__(self, stream: BinaryIO, filename: str) -> None:
        self._writer = WARCWriter(stream, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            filename,
            {
                "software": f"scraper/{VERSION} (warcio)",
                "format": "WARC File Format 1.1",
                "description": "raw responses of a scraper archive, with the extracted "
                "article as a JSON metadata record after each response",
            },
        )
        self._writer.write_record(info)
        self.records = 1

    def write_response(self, response: FetchResult, metadata: dict[str, Any] | None) -> str:
        """Write the response (and its metadata record); return the response's record id."""
        date = _warc_date(response.fetched_at)
        record = self._writer.create_warc_record(
            response.final_url,
            "response",
            payload=BytesIO(response.content),
            length=len(response.content),
            http_headers=http_headers_for(response),
            warc_headers_dict={"WARC-Date": date},
        )
        self._writer.write_record(record)
        self.records += 1
        record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
        if metadata is not None:
            payload = json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode("utf-8")
            meta = self._writer.create_warc_record(
                response.final_url,
                "metadata",
                payload=BytesIO(payload),
                length=len(payload),
                warc_content_type="application/json",
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": record_id,
                    "WARC-Refers-To": record_id,
                },
            )
            self._writer.write_record(meta)
            self.records += 1
        return record_id


# -- importing --------------------------------------------------------------------------------


@dataclass
class ImportReport:
    files: int = 0
    records: int = 0  # WARC records read, of any type
    responses: int = 0  # response records seen
    archived: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # new / updated / unchanged
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    interrupted: bool = False  # stopped early (``stop`` was set): what was read is archived

    def rows(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """What happened, one row per outcome, for render.py."""
        rows: list[tuple[Any, ...]] = [("archived", status, n) for status, n in sorted(self.outcomes.items())]
        rows += [("skipped", reason, n) for reason, n in sorted(self.skipped.items())]
        return ["result", "detail", "count"], rows


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse_warc_date(value: str | None) -> datetime:
    if not value:
        raise _Skip("no-date")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Skip("bad-date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _fetch_result(record: Any, max_bytes: int) -> FetchResult:
    """A WARC response record as a FetchResult, or _Skip saying why not."""
    http = record.http_headers
    if http is None:
        raise _Skip("not-http")
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        raise _Skip("bad-status") from None
    if status != 200:
        raise _Skip("not-200")
    ctype = http.get_header("Content-Type") or ""
    if not ctype.split(";")[0].strip().lower().startswith(HTML_TYPES):
        raise _Skip("not-html")
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not url.startswith(("http://", "https://")):
        raise _Skip("not-http")
    fetched_at = _parse_warc_date(record.rec_headers.get_header("WARC-Date"))
    try:
        content = record.content_stream().read(max_bytes + 1)
    except (OSError, EOFError, zlib.error, ValueError):
        raise _Skip("bad-content-encoding") from None
    if len(content) > max_bytes:
        raise _Skip("too-large")
    headers = tuple((str(k).lower(), str(v)) for k, v in http.headers)
    return FetchResult(url=url, final_url=url, status=status, headers=headers, content=content,
                       fetched_at=fetched_at, elapsed_ms=0.0)


def _check_warc(path: Path) -> None:
    """UsageError unless ``path`` starts like a WARC file, plain or gzip (warcio would read
    any text as an old ARC file, record by record)."""
    try:
        with path.open("rb") as raw:
            head = raw.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as stream:  # type: ignore[operator]
            magic = stream.read(5)
    except (OSError, EOFError, zlib.error) as exc:
        raise UsageError(f"cannot read WARC file {path}: {exc}", code="warc:unreadable") from exc
    if magic != b"WARC/":
        raise UsageError(
            f"{path} is not a WARC file (it does not start with a WARC/1.x record); "
            f"give the .warc or .warc.gz a crawler wrote",
            code="warc:unreadable",
        )


def _unreadable(path: Path, exc: BaseException, report: ImportReport) -> UsageError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return UsageError(
        f"cannot read WARC file {path}: {detail[:200]}; {report.archived} page(s) archived "
        f"before it stopped, each batch whole (run the import again once the file is fixed)",
        code="warc:unreadable",
    )


def import_warcs(
    archive: Archive,
    paths: Iterable[Path],
    sources: SourceSet | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_size: int = BATCH_SIZE,
    progress: Progress = QUIET,
    stop: threading.Event | None = None,
) -> ImportReport:
    """Archive the HTML responses of WARC files (plain or gzip); see the module doc. Once
    ``stop`` is set (an interrupt), no further record is read; the pages extracted so far are
    archived and the report says ``interrupted``."""
    paths = list(paths)
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no WARC file at {path}", code="warc:missing")
        _check_warc(path)
    report = ImportReport()
    pending: list[Capture] = []

    def flush() -> None:
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        outcomes: list[StoreOutcome] = archive.write(lambda con: store_captures(con, batch))
        report.archived += len(outcomes)
        report.outcomes.update(o.status for o in outcomes)

    progress.start(TASK, total=None)
    for path in paths:
        if stop is not None and stop.is_set():
            break
        report.files += 1
        try:
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    if stop is not None and stop.is_set():
                        break
                    if record.format != "warc":
                        raise ArchiveLoadFailed(f"a {record.format} record where WARC was expected")
                    report.records += 1
                    progress.advance(TASK)
                    if record.rec_type == "revisit":
                        report.skipped["revisit"] += 1
                        continue
                    if record.rec_type != "response":
                        continue
                    report.responses += 1
                    try:
                        result = _fetch_result(record, max_bytes)
                        source = resolve_source(result.url, sources)
                        pending.append(capture_page(result.url, result, source))
                    except _Skip as skip:
                        report.skipped[skip.reason] += 1
                        continue
                    except ScraperError as exc:  # ContentError: bytes that are not a page
                        report.skipped[exc.code.split(":")[-1]] += 1
                        continue
                    if len(pending) >= batch_size:
                        flush()
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as exc:
            flush()
            raise _unreadable(path, exc, report) from exc
    flush()
    report.interrupted = stop is not None and stop.is_set()
    return report
