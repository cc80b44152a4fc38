"""The DuckDB archive: :class:`Archive` opens the file for one operation at a time,
``record`` is the one write path (a :class:`WriteRecord` stored by :func:`store` /
:func:`apply`; ``writer`` batches records from many threads; ``store`` writes the tables),
``queries`` the read-only helpers. See the README, "The archive"."""

from __future__ import annotations

from scraper.archive.db import OLDEST_DUCKDB, STORAGE_VERSION, Archive, connect_readonly
from scraper.archive.migrations import LATEST_VERSION, ensure_schema
from scraper.archive.queries import (
    archived_urls,
    article_versions,
    get_article,
    latest_articles,
    run_sql,
)
from scraper.archive.record import WriteRecord, apply, store
from scraper.archive.store import (
    Skip,
    StoreOutcome,
    content_hash,
    decompress_body,
    log_fetches,
    normalise_text,
    record_skips,
    store_capture,
    store_captures,
)

__all__ = [
    "LATEST_VERSION",
    "OLDEST_DUCKDB",
    "STORAGE_VERSION",
    "Archive",
    "Skip",
    "StoreOutcome",
    "WriteRecord",
    "apply",
    "archived_urls",
    "article_versions",
    "connect_readonly",
    "content_hash",
    "decompress_body",
    "ensure_schema",
    "get_article",
    "latest_articles",
    "log_fetches",
    "normalise_text",
    "record_skips",
    "run_sql",
    "store",
    "store_capture",
    "store_captures",
]
