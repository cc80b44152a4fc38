"""WARC files and the archive: import their HTML responses, write ours as WARC 1.1 (warcio).

Import (``scraper import``)::

    WARC response record (wget --warc-file, Browsertrix, Heritrix)
        -> HTTP status 200, Content-Type HTML, payload decoded (chunked, gzip, br)
        -> FetchResult(url=WARC-Target-URI, fetched_at=WARC-Date)
        -> pipeline.Extractor (the crawler's extraction; source matched by URL)
        -> archive.record.store, in batches

Any other record (request, metadata, warcinfo, resource…) is passed over; a response that is
not a 200, not HTML, too large or not an article is skipped and counted by reason (``not-article``
ones are also recorded in ``skips``). A response record is checked before anything is taken from
it and *refused* when damaged: its block is shorter than its ``Content-Length`` (a file cut
short: an interrupted crawl or download), or its ``WARC-Block-Digest`` or ``WARC-Payload-Digest``
(when present: sha1 or sha256, base32, hex or base64) does not match its bytes. A refused record
is counted with its offset and never archived, so a partial page never becomes an article; the
records around it are imported as usual. Every batch
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

import base64
import gzip
import hashlib
import json
import threading
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser, StatusAndHeadersParserException
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from scraper.archive import Archive
from scraper.archive.rawstore import http_headers_for
from scraper.archive.record import WriteRecord, store
from scraper.archive.store import Skip
from scraper.errors import ScraperError, UsageError
from scraper.extract.article import NO_ARTICLE_CODE
from scraper.models import Capture, FetchResult
from scraper.pipeline import Extractor, resolve_source
from scraper.settings import VERSION
from scraper.sources.config import SourceSet
from scraper.sources.registry import match_source
from scraper.progress import QUIET, Progress

__all__ = ["ImportReport", "Refused", "WarcWriter", "digest_matches", "http_headers_for", "import_warcs"]

BATCH_SIZE = 100
TASK = "import"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# a record block may exceed the body limit by its HTTP headers and chunk framing; a larger block
# is skipped as too-large without being read into memory
_BLOCK_ALLOWANCE = 1024 * 1024
NOT_ARTICLE = "not-article"
REFUSED_SHOWN = 5  # offsets of refused records kept for the report


# -- writing ----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Refused:
    """A damaged response record, not archived: where it starts in its file and why."""

    path: Path
    offset: int  # of the record (of its gzip member in a .warc.gz), as `warcio extract` takes it
    reason: str  # cut-short | bad-length | block-digest | payload-digest
    url: str | None = None


@dataclass
class ImportReport:
    files: int = 0
    records: int = 0  # WARC records read, of any type
    responses: int = 0  # response records seen
    archived: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # new / updated / unchanged
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    interrupted: bool = False  # stopped early (``stop`` was set): what was read is archived
    refused: Counter[str] = field(default_factory=Counter)  # reason -> count of damaged records
    first_refused: list[Refused] = field(default_factory=list)  # the first REFUSED_SHOWN of them

    def rows(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """What happened, one row per outcome, for render.py."""
        rows: list[tuple[Any, ...]] = [("archived", status, n) for status, n in sorted(self.outcomes.items())]
        rows += [("skipped", reason, n) for reason, n in sorted(self.skipped.items())]
        rows += [("refused", reason, n) for reason, n in sorted(self.refused.items())]
        return ["result", "detail", "count"], rows

    def refuse(self, refused: Refused) -> None:
        self.refused[refused.reason] += 1
        if len(self.first_refused) < REFUSED_SHOWN:
            self.first_refused.append(refused)


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refuse(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- checking a record ------------------------------------------------------------------------

_ALGORITHMS = {"sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256"}


def digest_matches(label: str, data: bytes) -> bool | None:
    """Whether a WARC digest (``sha1:<base32>``, ``sha256:<hex>``…) is that of ``data``; None
    when it cannot be checked (another algorithm, or no ``algorithm:value`` form)."""
    algorithm, sep, value = label.strip().partition(":")
    name = _ALGORITHMS.get(algorithm.strip().lower())
    value = value.strip()
    if not sep or name is None or not value:
        return None
    digest = hashlib.new(name, data).digest()
    value = value.rstrip("=")
    if value.upper() == base64.b32encode(digest).decode("ascii").rstrip("="):  # the usual form
        return True
    if value.lower() == digest.hex():
        return True
    return value in (base64.b64encode(digest).decode("ascii").rstrip("="),
                     base64.urlsafe_b64encode(digest).decode("ascii").rstrip("="))


def _declared_length(record: Any) -> int:
    """The record's Content-Length; _Refuse when it is missing or not a number (warcio reads
    such a record as empty: a header block cut inside that line, for one)."""
    value = (record.rec_headers.get_header("Content-Length") or "").strip()
    if not value.isdigit():
        raise _Refuse("bad-length")
    return int(value)


def _read(record: Any, length: int, *, keep: bool) -> bytes:
    """Read the record's ``length`` bytes (kept or not); _Refuse when the file ends first."""
    parts: list[bytes] = []
    got = 0
    while got < length:
        chunk = record.raw_stream.read(min(length - got, 1 << 16))
        if not chunk:
            raise _Refuse("cut-short")
        if keep:
            parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _read_through(record: Any) -> None:
    """Read a record we do not import to its end: _Refuse when it is shorter than its
    Content-Length (the file is cut short, even if in a request or metadata record)."""
    _read(record, _declared_length(record), keep=False)


def _read_block(record: Any, limit: int) -> bytes:
    """The record's whole block (HTTP headers and payload, as stored), checked against its
    Content-Length and WARC-Block-Digest; _Refuse when damaged, _Skip when too large to keep
    (read through, not into memory)."""
    length = _declared_length(record)
    if length > limit + _BLOCK_ALLOWANCE:
        _read(record, length, keep=False)
        raise _Skip("too-large")
    block = _read(record, length, keep=True)
    label = record.rec_headers.get_header("WARC-Block-Digest")
    if label and digest_matches(label, block) is False:
        raise _Refuse("block-digest")
    return block


_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)


def _http_response(record: Any, block: bytes) -> tuple[StatusAndHeaders, bytes]:
    """The HTTP status and headers of a response block, and its payload (checked against
    WARC-Payload-Digest)."""
    stream = BytesIO(block)
    try:
        http = _HTTP_PARSER.parse(stream)
    except (StatusAndHeadersParserException, EOFError, ValueError):
        raise _Skip("not-http") from None
    payload = block[stream.tell():]
    label = record.rec_headers.get_header("WARC-Payload-Digest")
    if label and digest_matches(label, payload) is False:
        # the WARC spec digests the payload without its transfer encoding; most crawlers digest
        # the bytes as sent (chunk framing included): either is a match
        chunked = (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
        if not chunked or digest_matches(label, _dechunk(payload)) is False:
            raise _Refuse("payload-digest")
    return http, payload


def _dechunk(payload: bytes) -> bytes:
    try:
        return bytes(ChunkedDataReader(BytesIO(payload)).read())
    except (OSError, ValueError, EOFError):
        return payload


def _parse_warc_date(value: str | None) -> datetime:
    if not value:
        raise _Skip("no-date")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Skip("bad-date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _fetch_result(record: Any, max_bytes: int) -> FetchResult:
    """A WARC response record as a FetchResult, or _Skip saying why not, or _Refuse when the
    record is damaged (the whole block is read and checked before anything is taken from it)."""
    block = _read_block(record, max_bytes)
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not url.startswith(("http://", "https://")):
        raise _Skip("not-http")
    http, payload = _http_response(record, block)
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        raise _Skip("bad-status") from None
    if status != 200:
        raise _Skip("not-200")
    ctype = http.get_header("Content-Type") or ""
    if not ctype.split(";")[0].strip().lower().startswith(HTML_TYPES):
        raise _Skip("not-html")
    fetched_at = _parse_warc_date(record.rec_headers.get_header("WARC-Date"))
    decoded = ArcWarcRecord("warc", "response", record.rec_headers, BytesIO(payload), http,
                            record.content_type, len(payload))
    try:
        content = decoded.content_stream().read(max_bytes + 1)
    except (OSError, EOFError, zlib.error, ValueError):
        raise _Skip("bad-content-encoding") from None
    if len(content) > max_bytes:
        raise _Skip("too-large")
    headers = tuple((str(k).lower(), str(v)) for k, v in http.headers)
    return FetchResult(url=url, final_url=url, status=status, headers=headers, content=content,
                       fetched_at=fetched_at, elapsed_ms=0.0)


def _owner(url: str, sources: SourceSet | None) -> str | None:
    owner = match_source(url, sources, articles_only=False) if sources is not None else None
    return owner.name if owner is not None else None


_INDEX_FILES = frozenset({"", "index.html", "index.htm", "index.php", "default.aspx", "default.asp"})


def not_article(url: str, sources: SourceSet | None) -> str | None:
    """Why the response at ``url`` is not an article, before extraction (None: it may be):
    its host is a source's whose ``article_url`` patterns it does not match, or it is a home
    page (the path is ``/`` or a bare index file) that no ``article_url`` include names."""
    if sources is not None and match_source(url, sources) is None:
        owner = match_source(url, sources, articles_only=False)
        if owner is not None:
            return f"does not match the article_url patterns of source {owner.name}"
    source = match_source(url, sources) if sources is not None else None
    if source is None or not source.article_url.include:
        try:
            path = urlsplit(url).path
        except ValueError:
            return None
        if path.strip("/").lower() in _INDEX_FILES:
            return "a home page"
    return None


def _refused(path: Path, records: ArchiveIterator, record: Any, reason: str) -> Refused:
    uri = record.rec_headers.get_header("WARC-Target-URI")
    return Refused(path, int(records.get_record_offset()), reason, uri)


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


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe for a terminal: what is not plain printable ASCII or a letter shown as
    ``\\xNN`` (a damaged record's bytes must not reach the terminal), cut to ``limit``."""
    text = " ".join(text.split())
    if "first line:" in text:  # warcio quotes the damaged line itself: name it, do not print it
        text = text.split("first line:")[0].rstrip(" ,:") + " (its first line is not a WARC header)"
    safe = "".join(ch if ch.isprintable() and (ch.isascii() or ch.isalpha()) else f"\\x{ord(ch) & 0xFF:02x}"
                   for ch in text)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def _unreadable(path: Path, exc: BaseException, report: ImportReport) -> UsageError:
    detail = printable(str(exc)) or type(exc).__name__
    refused = sum(report.refused.values())
    also = f", {refused} damaged record(s) refused" if refused else ""
    return UsageError(
        f"cannot read WARC file {path}: {detail}; {report.archived} page(s) archived "
        f"before it stopped{also}, each batch whole (run the import again once the file is fixed)",
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
    extractor = Extractor()  # the crawler's extraction step (inline: records are read in order)
    pending: list[Capture] = []
    skips: list[Skip] = []

    def flush() -> None:
        if not pending and not skips:
            return
        batch, skipped = list(pending), list(skips)
        pending.clear()
        skips.clear()

        [outcomes] = store(archive, [WriteRecord(captures=batch, skips=skipped)])
        report.archived += len(outcomes)
        report.outcomes.update(o.status for o in outcomes)

    def take(path: Path, records: ArchiveIterator, record: Any, in_cut_member: bool) -> None:
        if record.format != "warc":
            raise ArchiveLoadFailed(f"a {record.format} record where WARC was expected")
        report.records += 1
        progress.advance(TASK)
        try:
            if in_cut_member:
                _read_through(record)
                raise _Refuse("cut-short")  # its gzip member is cut, whatever it decompressed to
            if record.rec_type != "response":
                _read_through(record)
                if record.rec_type == "revisit":
                    report.skipped["revisit"] += 1
                return
            report.responses += 1
            if len(pending) + len(skips) >= batch_size:
                flush()
            result = _fetch_result(record, max_bytes)
            why = not_article(result.url, sources)
            if why is None:
                done = extractor.inline(result.url, result, resolve_source(result.url, sources))
                if done.capture is not None:
                    pending.append(done.capture)
                    return
                assert done.error is not None
                if done.error.code != NO_ARTICLE_CODE:
                    raise done.error
                why = str(done.error)
            skips.append(Skip(url=result.url, reason=NOT_ARTICLE, at=result.fetched_at,
                              source=_owner(result.url, sources), detail=why))
            report.skipped[NOT_ARTICLE] += 1
        except _Refuse as refused:
            report.refuse(_refused(path, records, record, refused.reason))
        except _Skip as skip:
            report.skipped[skip.reason] += 1
        except ScraperError as exc:  # ContentError: bytes that are not a page
            report.skipped[exc.code.split(":")[-1]] += 1

    progress.start(TASK, total=None)
    for path in paths:
        if stop is not None and stop.is_set():
            break
        report.files += 1
        end = 0  # where the last whole record ends
        try:
            cut_member = _unfinished_member(path)
            with path.open("rb") as stream:
                # each block is read whole, checked, then parsed (not parsed by warcio as it reads)
                records = ArchiveIterator(stream, no_record_parse=True)
                for record in records:
                    if stop is not None and stop.is_set():
                        break
                    # the record starts where the last one ended (give or take blank lines);
                    # asking warcio for its offset now would read it to its end
                    take(path, records, record,
                         cut_member is not None and abs(cut_member - end) <= _MEMBER_GAP)
                    end = int(records.get_record_offset()) + int(records.get_record_length())
            start = _tail_start(path, end) if not (stop is not None and stop.is_set()) else None
            if start is not None:
                # bytes after the last whole record that make no record: a gzip member cut
                # before its first block decompressed
                report.refuse(Refused(path, start, "cut-short"))
        except ArchiveLoadFailed as exc:
            start = _tail_start(path, end) if end else None
            if start is not None and _cut_in_first_line(path, start):  # "WARC/1" then the end
                report.refuse(Refused(path, start, "cut-short"))
                continue
            flush()
            raise _unreadable(path, exc, report) from exc
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            flush()
            raise _unreadable(path, exc, report) from exc
    flush()
    report.interrupted = stop is not None and stop.is_set()
    return report


_MEMBER_GAP = 4  # blank bytes a writer may leave between two gzip members


def _unfinished_member(path: Path) -> int | None:
    """In a .warc.gz, the offset of a gzip member that stops before its end (its deflate stream
    or its CRC trailer cut off), else None. Such a member may still yield its whole payload:
    only its end says the record was written whole."""
    with path.open("rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            return None
        raw.seek(0)
        start = 0  # offset of the member being read
        consumed = 0  # compressed bytes fed to the current member
        member = zlib.decompressobj(31)
        pending = b""
        while True:
            chunk = pending or raw.read(1 << 20)
            pending = b""
            if not chunk:
                return start if consumed else None
            try:
                member.decompress(chunk)
                while member.unconsumed_tail:
                    member.decompress(member.unconsumed_tail)
            except zlib.error:
                return start
            if member.eof:
                rest = member.unused_data
                consumed += len(chunk) - len(rest)
                start += consumed
                consumed = 0
                member = zlib.decompressobj(31)
                if rest.strip(b"\r\n"):
                    pending = rest  # the next member starts in this chunk
                else:
                    start += len(rest)  # blank lines between members
            else:
                consumed += len(chunk)


def _tail_start(path: Path, end: int) -> int | None:
    """Where something other than blank lines starts after offset ``end`` (the end of the last
    whole record), or None when nothing does."""
    with path.open("rb") as raw:
        raw.seek(end)
        at = end
        while chunk := raw.read(1 << 16):
            rest = chunk.lstrip(b"\r\n")
            if rest:
                return at + len(chunk) - len(rest)
            at += len(chunk)
    return None


def _cut_in_first_line(path: Path, start: int) -> bool:
    """Whether all from offset ``start`` to the end of the file is the start of a record's
    first line (``WARC/1.0`` cut short), plain or in a gzip member."""
    with path.open("rb") as raw:
        raw.seek(start)
        tail = raw.read(4096)
        if raw.read(1):
            return False
    if tail.startswith(b"\x1f\x8b"):
        try:
            tail = zlib.decompressobj(wbits=31).decompress(tail).lstrip(b"\r\n")
        except zlib.error:
            return False
    return b"\n" not in tail and b"WARC/1.0".startswith(tail[:8])
