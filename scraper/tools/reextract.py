"""Re-extraction: run decoding, extraction and the paywall verdict again over stored responses.

    articles.response_id -> responses (zlib body + headers) -> FetchResult
        -> pipeline.capture_page (today's rules, no network) -> archive.record.store (batches)

Nothing is fetched. Each article's latest stored response is extracted again with the rules its
source declares now, and stored through the one write path (``archive.record.store``): a revision
is added only where the normalised text (or the access verdict) changed, the extractor, rules
version and metadata are refreshed everywhere, and a truncated or locked article gets its next
re-check date like any other. Each batch is one transaction, so an interrupted run
leaves every batch either stored whole or not at all; running it again is harmless.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from scraper.archive import Archive
from scraper.archive.queries import stored_response
from scraper.archive.record import WriteRecord, store
from scraper.errors import ArchiveMissingError, ConfigError, ScraperError, UsageError
from scraper.models import Capture
from scraper.pipeline import capture_page
from scraper.sources.config import Source, SourceSet
from scraper.sources.registry import match_source
from scraper.progress import QUIET, Progress
from scraper.tools.selection import Selection

__all__ = ["AccessFlip", "ReextractReport", "SourceCounts", "reextract"]

BATCH_SIZE = 100
TASK = "re-extract"
NO_SOURCE = "(none)"


@dataclass
class SourceCounts:
    reextracted: int = 0
    text_changed: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass(frozen=True)
class AccessFlip:
    url: str
    source: str | None
    old: str
    new: str


@dataclass
class ReextractReport:
    counts: dict[str, SourceCounts] = field(default_factory=dict)
    flips: list[AccessFlip] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, one-line error)
    interrupted: bool = False  # stopped early (``stop`` was set): what was extracted is stored

    def for_source(self, source: str | None) -> SourceCounts:
        return self.counts.setdefault(source or NO_SOURCE, SourceCounts())

    def rows(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One row per source, for render.py."""
        columns = ["source", "reextracted", "text_changed", "unchanged", "errors"]
        rows = [
            (name, c.reextracted, c.text_changed, c.unchanged, c.errors)
            for name, c in sorted(self.counts.items())
        ]
        return columns, rows


_TARGETS = """
SELECT a.id, a.source, a.content_hash, a.access, a.canonical_url, a.response_id
FROM articles AS a JOIN responses AS r ON r.id = a.response_id
WHERE {where}
ORDER BY a.id
"""
_RESPONSES = """
SELECT id, url, final_url, status, headers, codec, body, fetched_at, warc_file, warc_offset, warc_length
FROM responses WHERE id IN (SELECT unnest(?::BIGINT[]))
"""


@dataclass(frozen=True)
class _Target:
    article_id: int
    source: str | None
    content_hash: str | None
    access: str | None
    canonical_url: str
    response_id: int


def reextract(
    archive: Archive,
    sources: SourceSet | None,
    selection: Selection | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress = QUIET,
    stop: threading.Event | None = None,
) -> ReextractReport:
    """Re-extract the latest stored response of each selected article; see the module doc.

    ``selection.source`` keeps one source's articles (it must be declared in ``sources``);
    ``selection.since``/``until`` compare with the response's fetch time. Once ``stop`` is set
    (an interrupt), no further article is extracted; those extracted so far are stored and the
    report says ``interrupted``."""
    selection = selection or Selection()
    if not archive.exists():
        raise ArchiveMissingError(
            f"no archive at {archive.path}; nothing to re-extract (point --db at an archive)"
        )
    if selection.source is not None:
        if sources is None:
            raise UsageError(
                f"unknown source {selection.source!r}: no sources file is loaded (--sources)",
                code="usage:source",
            )
        sources.get(selection.source)  # ConfigError with a hint when unknown

    where, params = selection.where("r.fetched_at", prefix="a.")

    def targets(con: duckdb.DuckDBPyConnection) -> list[_Target]:
        rows = con.execute(_TARGETS.format(where=where), params).fetchall()
        return [_Target(*row) for row in rows]

    todo = archive.read(targets)
    if sources is None and any(t.source is not None for t in todo):
        raise UsageError(
            "no sources file is loaded, and re-extracting articles of known sources without "
            "their rules would rewrite them; pass --sources (or set SCRAPER_SOURCES)",
            code="usage:sources",
        )
    report = ReextractReport()
    progress.start(TASK, total=len(todo))
    for start in range(0, len(todo), max(1, batch_size)):
        if stop is not None and stop.is_set():
            break
        batch = todo[start : start + batch_size]
        _run_batch(archive, sources, batch, report, stop)
        progress.advance(TASK, len(batch))
    report.interrupted = stop is not None and stop.is_set()
    return report


def _source_for(name: str | None, url: str, sources: SourceSet | None) -> Source | None:
    """The article's source as declared now; an article of a source no longer declared is not
    re-extracted with generic rules (that would rewrite it for nothing): ConfigError."""
    if name is None:
        return match_source(url, sources) if sources is not None else None
    if sources is None or name not in sources.names():
        raise ConfigError(
            f"source {name!r} is not declared in the sources file; its articles keep their text",
            code="config:source",
        )
    return sources.get(name)


def _run_batch(
    archive: Archive, sources: SourceSet | None, batch: list[_Target], report: ReextractReport,
    stop: threading.Event | None = None,
) -> None:
    def load(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, Any]]:
        con.execute(_RESPONSES, [[t.response_id for t in batch]])
        names = [d[0] for d in con.description or ()]
        return {row[0]: dict(zip(names, row, strict=True)) for row in con.fetchall()}

    responses = archive.read(load)
    captures: list[Capture] = []
    kept: list[_Target] = []
    for target in batch:
        if stop is not None and stop.is_set():
            break
        row = responses[target.response_id]
        try:
            result = stored_response(row)
            source = _source_for(target.source, result.final_url, sources)
            captures.append(capture_page(row["url"], result, source))
        except ScraperError as exc:
            report.for_source(target.source).errors += 1
            report.failures.append((target.canonical_url, str(exc)))
            continue
        kept.append(target)
    if not captures:
        return
    store(archive, [WriteRecord(captures=captures)])
    for target, capture in zip(kept, captures, strict=True):
        counts = report.for_source(capture.source or target.source)
        counts.reextracted += 1
        if capture.content_hash != target.content_hash:  # hashed once, by the pipeline
            counts.text_changed += 1
        else:
            counts.unchanged += 1
        if target.access is not None and capture.article.access != target.access:
            report.flips.append(
                AccessFlip(target.canonical_url, capture.source, target.access,
                           capture.article.access)
            )
