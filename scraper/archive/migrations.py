"""The archive's schema, as ordered steps.

Each step is applied in its own transaction together with its row in ``schema_version``
(version, applied_at, description), so a crash leaves the archive at the previous version,
never half-way (miniflux's ``migrations.go``, sqlite-utils's ``Migrations``). Steps are only
ever appended: a released step is never edited, a change is a new step.

:func:`ensure_schema` is called by :meth:`scraper.archive.Archive.write` on every open; when
the archive is current it costs one small query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from scraper.errors import ArchiveError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


_V1 = (
    # -- one row per article: the latest state; columns named as Article.to_dict() keys
    "CREATE SEQUENCE articles_id_seq START 1",
    """
    CREATE TABLE articles (
        id                 BIGINT PRIMARY KEY DEFAULT nextval('articles_id_seq'),
        url                VARCHAR NOT NULL,
        canonical_url      VARCHAR NOT NULL UNIQUE,
        source             VARCHAR,
        article_key        VARCHAR,
        title              VARCHAR,
        authors            VARCHAR[],
        published_at       TIMESTAMPTZ,
        modified_at        TIMESTAMPTZ,
        language           VARCHAR,
        section            VARCHAR,
        tags               VARCHAR[],
        description        VARCHAR,
        image              VARCHAR,
        site_name          VARCHAR,
        text               VARCHAR,
        word_count         INTEGER,
        access             VARCHAR,
        paywall_declared   BOOLEAN,
        paywall_confidence DOUBLE,
        paywall_signals    VARCHAR[],
        paywall_notice     VARCHAR,
        paywall_evidence   JSON,
        extractor          VARCHAR,
        rules_version      VARCHAR,
        encoding           VARCHAR,
        content_hash       VARCHAR,
        fetched_at         TIMESTAMPTZ,
        first_seen_at      TIMESTAMPTZ,
        updated_at         TIMESTAMPTZ,
        version            INTEGER,
        response_id        BIGINT,
        next_check_at      TIMESTAMPTZ,
        check_count        INTEGER DEFAULT 0
    )
    """,
    # canonical_url is indexed by its UNIQUE constraint; a second index would only slow inserts
    "CREATE INDEX articles_article_key_idx ON articles (article_key)",
    "CREATE INDEX articles_source_published_idx ON articles (source, published_at)",
    # -- a row per revision: first store, then each change of normalised text or of access
    """
    CREATE TABLE article_versions (
        article_id      BIGINT NOT NULL,
        version         INTEGER NOT NULL,
        fetched_at      TIMESTAMPTZ,
        content_hash    VARCHAR,
        title           VARCHAR,
        text            VARCHAR,
        word_count      INTEGER,
        access          VARCHAR,
        paywall_signals VARCHAR[],
        paywall_notice  VARCHAR,
        extractor       VARCHAR,
        rules_version   VARCHAR,
        response_id     BIGINT,
        PRIMARY KEY (article_id, version)
    )
    """,
    # -- raw responses, compressed, for offline re-extraction and WARC export
    "CREATE SEQUENCE responses_id_seq START 1",
    """
    CREATE TABLE responses (
        id           BIGINT PRIMARY KEY DEFAULT nextval('responses_id_seq'),
        article_id   BIGINT,
        source       VARCHAR,
        url          VARCHAR NOT NULL,
        final_url    VARCHAR,
        status       INTEGER,
        headers      JSON,
        content_type VARCHAR,
        codec        VARCHAR NOT NULL,
        body         BLOB,
        body_bytes   BIGINT,
        body_sha256  VARCHAR,
        fetched_at   TIMESTAMPTZ
    )
    """,
    "CREATE INDEX responses_article_idx ON responses (article_id)",
    # -- every HTTP attempt, successful or not
    "CREATE SEQUENCE fetches_id_seq START 1",
    """
    CREATE TABLE fetches (
        id           BIGINT PRIMARY KEY DEFAULT nextval('fetches_id_seq'),
        url          VARCHAR NOT NULL,
        final_url    VARCHAR,
        status       INTEGER,
        bytes        BIGINT,
        duration_ms  DOUBLE,
        error        VARCHAR,
        error_detail VARCHAR,
        fetched_at   TIMESTAMPTZ,
        attempt      INTEGER,
        source       VARCHAR
    )
    """,
    # -- the daemon's state: what is due lives here, so restarts lose nothing
    """
    CREATE TABLE feeds (
        feed_url         VARCHAR PRIMARY KEY,
        source           VARCHAR,
        etag             VARCHAR,
        last_modified    VARCHAR,
        validators_stale BOOLEAN DEFAULT false,
        last_polled_at   TIMESTAMPTZ,
        next_poll_at     TIMESTAMPTZ,
        interval_seconds DOUBLE,
        last_status      INTEGER,
        last_error       VARCHAR,
        entries_seen     BIGINT DEFAULT 0
    )
    """,
    """
    CREATE TABLE skips (
        url    VARCHAR NOT NULL,
        source VARCHAR,
        reason VARCHAR NOT NULL,
        detail VARCHAR,
        skipped_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE polls (
        source       VARCHAR,
        started_at   TIMESTAMPTZ NOT NULL,
        finished_at  TIMESTAMPTZ,
        feeds        INTEGER,
        new_articles INTEGER,
        updated      INTEGER,
        errors       INTEGER
    )
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "articles, versions, responses, fetches, feeds, skips, polls", _V1),
)

LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL,
    description VARCHAR NOT NULL
)
"""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The archive's schema version; 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = 'schema_version' AND schema_name = 'main' AND NOT temporary"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def ensure_schema(con: duckdb.DuckDBPyConnection, *, path: object = "archive") -> int:
    """Apply the missing steps, each in one transaction; return the version now in place.

    Must be called outside a transaction, on a read-write connection."""
    version = current_version(con)
    if version == LATEST_VERSION:
        return version
    if version > LATEST_VERSION:
        raise ArchiveError(
            f"archive {path} has schema version {version}, newer than this program knows "
            f"({LATEST_VERSION}); upgrade scraper to write to it",
            code="archive:schema-too-new",
        )
    for step in MIGRATIONS:
        if step.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_VERSION_TABLE)
            for statement in step.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [step.version, datetime.now(UTC), step.description],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = step.version
    return version
