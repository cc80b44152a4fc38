"""Read-only helpers over the archive, and ``run_sql`` for ``scraper sql``.

The helpers take a connection from :meth:`scraper.archive.Archive.read`::

    art = Archive(path).read(lambda con: get_article(con, url))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb

from scraper.archive.db import Archive
from scraper.archive.rawstore import body_of
from scraper.errors import QueryError
from scraper.models import FetchResult

_FETCH_CHUNK = 1000


def _dicts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in con.description or ()]
    return [dict(zip(names, row, strict=True)) for row in con.fetchall()]


def get_article(con: duckdb.DuckDBPyConnection, url_or_canonical: str) -> dict[str, Any] | None:
    """One article by canonical URL, the URL asked for, or its article_key; None if unknown."""
    con.execute(
        "SELECT * FROM articles WHERE canonical_url = $1 OR url = $1 OR article_key = $1 "
        "ORDER BY (canonical_url = $1) DESC, (url = $1) DESC, id LIMIT 1",
        [url_or_canonical],
    )
    rows = _dicts(con)
    return rows[0] if rows else None


def article_versions(con: duckdb.DuckDBPyConnection, article_id: int) -> list[dict[str, Any]]:
    """Every stored revision of an article, oldest first."""
    con.execute(
        "SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
    )
    return _dicts(con)


def latest_articles(
    con: duckdb.DuckDBPyConnection, limit: int = 20, source: str | None = None
) -> list[dict[str, Any]]:
    """The newest articles (by publication time, else first sight), optionally of one source."""
    con.execute(
        "SELECT * FROM articles WHERE $1::VARCHAR IS NULL OR source = $1 "
        "ORDER BY coalesce(published_at, first_seen_at) DESC NULLS LAST, id DESC LIMIT $2",
        [source, limit],
    )
    return _dicts(con)


def archived_urls(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> set[str]:
    """Those of ``urls`` already archived, as the URL asked for or as a canonical URL."""
    wanted = sorted(set(urls))
    if not wanted:
        return set()
    con.execute(
        "SELECT u FROM unnest($1::VARCHAR[]) AS t(u) WHERE u IN (SELECT url FROM articles) "
        "OR u IN (SELECT canonical_url FROM articles)",
        [wanted],
    )
    return {row[0] for row in con.fetchall()}


# -- scraper sql ------------------------------------------------------------------------------


def query_error(exc: BaseException) -> QueryError:
    """DuckDB's message on one line: every line of it kept (candidate bindings, an extension
    error's cause), the ``LINE 1: …`` excerpt and its caret drawing dropped."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("LINE ") and set(line) != {"^"}]
    message = "; ".join(kept) if kept else type(exc).__name__
    if "read-only mode" in message:
        return QueryError(
            f"{message.rstrip('!')}: scraper sql opens the archive read-only; "
            f"add --write to change it",
            code="sql:read-only",
        )
    if "file system operations are disabled" in message:
        return QueryError(
            f"{message}: scraper sql reads no files unless told; add --allow-files to read "
            f"Parquet, CSV or JSON files (the archive stays read-only)",
            code="sql:files-disabled",
        )
    return QueryError(message)


def _interrupted(exc: BaseException) -> bool:
    """DuckDB's Python client turns a SIGINT during a query into this error."""
    return "interrupt" in str(exc).lower()


class Rows(Iterator[tuple[Any, ...]]):
    """The rows of a query, fetched in chunks; the archive is closed when they run out,
    on :meth:`close`, or at the end of a ``with`` block. Until then the file is held."""

    def __init__(self, stack: ExitStack | None, con: duckdb.DuckDBPyConnection | None,
                 rows: Iterable[tuple[Any, ...]] = ()) -> None:
        self._stack = stack
        self._con = con
        self._buffer: Iterator[tuple[Any, ...]] = iter(rows)

    def __iter__(self) -> Rows:
        return self

    def __next__(self) -> tuple[Any, ...]:
        while True:
            row = next(self._buffer, None)
            if row is not None:
                return row
            if self._con is None:
                raise StopIteration
            try:
                chunk = self._con.fetchmany(_FETCH_CHUNK)
            except (duckdb.Error, RuntimeError) as exc:
                self.close()
                if _interrupted(exc):
                    raise KeyboardInterrupt from exc
                raise query_error(exc) from exc
            if not chunk:
                self.close()
                raise StopIteration
            self._buffer = iter(chunk)

    def close(self) -> None:
        self._con = None
        stack = getattr(self, "_stack", None)
        if stack is not None:
            self._stack = None
            stack.close()

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _execute(con: duckdb.DuckDBPyConnection, sql: str, args: Any) -> None:
    """``con.execute`` in a helper thread while this one waits: Ctrl-C reaches Python here
    (DuckDB does not always look for it inside a long query), and then interrupts the query.
    The interrupted connection may stay busy: it is left to the process's exit, not closed."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql, args)
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="sql", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        try:
            con.interrupt()
        except duckdb.Error:
            pass
        worker.join(5.0)
        raise Interrupted from None
    if failure:
        raise failure[0]


_ABANDONED: list[ExitStack] = []


class Interrupted(KeyboardInterrupt):
    """A read-only query interrupted by Ctrl-C; its connection is not closed (it may be busy):
    the caller exits without tearing it down (``scraper sql`` exits 130 at once)."""


def run_sql(
    path: Path, sql: str, read_only: bool = True, *, lock_timeout: float = 60.0,
    params: dict[str, Any] | None = None, allow_files: bool = False, tz: str | None = None,
) -> tuple[list[str], Rows]:
    """Run ``sql`` on the archive; return its column names and its rows.

    Read-only (the default), rows stream from the open file, which stays open until they are
    consumed or closed; no file outside the archive is read or written unless ``allow_files``.
    With ``read_only=False`` the statement runs in one write transaction and its rows are
    fetched before the file is closed. ``params`` fill ``$name`` placeholders; ``tz`` is the
    session's time zone (days and months of the views; UTC by default). Bad SQL raises
    QueryError with DuckDB's message on one line; a missing archive ArchiveMissingError
    (read-only); an interrupted query KeyboardInterrupt."""
    archive = Archive(path, lock_timeout=lock_timeout)
    args = params or None

    def prepare(con: duckdb.DuckDBPyConnection) -> None:
        if tz:
            con.execute(f"SET TimeZone = '{tz.replace(chr(39), '')}'")

    if not read_only:

        def run(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
            try:
                prepare(con)
                con.execute(sql, args)
                names = [d[0] for d in con.description or ()]
                return names, (con.fetchall() if con.description else [])
            except (duckdb.Error, RuntimeError) as exc:
                if _interrupted(exc):
                    raise KeyboardInterrupt from exc
                raise query_error(exc) from exc

        names, fetched = archive.write(run)
        return names, Rows(None, None, fetched)

    stack = ExitStack()
    try:
        con = stack.enter_context(archive.connect(read_only=True))
        # read-only means no file either: COPY … TO, ATTACH, read_csv('/etc/…'), INSTALL;
        # allow_files lets DuckDB read (and write) files, never the archive
        prepare(con)
        if not allow_files:
            con.execute("SET enable_external_access = false")
        _execute(con, sql, args)
    except (duckdb.Error, RuntimeError) as exc:
        stack.close()
        if _interrupted(exc):
            raise KeyboardInterrupt from exc
        raise query_error(exc) from exc
    except Interrupted:
        _ABANDONED.append(stack.pop_all())  # left open to the process's exit, never collected
        raise
    except BaseException:
        stack.close()
        raise
    if con.description is None:
        stack.close()
        return [], Rows(None, None)
    return [d[0] for d in con.description], Rows(stack, con)


# -- stored responses -------------------------------------------------------------------------


def response_headers(raw: str | None) -> tuple[tuple[str, str], ...]:
    """The ``responses.headers`` JSON (a list of ``[name, value]``) as header pairs."""
    if not raw:
        return ()
    return tuple((str(name).lower(), str(value)) for name, value in json.loads(raw))


def stored_response(row: dict[str, Any]) -> FetchResult:
    """A ``responses`` row (``url``, ``final_url``, ``status``, ``headers``, ``codec``, ``body``,
    ``fetched_at``; ``warc_*`` when ``codec`` is ``warc``) as the :class:`FetchResult` it was
    stored from, body decompressed or read from its WARC file."""
    return FetchResult(
        url=row["url"],
        final_url=row["final_url"] or row["url"],
        status=int(row["status"] or 200),
        headers=response_headers(row["headers"]),
        content=body_of(row),
        fetched_at=row["fetched_at"],
        elapsed_ms=0.0,
    )


# -- the poller's reads -----------------------------------------------------------------------


def feed_states(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``feeds`` rows by feed URL, for those of ``urls`` known."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    con.execute("SELECT * FROM feeds WHERE feed_url IN (SELECT unnest($1::VARCHAR[]))", [wanted])
    return {row["feed_url"]: row for row in _dicts(con)}


def archived_lookup(
    con: duckdb.DuckDBPyConnection, urls: Iterable[str], keys: Iterable[str]
) -> list[dict[str, Any]]:
    """Articles matching any of ``urls`` (as URL or canonical URL) or ``keys`` (article_key):
    id, url, canonical_url, article_key, fetched_at, access. One query for a whole poll."""
    u, k = sorted(set(urls)), sorted(set(keys))
    if not u and not k:
        return []
    con.execute(
        "SELECT id, url, canonical_url, article_key, fetched_at, access FROM articles "
        "WHERE url IN (SELECT unnest($1::VARCHAR[])) OR canonical_url IN (SELECT unnest($1::VARCHAR[])) "
        "OR article_key IN (SELECT unnest($2::VARCHAR[]))",
        [u, k],
    )
    return _dicts(con)


def due_rechecks(
    con: duckdb.DuckDBPyConnection, source: str, now: Any, limit: int = 50
) -> list[dict[str, Any]]:
    """Truncated or locked articles of ``source`` whose re-check is due, oldest due first."""
    con.execute(
        "SELECT id, url, canonical_url, access, check_count FROM articles "
        "WHERE source = ? AND next_check_at IS NOT NULL AND next_check_at <= ? "
        "ORDER BY next_check_at LIMIT ?",
        [source, now, limit],
    )
    return _dicts(con)


STATUS_SQL = """
WITH f AS (
    SELECT source, max(last_polled_at) AS last_poll, min(next_poll_at) AS next_poll,
           min(interval_seconds) AS interval_s, sum(polls) AS feed_polls,
           sum(not_modified) AS not_modified, sum(errors) AS feed_errors
    FROM feeds GROUP BY source
), a AS (
    SELECT source, count(*) AS total,
           count(*) FILTER (WHERE first_seen_at >= date_trunc('day', $1::TIMESTAMPTZ)) AS today,
           count(*) FILTER (WHERE access <> 'full') AS not_full
    FROM articles GROUP BY source
), e AS (
    SELECT source, count(*) AS fetch_errors FROM fetches
    WHERE error IS NOT NULL AND fetched_at >= $1::TIMESTAMPTZ - INTERVAL 1 DAY GROUP BY source
)
SELECT coalesce(f.source, a.source) AS source,
       f.last_poll, f.next_poll,
       coalesce(a.today, 0) AS articles_today, coalesce(a.total, 0) AS articles_total,
       round(coalesce(a.not_full, 0) / nullif(a.total, 0), 3) AS truncated_share,
       coalesce(f.feed_errors, 0) + coalesce(e.fetch_errors, 0) AS errors,
       round(f.not_modified / nullif(f.feed_polls, 0), 3) AS not_modified_share,
       f.interval_s AS interval_seconds
FROM f FULL OUTER JOIN a ON a.source = f.source
LEFT JOIN e ON e.source = coalesce(f.source, a.source)
WHERE coalesce(f.source, a.source) IS NOT NULL
ORDER BY 1
"""


def source_status(con: duckdb.DuckDBPyConnection, now: Any) -> list[dict[str, Any]]:
    """Per source: last and next poll, articles today/total, share not full (truncated or
    locked), errors (feed errors plus failed fetches of the last 24 h), 304 share, interval."""
    con.execute(STATUS_SQL, [now])
    return _dicts(con)
