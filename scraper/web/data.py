"""What each page of the web view shows, as plain data (the JSON API returns it as is).

Every function takes a read-only connection from :meth:`Archive.read`; the web layer opens
the archive for one request's reads and closes it, so the daemon keeps writing meanwhile.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from scraper.archive.queries import source_status, stored_response
from scraper.decode import decode_html

PAGE_SIZE = 50
CHART_DAYS = 30
RAW_MAX_CHARS = 300_000  # the raw page shown is cut here (the whole stays in the archive)

_LIST_COLUMNS = ("id", "url", "title", "source", "published_at", "first_seen_at", "word_count",
                 "access", "language")


def _dicts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in con.description or ()]
    return [dict(zip(names, row, strict=True)) for row in con.fetchall()]


# -- sources ----------------------------------------------------------------------------------

_PER_DAY = """
SELECT source, CAST(coalesce(published_at, first_seen_at) AS DATE) AS day, count(*) AS articles,
       count(*) FILTER (WHERE access <> 'full') AS walled
FROM articles WHERE source IS NOT NULL AND coalesce(published_at, first_seen_at) IS NOT NULL
GROUP BY ALL ORDER BY source, day
"""


def sources(con: duckdb.DuckDBPyConnection, now: datetime) -> list[dict[str, Any]]:
    """The ``scraper status`` rows, each with ``days``: the source's last CHART_DAYS days
    (ending at its newest article) of articles and truncated-or-locked share."""
    rows = source_status(con, now)
    per_source: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    for source, day, articles, walled in con.execute(_PER_DAY).fetchall():
        per_source[source][day] = (int(articles), int(walled))
    for row in rows:
        counts = per_source.get(row["source"], {})
        days: list[dict[str, Any]] = []
        if counts:
            last = max(counts)
            for i in range(CHART_DAYS - 1, -1, -1):
                day = last - timedelta(days=i)
                articles, walled = counts.get(day, (0, 0))
                days.append({"day": day, "articles": articles, "walled": walled,
                             "walled_share": round(walled / articles, 3) if articles else None})
        row["days"] = days
    return rows


# -- articles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFilter:
    source: str | None = None
    access: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.source:
            clauses.append("source = ?")
            params.append(self.source)
        if self.access:
            clauses.append("access = ?")
            params.append(self.access)
        if self.language:
            clauses.append("lower(split_part(replace(language, '_', '-'), '-', 1)) = ?")
            params.append(self.language.strip().lower().replace("_", "-").split("-")[0])
        if self.since:
            clauses.append("coalesce(published_at, first_seen_at) >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("coalesce(published_at, first_seen_at) < ?")
            params.append(self.until)
        return " AND ".join(clauses), params


def articles(con: duckdb.DuckDBPyConnection, f: ArticleFilter, page: int) -> tuple[list[dict[str, Any]], int]:
    """Newest first (publication time, else first sight): one page of rows and the total."""
    where, params = f.where()
    total = con.execute(f"SELECT count(*) FROM articles WHERE {where}", params).fetchone()
    con.execute(
        f"SELECT {', '.join(_LIST_COLUMNS)} FROM articles WHERE {where} "
        "ORDER BY coalesce(published_at, first_seen_at) DESC NULLS LAST, id DESC LIMIT ? OFFSET ?",
        [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    )
    return _dicts(con), int(total[0]) if total else 0


def articles_by_id(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """List rows of these articles (for search hits, which come from the index)."""
    if not ids:
        return {}
    con.execute(f"SELECT {', '.join(_LIST_COLUMNS)} FROM articles "
                "WHERE id IN (SELECT unnest($1::BIGINT[]))", [ids])
    return {row["id"]: row for row in _dicts(con)}


def facets(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the filters offer: sources and languages present."""
    sources = [r[0] for r in con.execute(
        "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY 1").fetchall()]
    languages = [r[0] for r in con.execute(
        "SELECT DISTINCT lower(split_part(replace(language, '_', '-'), '-', 1)) FROM articles "
        "WHERE language IS NOT NULL ORDER BY 1").fetchall()]
    return {"sources": sources, "languages": languages, "access": ["full", "truncated", "locked"]}


# -- one article ------------------------------------------------------------------------------


def article(con: duckdb.DuckDBPyConnection, article_id: int) -> dict[str, Any] | None:
    """Everything the article page shows but the diff: the row, its evidence, its revisions
    (without their texts), its access changes and its latest raw response's metadata."""
    con.execute("SELECT * FROM articles WHERE id = ?", [article_id])
    rows = _dicts(con)
    if not rows:
        return None
    art = rows[0]
    art.pop("change_seq", None)
    try:
        evidence = json.loads(art.pop("paywall_evidence") or "[]")
    except ValueError:
        evidence = []
    art["paywall_evidence"] = [e for e in evidence if isinstance(e, dict)]
    con.execute(
        "SELECT version, fetched_at, content_hash, title, word_count, access, paywall_signals, "
        "extractor, rules_version, response_id FROM article_versions WHERE article_id = ? "
        "ORDER BY version", [article_id])
    versions = _dicts(con)
    art["versions"] = versions
    changes = []
    for before, after in zip(versions, versions[1:], strict=False):
        if before["access"] != after["access"]:
            changes.append({"version": after["version"], "changed_at": after["fetched_at"],
                            "old_access": before["access"], "new_access": after["access"]})
    art["access_changes"] = changes
    art["response"] = None
    if art.get("response_id") is not None:
        con.execute("SELECT id, url, final_url, status, headers, content_type, body_bytes, "
                    "body_sha256, fetched_at FROM responses WHERE id = ?", [art["response_id"]])
        found = _dicts(con)
        if found:
            resp = found[0]
            try:
                resp["headers"] = json.loads(resp["headers"] or "[]")
            except ValueError:
                resp["headers"] = []
            art["response"] = resp
    return art


def version_texts(con: duckdb.DuckDBPyConnection, article_id: int, a: int, b: int) -> dict[int, str]:
    con.execute("SELECT version, text FROM article_versions WHERE article_id = ? AND version IN (?, ?)",
                [article_id, a, b])
    return {int(v): t or "" for v, t in con.fetchall()}


def raw_page(con: duckdb.DuckDBPyConnection, article_id: int) -> tuple[str, str, bool] | None:
    """The article's latest raw response decoded as a browser would: (text, encoding, cut?)."""
    con.execute("SELECT r.* FROM articles a JOIN responses r ON r.id = a.response_id WHERE a.id = ?",
                [article_id])
    rows = _dicts(con)
    if not rows:
        return None
    response = stored_response(rows[0])
    decoded = decode_html(response.content, response.content_type)
    text = decoded.text
    return text[:RAW_MAX_CHARS], decoded.encoding, len(text) > RAW_MAX_CHARS


def utcnow() -> datetime:
    return datetime.now(UTC)
