"""The table writers under the one write path (:mod:`scraper.archive.record`): captures,
fetch attempts, skips, feed states, polls rows and re-check dates.

Every function here takes a connection that :meth:`scraper.archive.Archive.write` opened with
a transaction; :func:`scraper.archive.record.apply` calls them in order for one
:class:`~scraper.archive.record.WriteRecord`, so whatever one record holds lands whole or not
at all. Code outside ``archive/`` stores through ``record.store`` (or the writer thread),
never by calling these in its own ``archive.write``.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from scraper.archive import rawstore
from scraper.models import Capture, FeedState, FetchAttempt, FetchResult, PollRow, Skip

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
_VERSION_VALUES = ("content_hash", "title", "text", "word_count", "access", "paywall_signals",
                   "paywall_notice", "extractor", "rules_version")
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


# -- storing captures: match -> plan -> assign ids -> write -----------------------------------
#
# match:  one query finds the stored articles any capture of the batch may be (key, canonical
#         URL, URL asked for) -> _Stored rows;
# plan:   each capture in turn decides new / updated / unchanged against the rows as the batch
#         leaves them (a URL twice in a batch is two fetches of one article) -> _ArticlePlan,
#         _ResponsePlan and _VersionPlan rows that point at each other, not at ids;
# assign: new articles and responses take their ids from the sequences, in one query each;
# write:  one bulk INSERT/UPDATE per table.


@dataclass
class _ArticlePlan:
    """An ``articles`` row as the batch leaves it (found, or new with ``id`` None until assigned)."""

    id: int | None
    url: str
    is_new: bool
    canonical_url: str | None = None
    article_key: str | None = None
    source: str | None = None
    first_seen_at: datetime | None = None
    version: int = 0
    access: str | None = None
    content_hash: str | None = None
    fetched_at: datetime | None = None
    body_sha256: str | None = None
    response_id: int | None = None  # a stored response's id ...
    response: _ResponsePlan | None = None  # ... or the new one this batch writes
    full: bool = False  # content columns changed (a new version): written with the rest
    touched: bool = False
    columns: dict[str, Any] = field(default_factory=dict)  # meta, verdict and content values

    def response_ref(self) -> int | None:
        return self.response.id if self.response is not None else self.response_id


@dataclass
class _ResponsePlan:
    article: _ArticlePlan
    response: FetchResult
    sha: str
    source: str | None
    id: int | None = None


@dataclass
class _VersionPlan:
    article: _ArticlePlan
    version: int
    fetched_at: datetime
    values: dict[str, Any]  # the version's own columns
    response_id: int | None = None
    response: _ResponsePlan | None = None


@dataclass
class _Plan:
    articles: list[_ArticlePlan] = field(default_factory=list)  # new ones and touched ones
    responses: list[_ResponsePlan] = field(default_factory=list)
    versions: list[_VersionPlan] = field(default_factory=list)
    outcomes: list[tuple[_ArticlePlan, Status, int, bool]] = field(default_factory=list)


def _values(capture: Capture) -> dict[str, Any]:
    """The meta, verdict and content columns of a capture (its text hashed once: by the
    pipeline, or here for a capture built without it)."""
    art = capture.article
    return {
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


def _response_row(plan: _ResponsePlan) -> dict[str, Any]:
    response = plan.response
    headers = [
        [name, "[redacted]" if name.lower() in REDACTED_HEADERS else value]
        for name, value in response.headers
    ]
    raw = rawstore.active()  # raw_store: warc -> the body goes to a WARC file, the row points to it
    ref = raw.put(response) if raw is not None else None
    return {
        "id": plan.id,
        "article_id": plan.article.id,
        "source": plan.source,
        "url": response.url,
        "final_url": response.final_url,
        "status": response.status,
        "headers": json.dumps(headers, ensure_ascii=False),
        "content_type": response.content_type,
        "codec": BODY_CODEC if ref is None else "warc",
        "body": compress_body(response.content) if ref is None else None,
        "body_bytes": len(response.content),
        "body_sha256": plan.sha,
        "fetched_at": _utc(response.fetched_at),
        "warc_file": ref.file if ref else None,
        "warc_offset": ref.offset if ref else None,
        "warc_length": ref.length if ref else None,
    }


_LOOKUP = """
SELECT a.id, a.url, a.canonical_url, a.article_key, a.source, a.content_hash, a.access,
       a.version, a.fetched_at, a.response_id, r.body_sha256
FROM articles a LEFT JOIN responses r ON r.id = a.response_id
WHERE a.article_key IN (SELECT unnest($1::VARCHAR[]))
   OR a.canonical_url IN (SELECT unnest($2::VARCHAR[]))
   OR a.url IN (SELECT unnest($3::VARCHAR[]))
"""


def _match(con: duckdb.DuckDBPyConnection, captures: Sequence[Capture]) -> list[_ArticlePlan]:
    """The stored articles the captures may be, as plans not yet touched."""
    keys = sorted({c.article_key for c in captures if c.article_key})
    urls = sorted({c.article.canonical_url or c.url for c in captures} | {c.url for c in captures})
    return [
        _ArticlePlan(id=row[0], url=row[1], is_new=False, canonical_url=row[2], article_key=row[3],
                     source=row[4], content_hash=row[5], access=row[6], version=row[7],
                     fetched_at=row[8], response_id=row[9], body_sha256=row[10])
        for row in con.execute(_LOOKUP, [keys, urls, urls]).fetchall()
    ]


def _plan(captures: Sequence[Capture], found: list[_ArticlePlan]) -> _Plan:
    """Decide each capture in order; see the module doc for the rules."""
    plan = _Plan()
    by_key = {r.article_key: r for r in found if r.article_key}
    by_canonical = {r.canonical_url: r for r in found if r.canonical_url}
    by_url = {r.url: r for r in found}
    touched: dict[int, _ArticlePlan] = {}
    for cap in captures:
        values = _values(cap)
        fetched_at = _utc(cap.fetched_at)
        canonical = cap.article.canonical_url or cap.url
        rec = (
            (by_key.get(cap.article_key) if cap.article_key else None)
            or by_canonical.get(canonical)
            or by_canonical.get(cap.url)
            or by_url.get(cap.url)
        )
        if rec is None:
            rec = _ArticlePlan(id=None, url=cap.url, is_new=True, first_seen_at=fetched_at, full=True)
            by_url.setdefault(cap.url, rec)
        if id(rec) not in touched:
            touched[id(rec)] = rec
            plan.articles.append(rec)
        # identity columns: the canonical URL moves only when no other article holds it
        holder = by_canonical.get(canonical)
        if holder is None or holder is rec:
            if rec.canonical_url not in (None, canonical):
                del by_canonical[rec.canonical_url]
            rec.canonical_url = canonical
            by_canonical[canonical] = rec
        if cap.article_key and not rec.article_key:
            rec.article_key = cap.article_key
            by_key.setdefault(cap.article_key, rec)
        if cap.source is not None:
            rec.source = cap.source

        # the raw response, unless it is the very body the article already points to
        if cap.response is not None:
            sha = hashlib.sha256(cap.response.content).hexdigest()
            if sha != rec.body_sha256:
                rec.response = _ResponsePlan(rec, cap.response, sha, cap.source)
                rec.response_id = None
                rec.body_sha256 = sha
                plan.responses.append(rec.response)

        access_changed = rec.version > 0 and rec.access != values["access"]
        changed = rec.content_hash != values["content_hash"] or rec.access != values["access"]
        # a capture older than what is stored never moves fetched_at backwards
        if rec.fetched_at is None or fetched_at > rec.fetched_at:
            rec.fetched_at = fetched_at
        rec.columns.update((name, values[name]) for name, _ in _META_COLUMNS + _VERDICT_COLUMNS)
        rec.touched = True
        status: Status = "unchanged"
        if changed:
            status = "new" if rec.version == 0 else "updated"
            rec.version += 1
            rec.full = True
            rec.access, rec.content_hash = values["access"], values["content_hash"]
            rec.columns.update((name, values[name]) for name, _ in _CONTENT_COLUMNS)
            rec.columns["updated_at"] = fetched_at
            plan.versions.append(_VersionPlan(
                rec, rec.version, fetched_at,
                {name: values[name] for name in _VERSION_VALUES},
                response_id=rec.response_id, response=rec.response,
            ))
        plan.outcomes.append((rec, status, rec.version, access_changed))
    return plan


def _assign_ids(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """Number the new articles and responses from their sequences (one query each)."""
    for seq, rows in (
        ("articles_id_seq", [a for a in plan.articles if a.is_new]),
        ("responses_id_seq", plan.responses),
    ):
        if rows:
            ids = con.execute(f"SELECT nextval('{seq}') FROM range(?)", [len(rows)]).fetchall()
            for row, (new,) in zip(rows, ids, strict=True):
                row.id = int(new)


def _article_row(rec: _ArticlePlan) -> dict[str, Any]:
    return {
        "id": rec.id, "url": rec.url, "first_seen_at": rec.first_seen_at,
        "canonical_url": rec.canonical_url, "source": rec.source, "article_key": rec.article_key,
        "fetched_at": rec.fetched_at, "response_id": rec.response_ref(), "version": rec.version,
        **rec.columns,
    }


def _write(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    bulk_insert(con, "responses", RESPONSE_COLUMNS, [_response_row(r) for r in plan.responses])
    bulk_insert(con, "articles", ARTICLE_INSERT_COLUMNS,
                [_article_row(a) for a in plan.articles if a.is_new])
    existing = [a for a in plan.articles if not a.is_new and a.touched]
    # every stored article takes a new change_seq (new rows by the column's default): readers
    # that follow the archive (the search index) pick up "WHERE change_seq > watermark"
    _bulk_update(con, "articles", _FULL_UPDATE_COLUMNS,
                 [_article_row(a) for a in existing if a.full], also=_BUMP)
    _bulk_update(con, "articles", _META_UPDATE_COLUMNS,
                 [_article_row(a) for a in existing if not a.full], also=_BUMP)
    bulk_insert(con, "article_versions", VERSION_COLUMNS, [
        {"article_id": v.article.id, "version": v.version, "fetched_at": v.fetched_at,
         "response_id": v.response.id if v.response is not None else v.response_id, **v.values}
        for v in plan.versions
    ])


def store_capture(con: duckdb.DuckDBPyConnection, capture: Capture) -> StoreOutcome:
    """Store one capture; see :func:`store_captures`."""
    return store_captures(con, [capture])[0]


def store_captures(
    con: duckdb.DuckDBPyConnection, captures: Iterable[Capture]
) -> list[StoreOutcome]:
    """Store captures in order (a URL seen twice in a batch is two fetches of one article).

    Returns one :class:`StoreOutcome` per capture, in the same order. Callers other than the
    archive's own write path (:func:`scraper.archive.record.apply`) should use that instead:
    it also schedules re-checks and logs the fetches."""
    captures = list(captures)
    if not captures:
        return []
    plan = _plan(captures, _match(con, captures))
    _assign_ids(con, plan)
    _write(con, plan)
    outcomes = []
    for rec, status, version, access_changed in plan.outcomes:
        assert rec.id is not None
        outcomes.append(StoreOutcome(article_id=rec.id, status=status, version=version,
                                     access_changed=access_changed))
    return outcomes


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


# -- feeds, polls and re-checks -------------------------------------------------------------


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


def record_poll(con: duckdb.DuckDBPyConnection, row: PollRow, counts: Mapping[str, int]) -> None:
    """Append one ``polls`` row; ``counts``: the poll's stored captures by status."""
    values = {f.name: getattr(row, f.name) for f in fields(PollRow)}
    values.update(new_articles=counts.get("new", 0), updated=counts.get("updated", 0),
                  unchanged=counts.get("unchanged", 0))
    bulk_insert(con, "polls", POLL_COLUMNS, [values])


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
