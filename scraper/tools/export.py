"""Export: articles as Parquet, JSONL or CSV; stored raw responses as WARC 1.1.

- ``parquet``: a Hive-partitioned dataset, ``OUT/source=<name>/month=YYYY-MM/data_0.parquet``,
  written by DuckDB itself (``COPY … (FORMAT parquet, PARTITION_BY (source, month))``, no
  pyarrow). Read it back with ``read_parquet('OUT/**/*.parquet', hive_partitioning = true)``
  from DuckDB, Spark or Trino, locally or from object storage. ``month`` is the month of
  publication, else of first sight (UTC); articles without a source go under ``source=_none``.
- ``jsonl`` / ``csv``: one article per line / row, streamed (render.py's formats).
- ``warc``: a ``response`` record per stored raw response of the selected articles (every
  revision, oldest first) and a ``metadata`` record with the article's fields; see warc.py.

``--since`` / ``--until`` compare with the article's latest fetch (``fetched_at``), as they do in
``reextract`` (its latest stored response); publication dates are for SQL. Each export is
written under a temporary name and renamed when complete, so ``OUT`` is whole or absent.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import duckdb

from scraper.archive import Archive
from scraper.archive.queries import stored_response
from scraper.errors import ArchiveMissingError, UsageError
from scraper.render import json_value, render
from scraper.progress import QUIET, Progress
from scraper.tools.selection import Selection, check_source_in_archive
from scraper.tools.warc import WarcWriter

__all__ = ["EXPORT_COLUMNS", "FORMATS", "ExportReport", "export", "export_rows"]

FORMATS = ("parquet", "jsonl", "csv", "warc")
TASK = "export"
NO_SOURCE = "_none"  # partition of articles without a source (a source slug never starts with _)
ARTICLE_DATE = "coalesce(published_at, first_seen_at)"
SELECTION_DATE = "fetched_at"  # what --since/--until compare with (as in reextract)
_CHUNK = 500

# the articles columns exported, in order (the daemon's re-check schedule stays home)
EXPORT_COLUMNS: tuple[str, ...] = (
    "id", "url", "canonical_url", "source", "article_key", "title", "authors", "published_at",
    "modified_at", "language", "section", "tags", "description", "image", "site_name", "text",
    "word_count", "access", "paywall_declared", "paywall_confidence", "paywall_signals",
    "paywall_notice", "paywall_evidence", "paywall_model", "extractor", "rules_version", "encoding",
    "content_hash", "fetched_at", "first_seen_at", "updated_at", "version",
)  # fmt: skip
_META_SKIP = frozenset({"id", "response_id", "next_check_at", "check_count", "article_id"})


@dataclass(frozen=True)
class ExportReport:
    format: str
    path: str
    articles: int  # articles written (parquet, jsonl, csv) or whose responses were (warc)
    records: int = 0  # WARC records written, warcinfo and metadata included
    interrupted: bool = False  # stopped early (``stop`` was set); a file OUT was not written


def partial_path(out: Path) -> Path:
    """Where ``out`` is written until it is complete (then renamed)."""
    return out.with_name(f".{out.name}.partial-{os.getpid()}")


def _check_out(out: Path, fmt: str) -> None:
    if fmt == "parquet":
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(
                f"{out} exists and is not an empty directory; Parquet is written as a "
                f"directory of partitions: choose a new OUT or remove the old one",
                code="usage:out-exists",
            )
    elif out.is_dir():
        raise UsageError(f"{out} is a directory; give a file name for {fmt}", code="usage:out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}", code="usage:out") from exc


def export(
    archive: Archive,
    out: Path,
    fmt: str,
    selection: Selection | None = None,
    *,
    progress: Progress = QUIET,
    stop: threading.Event | None = None,
) -> ExportReport:
    """Write the selected articles (or their responses, for WARC) to ``out``. Once ``stop`` is
    set (an interrupt) the export stops between rows and ``out`` is not written (an export is
    whole or absent); the report says how far it got. Parquet is one statement: it ends."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    selection = selection or Selection()
    if not archive.exists():
        raise ArchiveMissingError(
            f"no archive at {archive.path}; nothing to export (point --db at an archive)"
        )
    out = Path(out)
    _check_out(out, fmt)
    partial = partial_path(out)
    try:
        if fmt == "parquet":
            report = _export_parquet(archive, partial, selection, progress)
        elif fmt == "warc":
            with partial.open("wb") as stream:
                report = _export_warc(archive, stream, out.name, selection, progress, stop)
        else:
            with partial.open("w", encoding="utf-8", newline="") as text:
                report = export_rows(archive, text, fmt, selection, progress=progress, stop=stop)
        if report.interrupted:
            partial.unlink()
            return replace(report, path=str(out))
        if fmt == "parquet" and out.exists():
            out.rmdir()  # empty, checked above
        os.replace(partial, out)
    except BaseException:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise
    return ExportReport(report.format, str(out), report.articles, report.records)


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _export_parquet(
    archive: Archive, out: Path, selection: Selection, progress: Progress
) -> ExportReport:
    where, params = selection.where(SELECTION_DATE)
    # paywall_evidence as plain text: DuckDB's JSON type is written as a Parquet JSON logical
    # type over BYTE_ARRAY, which polars and older pyarrow read as Binary
    columns = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" if c == "paywall_evidence" else c
                        for c in EXPORT_COLUMNS if c != "source")
    query = (
        f"SELECT {columns}, coalesce(source, '{NO_SOURCE}') AS source, "
        f"coalesce(strftime({ARTICLE_DATE}, '%Y-%m'), 'unknown') AS month "
        f"FROM articles WHERE {where}"
    )

    def run(con: duckdb.DuckDBPyConnection) -> int:
        check_source_in_archive(con, selection.source)
        total = _count(con, f"SELECT count(*) FROM articles WHERE {where}", params)
        progress.start(TASK, total=total)
        out.mkdir()
        if total:
            target = str(out).replace("'", "''")
            con.execute(
                f"COPY ({query}) TO '{target}' "
                f"(FORMAT parquet, PARTITION_BY (source, month), OVERWRITE_OR_IGNORE)",
                params,
            )
        progress.advance(TASK, total)
        return total

    return ExportReport("parquet", str(out), archive.read(run))


def _article_rows(
    con: duckdb.DuckDBPyConnection, fmt: str, progress: Progress, stop: threading.Event | None
) -> Iterator[tuple[Any, ...]]:
    evidence = EXPORT_COLUMNS.index("paywall_evidence")
    while True:
        chunk = con.fetchmany(_CHUNK)
        if not chunk:
            return
        for row in chunk:
            if stop is not None and stop.is_set():
                return
            if fmt == "jsonl" and row[evidence] is not None:  # JSON in JSON, not a string
                row = (*row[:evidence], json.loads(row[evidence]), *row[evidence + 1 :])
            yield row
            progress.advance(TASK)


def export_rows(
    archive: Archive,
    stream: TextIO,
    fmt: str,
    selection: Selection | None = None,
    *,
    progress: Progress = QUIET,
    stop: threading.Event | None = None,
) -> ExportReport:
    """Stream the selected articles to ``stream`` as ``jsonl`` or ``csv`` (render.py); once
    ``stop`` is set, stop after the row in hand (``interrupted``: the rows so far are whole)."""
    if fmt not in ("jsonl", "csv"):
        raise UsageError(f"export_rows writes jsonl or csv, not {fmt!r}")
    selection = selection or Selection()
    where, params = selection.where(SELECTION_DATE)

    with archive.connect(read_only=True) as con:
        check_source_in_archive(con, selection.source)
        total = _count(con, f"SELECT count(*) FROM articles WHERE {where}", params)
        progress.start(TASK, total=total)
        con.execute(
            f"SELECT {', '.join(EXPORT_COLUMNS)} FROM articles WHERE {where} "
            f"ORDER BY {ARTICLE_DATE}, id",
            params,
        )
        written = render(EXPORT_COLUMNS, _article_rows(con, fmt, progress, stop), fmt, stream)
    return ExportReport(fmt, getattr(stream, "name", "-"), written, 
                        interrupted=stop is not None and stop.is_set() and written < total)


_WARC_QUERY = """
SELECT r.id, r.url, r.final_url, r.status, r.headers, r.codec, r.body, r.fetched_at,
       r.warc_file, r.warc_offset, r.warc_length,
       a.id AS article_id, r.id = a.response_id AS is_current, a AS article, v AS revision
FROM responses AS r
JOIN articles AS a ON a.id = r.article_id
LEFT JOIN (
    SELECT * FROM article_versions
    QUALIFY row_number() OVER (PARTITION BY response_id ORDER BY version DESC) = 1
) AS v ON v.response_id = r.id
WHERE {where}
ORDER BY a.id, r.fetched_at, r.id
"""


def _metadata(row: dict[str, Any]) -> dict[str, Any]:
    """The fields of the article as extracted from this response: the article's latest state
    for its current response, else the revision that came from it (with the article's ids)."""
    article = row["article"]
    if row["is_current"] or row["revision"] is None or row["revision"].get("version") is None:
        fields = {k: v for k, v in article.items() if k not in _META_SKIP}
        kind = "article"
    else:
        fields = {k: v for k, v in row["revision"].items() if k not in _META_SKIP}
        for key in ("url", "canonical_url", "source", "article_key"):
            fields[key] = article[key]
        kind = "article_version"
    if isinstance(fields.get("paywall_evidence"), str):
        fields["paywall_evidence"] = json.loads(fields["paywall_evidence"])
    return {"scraper": {"record": kind, "article_id": row["article_id"]}, **json_value(fields)}


def _export_warc(
    archive: Archive, stream: Any, filename: str, selection: Selection, progress: Progress,
    stop: threading.Event | None = None,
) -> ExportReport:
    where, params = selection.where(f"a.{SELECTION_DATE}", prefix="a.")
    with archive.connect(read_only=True) as con:
        check_source_in_archive(con, selection.source)
        total = _count(
            con,
            f"SELECT count(*) FROM responses AS r JOIN articles AS a ON a.id = r.article_id "
            f"WHERE {where}",
            params,
        )
        progress.start(TASK, total=total)
        writer = WarcWriter(stream, filename)
        con.execute(_WARC_QUERY.format(where=where), params)
        names = [d[0] for d in con.description or ()]
        articles: set[int] = set()
        interrupted = False
        while not interrupted and (chunk := con.fetchmany(_CHUNK)):
            for values in chunk:
                if stop is not None and stop.is_set():
                    interrupted = True
                    break
                row = dict(zip(names, values, strict=True))
                writer.write_response(stored_response(row), _metadata(row))
                articles.add(row["article_id"])
                progress.advance(TASK)
    return ExportReport("warc", filename, len(articles), writer.records, interrupted=interrupted)
