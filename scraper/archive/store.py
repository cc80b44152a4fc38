"""The one write path: captures, fetch attempts and skips into the archive.

Every function here takes a connection that :meth:`scraper.archive.Archive.write` opened with
a transaction, so whatever one ``write(fn)`` call stores lands whole or not at all::

    archive.write(lambda con: (store_captures(con, captures), log_fetches(con, attempts)))

Storing a capture (:func:`store_captures` works in batches, :func:`store_capture` is one):

- the article is found by its source-stable ``article_key`` first, then by canonical URL (the
  article's own, else the URL asked for), then by the URL asked for;
- not found: a new ``articles`` row and its version 1 in ``article_versions``;
- found, and the normalised text (:func:`content_hash`) or ``access`` changed: a new version
  row, and ``articles`` shows the latest -> ``updated``;
- found, same text and access: no version row; ``fetched_at``, the descriptive metadata
  (title, authors, dates…) and the whole verdict (declared, confidence, signals, evidence,
  notice, extractor, rules version: all of them, never some) are refreshed -> ``unchanged``;
- the raw response is stored (zlib-compressed) unless its body is byte-identical to the
  response the article already points to.

Lookups for a whole batch take one query; writes are one bulk ``INSERT … SELECT unnest(…)``
per table (columns passed as lists, no pandas or pyarrow needed) and one bulk ``UPDATE``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from scraper.archive import rawstore
from scraper.models import Capture, FetchAttempt, FetchResult

Status = Literal["new", "updated", "unchanged"]

BODY_CODEC = "zlib"  # recorded in responses.codec; see decompress_body
# level 1: ~4x faster than the default 6 on ~40 KB HTML for bodies ~17% larger; any level
# decompresses with plain zlib.decompress, so archives written before read the same
_ZLIB_LEVEL = 1
REDACTED_HEADERS = frozenset({"set-cookie", "cookie", "authorization", "proxy-authorization"})


@dataclass(frozen=True)
class StoreOutcome:
    article_id: int
    status: Status
    version: int  # the article's version after this store
    access_changed: bool


@dataclass(frozen=True)
class Skip:
    """Why a URL was not fetched (``reason``: 'already-archived', 'robots-disallowed', …)."""

    url: str
    reason: str
    at: datetime
    source: str | None = None
    detail: str | None = None


# -- normalisation ----------------------------------------------------------------------------

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u02bc": "'",  # ʼ
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u2033": '"',  # ″
    }
)


def normalise_text(text: str) -> str:
    """The text as compared between fetches: NFKC, curly quotes folded, whitespace collapsed."""
    if not text.isascii():  # ASCII is its own NFKC form and holds no curly quote
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split())


def content_hash(text: str) -> str:
    """sha256 (hex) of :func:`normalise_text`: equal for ``l’IA`` and ``l'IA``."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def compress_body(body: bytes) -> bytes:
    return zlib.compress(body, _ZLIB_LEVEL)


def decompress_body(codec: str, blob: bytes) -> bytes:
    """The raw body of a ``responses`` row, from its ``codec`` and ``body`` columns."""
    if codec == "zlib":
        return zlib.decompress(blob)
    if codec == "identity":
        return bytes(blob)
    raise ValueError(f"unknown body codec {codec!r}")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_timestamp(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 string (or datetime) as an aware UTC datetime; naive means UTC; junk -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _utc(value)
    try:
        return _utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


# -- column sets (name, DuckDB type) ----------------------------------------------------------

_META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "VARCHAR"),
    ("authors", "VARCHAR[]"),
    ("published_at", "TIMESTAMPTZ"),
    ("modified_at", "TIMESTAMPTZ"),
    ("language", "VARCHAR"),
    ("section", "VARCHAR"),
    ("tags", "VARCHAR[]"),
    ("description", "VARCHAR"),
    ("image", "VARCHAR"),
    ("site_name", "VARCHAR"),
    ("encoding", "VARCHAR"),
)
# The verdict on the text, besides ``access``: written together on every store, so a row never
# shows one fetch's extractor or confidence beside another fetch's signals or notice
_VERDICT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("paywall_declared", "BOOLEAN"),
    ("paywall_confidence", "DOUBLE"),
    ("paywall_signals", "VARCHAR[]"),
    ("paywall_notice", "VARCHAR"),
    ("paywall_evidence", "JSON"),
    ("paywall_model", "VARCHAR"),
    ("extractor", "VARCHAR"),
    ("rules_version", "VARCHAR"),
)
_CONTENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("text", "VARCHAR"),
    ("word_count", "INTEGER"),
    ("access", "VARCHAR"),
    ("content_hash", "VARCHAR"),
)
_STATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("canonical_url", "VARCHAR"),
    ("source", "VARCHAR"),
    ("article_key", "VARCHAR"),
    ("fetched_at", "TIMESTAMPTZ"),
    ("response_id", "BIGINT"),
)
_REVISION_COLUMNS: tuple[tuple[str, str], ...] = (("updated_at", "TIMESTAMPTZ"), ("version", "INTEGER"))

ARTICLE_INSERT_COLUMNS = (
    (("id", "BIGINT"), ("url", "VARCHAR"), ("first_seen_at", "TIMESTAMPTZ"))
    + _STATE_COLUMNS
    + _META_COLUMNS
    + _VERDICT_COLUMNS
    + _CONTENT_COLUMNS
    + _REVISION_COLUMNS
)
_FULL_UPDATE_COLUMNS = (
    (("id", "BIGINT"),) + _STATE_COLUMNS + _META_COLUMNS + _VERDICT_COLUMNS + _CONTENT_COLUMNS
    + _REVISION_COLUMNS
)
_META_UPDATE_COLUMNS = (("id", "BIGINT"),) + _STATE_COLUMNS + _META_COLUMNS + _VERDICT_COLUMNS
_BUMP = "change_seq = nextval('articles_change_seq')"  # schema version 6

VERSION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("article_id", "BIGINT"),
    ("version", "INTEGER"),
    ("fetched_at", "TIMESTAMPTZ"),
    ("content_hash", "VARCHAR"),
    ("title", "VARCHAR"),
    ("text", "VARCHAR"),
    ("word_count", "INTEGER"),
    ("access", "VARCHAR"),
    ("paywall_signals", "VARCHAR[]"),
    ("paywall_notice", "VARCHAR"),
    ("extractor", "VARCHAR"),
    ("rules_version", "VARCHAR"),
    ("response_id", "BIGINT"),
)
RESPONSE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "BIGINT"),
    ("article_id", "BIGINT"),
    ("source", "VARCHAR"),
    ("url", "VARCHAR"),
    ("final_url", "VARCHAR"),
    ("status", "INTEGER"),
    ("headers", "JSON"),
    ("content_type", "VARCHAR"),
    ("codec", "VARCHAR"),
    ("body", "BLOB"),
    ("body_bytes", "BIGINT"),
    ("body_sha256", "VARCHAR"),
    ("fetched_at", "TIMESTAMPTZ"),
    ("warc_file", "VARCHAR"),
    ("warc_offset", "BIGINT"),
    ("warc_length", "BIGINT"),
)
FETCH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("url", "VARCHAR"),
    ("final_url", "VARCHAR"),
    ("status", "INTEGER"),
    ("bytes", "BIGINT"),
    ("duration_ms", "DOUBLE"),
    ("error", "VARCHAR"),
    ("error_detail", "VARCHAR"),
    ("fetched_at", "TIMESTAMPTZ"),
    ("attempt", "INTEGER"),
    ("source", "VARCHAR"),
)
SKIP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("url", "VARCHAR"),
    ("source", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("skipped_at", "TIMESTAMPTZ"),
    ("times", "INTEGER"),
)


def _names(columns: Sequence[tuple[str, str]]) -> list[str]:
    return [name for name, _ in columns]


def _unnest_select(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(
        f"unnest(${i}::{kind}[]) AS {name}" for i, (name, kind) in enumerate(columns, 1)
    )


def bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
) -> None:
    """INSERT many rows with one statement: each column goes in as one typed list."""
    if not rows:
        return
    names = ", ".join(_names(columns))
    con.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM (SELECT {_unnest_select(columns)})",
        [[row[name] for row in rows] for name, _ in columns],
    )


def _bulk_update(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
    also: str = "",
) -> None:
    """UPDATE many rows by ``id`` (the first column) with one statement; ``also`` is an extra
    ``SET`` item computed by SQL."""
    if not rows:
        return
    sets = ", ".join([f"{name} = u.{name}" for name, _ in columns[1:]] + ([also] if also else []))
    con.execute(
        f"UPDATE {table} SET {sets} FROM (SELECT {_unnest_select(columns)}) AS u "
        f"WHERE {table}.id = u.id",
        [[row[name] for row in rows] for name, _ in columns],
    )


# -- preparing a capture ----------------------------------------------------------------------


@dataclass
class _Prepared:
    capture: Capture
    canonical_url: str
    fetched_at: datetime
    values: dict[str, Any]  # state (minus ids), meta and content columns
    body_sha256: str | None


def _prepare(capture: Capture) -> _Prepared:
    art = capture.article
    fetched_at = _utc(capture.fetched_at)
    values: dict[str, Any] = {
        "canonical_url": art.canonical_url or capture.url,
        "source": capture.source,
        "article_key": capture.article_key,
        "fetched_at": fetched_at,
        "title": art.title,
        "authors": list(art.authors),
        "published_at": parse_timestamp(art.published_at),
        "modified_at": parse_timestamp(art.modified_at),
        "language": art.language,
        "section": art.section,
        "tags": list(art.tags),
        "description": art.description,
        "image": art.image,
        "site_name": art.site_name,
        "paywall_declared": art.paywall_declared,
        "paywall_confidence": float(art.paywall_confidence),
        "paywall_evidence": json.dumps(
            [s.to_dict() for s in art.paywall_evidence], ensure_ascii=False
        ),
        "paywall_model": art.paywall_model,
        "extractor": art.extractor,
        "rules_version": art.rules_version,
        "encoding": art.encoding,
        "text": art.text,
        "word_count": int(art.word_count),
        "access": art.access,
        "paywall_signals": list(art.paywall_signals),
        "paywall_notice": art.paywall_notice,
        "content_hash": capture.content_hash or content_hash(art.text),
    }
    sha = hashlib.sha256(capture.response.content).hexdigest() if capture.response else None
    return _Prepared(capture, values["canonical_url"], fetched_at, values, sha)


def _response_row(
    response: FetchResult, sha: str, article_id: int, source: str | None
) -> dict[str, Any]:
    headers = [
        [name, "[redacted]" if name.lower() in REDACTED_HEADERS else value]
        for name, value in response.headers
    ]
    raw = rawstore.active()  # raw_store: warc -> the body goes to a WARC file, the row points to it
    ref = raw.put(response) if raw is not None else None
    return {
        "article_id": article_id,
        "source": source,
        "url": response.url,
        "final_url": response.final_url,
        "status": response.status,
        "headers": json.dumps(headers, ensure_ascii=False),
        "content_type": response.content_type,
        "codec": BODY_CODEC if ref is None else "warc",
        "body": compress_body(response.content) if ref is None else None,
        "body_bytes": len(response.content),
        "body_sha256": sha,
        "fetched_at": _utc(response.fetched_at),
        "warc_file": ref.file if ref else None,
        "warc_offset": ref.offset if ref else None,
        "warc_length": ref.length if ref else None,
    }


# -- storing ----------------------------------------------------------------------------------

_LOOKUP = """
SELECT a.id, a.url, a.canonical_url, a.article_key, a.source, a.content_hash, a.access,
       a.version, a.fetched_at, a.response_id, r.body_sha256
FROM articles a LEFT JOIN responses r ON r.id = a.response_id
WHERE a.article_key IN (SELECT unnest($1::VARCHAR[]))
   OR a.canonical_url IN (SELECT unnest($2::VARCHAR[]))
   OR a.url IN (SELECT unnest($3::VARCHAR[]))
"""


def store_capture(con: duckdb.DuckDBPyConnection, capture: Capture) -> StoreOutcome:
    """Store one capture; see :func:`store_captures`."""
    return store_captures(con, [capture])[0]


def store_captures(
    con: duckdb.DuckDBPyConnection, captures: Iterable[Capture]
) -> list[StoreOutcome]:
    """Store captures in order (a URL seen twice in a batch is two fetches of one article).

    Returns one :class:`StoreOutcome` per capture, in the same order."""
    prepared = [_prepare(c) for c in captures]
    if not prepared:
        return []

    keys = sorted({p.capture.article_key for p in prepared if p.capture.article_key})
    urls = sorted({p.canonical_url for p in prepared} | {p.capture.url for p in prepared})
    by_id: dict[int, dict[str, Any]] = {}
    for row in con.execute(_LOOKUP, [keys, urls, urls]).fetchall():
        rec = dict(
            zip(
                (
                    "id",
                    "url",
                    "canonical_url",
                    "article_key",
                    "source",
                    "content_hash",
                    "access",
                    "version",
                    "fetched_at",
                    "response_id",
                    "body_sha256",
                ),
                row,
                strict=True,
            )
        )
        rec["is_new"] = False
        rec["full"] = False
        rec["touched"] = False
        by_id[rec["id"]] = rec
    by_key = {r["article_key"]: r for r in by_id.values() if r["article_key"]}
    by_canonical = {r["canonical_url"]: r for r in by_id.values()}
    by_url = {r["url"]: r for r in by_id.values()}

    # Pass 1: decide, with negative placeholder ids for rows not yet numbered.
    placeholder = 0
    outcomes: list[tuple[dict[str, Any], Status, int, bool]] = []
    versions: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    for p in prepared:
        cap, values = p.capture, p.values
        rec = (
            (by_key.get(cap.article_key) if cap.article_key else None)
            or by_canonical.get(p.canonical_url)
            or by_canonical.get(cap.url)
            or by_url.get(cap.url)
        )
        if rec is None:
            placeholder -= 1
            rec = {
                "id": placeholder,
                "url": cap.url,
                "canonical_url": None,
                "article_key": None,
                "source": None,
                "first_seen_at": p.fetched_at,
                "version": 0,
                "access": None,
                "content_hash": None,
                "fetched_at": None,
                "response_id": None,
                "body_sha256": None,
                "is_new": True,
                "full": True,
                "touched": True,
            }
            by_url.setdefault(cap.url, rec)
        # identity columns: the canonical URL moves only when no other article holds it
        holder = by_canonical.get(p.canonical_url)
        if holder is None or holder is rec:
            if rec["canonical_url"] not in (None, p.canonical_url):
                del by_canonical[rec["canonical_url"]]
            rec["canonical_url"] = p.canonical_url
            by_canonical[p.canonical_url] = rec
        if cap.article_key and not rec["article_key"]:
            rec["article_key"] = cap.article_key
            by_key.setdefault(cap.article_key, rec)
        if cap.source is not None:
            rec["source"] = cap.source

        # the raw response, unless it is the very body the article already points to
        if cap.response is not None and p.body_sha256 != rec["body_sha256"]:
            placeholder -= 1
            row = _response_row(cap.response, p.body_sha256 or "", rec["id"], cap.source)
            row["id"] = placeholder
            row["_article"] = rec
            responses.append(row)
            rec["response_id"] = placeholder
            rec["body_sha256"] = p.body_sha256

        access_changed = rec["version"] > 0 and rec["access"] != values["access"]
        changed = rec["content_hash"] != values["content_hash"] or rec["access"] != values["access"]
        # a capture older than what is stored never moves fetched_at backwards
        if rec["fetched_at"] is None or p.fetched_at > rec["fetched_at"]:
            rec["fetched_at"] = p.fetched_at
        for name, _ in _META_COLUMNS + _VERDICT_COLUMNS:
            rec[name] = values[name]
        rec["touched"] = True
        if changed:
            status: Status = "new" if rec["version"] == 0 else "updated"
            rec["version"] += 1
            rec["full"] = True
            for name, _ in _CONTENT_COLUMNS:
                rec[name] = values[name]
            rec["updated_at"] = p.fetched_at
            versions.append(
                {
                    "_article": rec,
                    "version": rec["version"],
                    "fetched_at": p.fetched_at,
                    "content_hash": values["content_hash"],
                    "title": values["title"],
                    "text": values["text"],
                    "word_count": values["word_count"],
                    "access": values["access"],
                    "paywall_signals": values["paywall_signals"],
                    "paywall_notice": values["paywall_notice"],
                    "extractor": values["extractor"],
                    "rules_version": values["rules_version"],
                    "_response": rec["response_id"],
                }
            )
            if status == "new":
                by_id[rec["id"]] = rec
        else:
            status = "unchanged"
        outcomes.append((rec, status, rec["version"], access_changed))

    # Pass 2: real ids for new articles and responses, then one bulk write per table.
    new_articles = [r for r in by_id.values() if r["is_new"]]
    real: dict[int, int] = {}
    for seq, placeholders in (
        ("articles_id_seq", [r["id"] for r in new_articles]),
        ("responses_id_seq", [r["id"] for r in responses]),
    ):
        if placeholders:
            ids = con.execute(f"SELECT nextval('{seq}') FROM range(?)", [len(placeholders)])
            for old, (new,) in zip(placeholders, ids.fetchall(), strict=True):
                real[old] = int(new)
    for rec in by_id.values():
        rec["id"] = real.get(rec["id"], rec["id"])
        if rec.get("response_id") is not None:
            rec["response_id"] = real.get(rec["response_id"], rec["response_id"])
    for row in responses:
        row["id"] = real[row["id"]]
        row["article_id"] = row.pop("_article")["id"]
    for row in versions:
        row["article_id"] = row.pop("_article")["id"]
        response = row.pop("_response")
        row["response_id"] = real.get(response, response) if response is not None else None

    bulk_insert(con, "responses", RESPONSE_COLUMNS, responses)
    bulk_insert(con, "articles", ARTICLE_INSERT_COLUMNS, new_articles)
    existing = [r for r in by_id.values() if not r["is_new"] and r["touched"]]
    # every stored article takes a new change_seq (new rows by the column's default): readers
    # that follow the archive (the search index) pick up "WHERE change_seq > watermark"
    _bulk_update(con, "articles", _FULL_UPDATE_COLUMNS, [r for r in existing if r["full"]], _BUMP)
    _bulk_update(con, "articles", _META_UPDATE_COLUMNS, [r for r in existing if not r["full"]], _BUMP)
    bulk_insert(con, "article_versions", VERSION_COLUMNS, versions)

    return [
        StoreOutcome(article_id=rec["id"], status=status, version=version, access_changed=ac)
        for rec, status, version, ac in outcomes
    ]


def log_fetches(con: duckdb.DuckDBPyConnection, attempts: Iterable[FetchAttempt]) -> int:
    """Append HTTP attempts to ``fetches``; return how many."""
    rows = [
        {
            "url": a.url,
            "final_url": a.final_url,
            "status": a.status,
            "bytes": a.bytes,
            "duration_ms": float(a.duration_ms),
            "error": a.error,
            "error_detail": a.error_detail,
            "fetched_at": _utc(a.fetched_at),
            "attempt": a.attempt,
            "source": a.source,
        }
        for a in attempts
    ]
    bulk_insert(con, "fetches", FETCH_COLUMNS, rows)
    return len(rows)


def record_skips(con: duckdb.DuckDBPyConnection, skips: Iterable[Skip]) -> int:
    """Record why URLs were not fetched: one row per (url, reason), whose ``skipped_at``,
    ``detail`` and ``times`` follow the latest skip; return how many skips were recorded."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    count = 0
    for s in skips:
        count += 1
        at = _utc(s.at)
        row = merged.get((s.url, s.reason))
        if row is None:
            merged[(s.url, s.reason)] = {"url": s.url, "source": s.source, "reason": s.reason,
                                         "detail": s.detail, "skipped_at": at, "times": 1}
        else:
            row["times"] += 1
            if at >= row["skipped_at"]:
                row.update(source=s.source, detail=s.detail, skipped_at=at)
    if merged:
        con.execute(
            f"INSERT INTO skips (url, source, reason, detail, first_skipped_at, skipped_at, times) "
            f"SELECT url, source, reason, detail, skipped_at, skipped_at, times "
            f"FROM (SELECT {_unnest_select(SKIP_COLUMNS)}) "
            "ON CONFLICT (url, reason) DO UPDATE SET source = excluded.source, "
            "detail = excluded.detail, skipped_at = greatest(skips.skipped_at, excluded.skipped_at), "
            "times = skips.times + excluded.times",
            [[row[name] for row in merged.values()] for name, _ in SKIP_COLUMNS],
        )
    return count


# -- the poller's state -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """One row of ``feeds``: a feed, sitemap or index page and how it answered last time."""

    feed_url: str
    source: str | None
    kind: str = "feed"  # feed | sitemap | index
    etag: str | None = None
    last_modified: str | None = None
    validators_stale: bool = False
    body_sha256: str | None = None
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    interval_seconds: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    entries_seen: int = 0
    not_modified_streak: int = 0
    polls: int = 0
    not_modified: int = 0
    errors: int = 0


FEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("feed_url", "VARCHAR"),
    ("source", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("etag", "VARCHAR"),
    ("last_modified", "VARCHAR"),
    ("validators_stale", "BOOLEAN"),
    ("body_sha256", "VARCHAR"),
    ("last_polled_at", "TIMESTAMPTZ"),
    ("next_poll_at", "TIMESTAMPTZ"),
    ("interval_seconds", "DOUBLE"),
    ("last_status", "INTEGER"),
    ("last_error", "VARCHAR"),
    ("entries_seen", "BIGINT"),
    ("not_modified_streak", "INTEGER"),
    ("polls", "BIGINT"),
    ("not_modified", "BIGINT"),
    ("errors", "BIGINT"),
)


def save_feed_states(con: duckdb.DuckDBPyConnection, states: Iterable[FeedState]) -> int:
    """Insert or replace ``feeds`` rows (one statement for the lot)."""
    rows = [
        {name: (_utc(v) if isinstance(v := getattr(s, name), datetime) else v) for name, _ in FEED_COLUMNS}
        for s in states
    ]
    if not rows:
        return 0
    names = _names(FEED_COLUMNS)
    sets = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    con.execute(
        f"INSERT INTO feeds ({', '.join(names)}) SELECT {', '.join(names)} FROM "
        f"(SELECT {_unnest_select(FEED_COLUMNS)}) ON CONFLICT (feed_url) DO UPDATE SET {sets}",
        [[row[name] for row in rows] for name, _ in FEED_COLUMNS],
    )
    return len(rows)


POLL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
    ("feeds", "INTEGER"),
    ("new_articles", "INTEGER"),
    ("updated", "INTEGER"),
    ("errors", "INTEGER"),
    ("unchanged", "INTEGER"),
    ("skipped", "INTEGER"),
    ("not_modified", "INTEGER"),
    ("rechecked", "INTEGER"),
)


def record_poll(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """Append one ``polls`` row (keys: the POLL_COLUMNS names)."""
    bulk_insert(con, "polls", POLL_COLUMNS, [{n: row.get(n) for n, _ in POLL_COLUMNS}])


def schedule_rechecks(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[tuple[int, str, datetime, bool]],
    recheck_at: Any,
) -> None:
    """Set ``next_check_at``/``check_count`` of stored articles.

    ``items``: (article_id, access, fetched_at, was_a_recheck). ``recheck_at(access, count,
    fetched_at)`` is the policy (``scraper.schedule.recheck_at``); a re-check adds one to
    ``check_count``; a full article gets no next check."""
    if not items:
        return
    ids = sorted({i[0] for i in items})
    counts = dict(
        con.execute(
            "SELECT id, coalesce(check_count, 0) FROM articles WHERE id IN (SELECT unnest($1::BIGINT[]))",
            [ids],
        ).fetchall()
    )
    latest: dict[int, dict[str, Any]] = {}
    for article_id, access, fetched_at, was_recheck in items:
        count = int(counts.get(article_id, 0)) + (1 if was_recheck else 0)
        counts[article_id] = count
        latest[article_id] = {
            "id": article_id,
            "next_check_at": recheck_at(access, count, _utc(fetched_at)),
            "check_count": count,
        }
    _bulk_update(
        con,
        "articles",
        (("id", "BIGINT"), ("next_check_at", "TIMESTAMPTZ"), ("check_count", "INTEGER")),
        list(latest.values()),
    )
