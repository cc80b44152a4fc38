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

# -- the poller's bookkeeping: what a feed looked like last time and how it has answered
_V3 = (
    "ALTER TABLE feeds ADD COLUMN kind VARCHAR",  # feed | sitemap | index
    "ALTER TABLE feeds ADD COLUMN body_sha256 VARCHAR",  # of the last 200 body
    "ALTER TABLE feeds ADD COLUMN not_modified_streak INTEGER DEFAULT 0",
    "ALTER TABLE feeds ADD COLUMN polls BIGINT DEFAULT 0",
    "ALTER TABLE feeds ADD COLUMN not_modified BIGINT DEFAULT 0",  # 304s (or same body) so far
    "ALTER TABLE feeds ADD COLUMN errors BIGINT DEFAULT 0",
    "ALTER TABLE polls ADD COLUMN unchanged INTEGER",
    "ALTER TABLE polls ADD COLUMN skipped INTEGER",
    "ALTER TABLE polls ADD COLUMN not_modified INTEGER",
    "ALTER TABLE polls ADD COLUMN rechecked INTEGER",
)

# -- views for the common questions (the README's SQL cookbook); days and months are in the session's
#    time zone, which is UTC in every connection the program opens
_V2 = (
    # newest first: by publication time, else first sight
    """
    CREATE VIEW latest_articles AS
    SELECT id, source, title, canonical_url, coalesce(published_at, first_seen_at) AS published,
           published_at IS NULL AS published_unknown, access, word_count, language, authors,
           version, fetched_at
    FROM articles
    ORDER BY published DESC NULLS LAST, id DESC
    """,
    # per source and day (of publication, else first sight): how many articles, how many walled
    """
    CREATE VIEW truncated_per_source_day AS
    SELECT source, CAST(coalesce(published_at, first_seen_at) AS DATE) AS day,
           count(*) AS articles,
           count(*) FILTER (WHERE access = 'truncated') AS truncated,
           count(*) FILTER (WHERE access = 'locked') AS locked,
           round(count(*) FILTER (WHERE access <> 'full') / count(*), 3) AS walled_share
    FROM articles
    GROUP BY ALL
    ORDER BY day DESC, source
    """,
    # one row per revision whose access differs from the revision before it
    """
    CREATE VIEW access_changes AS
    SELECT a.id AS article_id, a.source, a.canonical_url, v.title, v.version,
           v.fetched_at AS changed_at, v.previous_access AS old_access, v.access AS new_access,
           v.extractor, v.rules_version
    FROM (
        SELECT *, lag(access) OVER (PARTITION BY article_id ORDER BY version) AS previous_access
        FROM article_versions
    ) AS v
    JOIN articles AS a ON a.id = v.article_id
    WHERE v.previous_access IS NOT NULL AND v.previous_access <> v.access
    ORDER BY changed_at DESC, article_id, version
    """,
    # every revision of every article, with the change in words since the one before
    """
    CREATE VIEW article_revisions AS
    SELECT a.id AS article_id, a.source, a.canonical_url, v.version, v.fetched_at, v.title,
           v.access, v.word_count,
           v.word_count - lag(v.word_count) OVER w AS words_added,
           v.content_hash, v.extractor, v.rules_version, v.response_id, v.text
    FROM article_versions AS v
    JOIN articles AS a ON a.id = v.article_id
    WINDOW w AS (PARTITION BY v.article_id ORDER BY v.version)
    ORDER BY article_id, version
    """,
    # sources whose last article is older than 3 x their median gap between articles (7 days
    # when fewer than 3 articles give no usual gap); silent_for and usual_gap let a query pick
    # another factor
    """
    CREATE VIEW source_activity AS
    WITH seen AS (
        SELECT source, coalesce(published_at, first_seen_at) AS seen_at FROM articles
        WHERE source IS NOT NULL AND coalesce(published_at, first_seen_at) IS NOT NULL
    ), gaps AS (
        SELECT source, seen_at,
               epoch(seen_at) - epoch(lag(seen_at) OVER (PARTITION BY source ORDER BY seen_at)) AS gap
        FROM seen
    )
    SELECT source, count(*) AS articles, max(seen_at) AS last_article,
           CASE WHEN count(gap) >= 2 THEN to_seconds(median(gap)) END AS usual_gap,
           current_timestamp - max(seen_at) AS silent_for
    FROM gaps
    GROUP BY source
    """,
    """
    CREATE VIEW quiet_sources AS
    SELECT source, articles, last_article, usual_gap, silent_for,
           coalesce(3 * usual_gap, INTERVAL 7 DAY) AS quiet_after
    FROM source_activity
    WHERE silent_for > coalesce(3 * usual_gap, INTERVAL 7 DAY)
    ORDER BY silent_for DESC
    """,
)

# One row per (url, reason): a feed that changes every poll would otherwise add a row for each
# of its already-archived entries every time, and the table would grow without bound.
_V4: tuple[str, ...] = (
    """
    CREATE TABLE skips_v4 (
        url              VARCHAR NOT NULL,
        source           VARCHAR,
        reason           VARCHAR NOT NULL,
        detail           VARCHAR,
        first_skipped_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
        skipped_at       TIMESTAMPTZ NOT NULL,
        times            INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (url, reason)
    )
    """,
    """
    INSERT INTO skips_v4
    SELECT url, arg_max(source, skipped_at), reason, arg_max(detail, skipped_at),
           min(skipped_at), max(skipped_at), count(*)
    FROM skips GROUP BY url, reason
    """,
    "DROP TABLE skips",
    "ALTER TABLE skips_v4 RENAME TO skips",
)

# The kind of wall (hard, metered, registration, freemium) beside the verdict.
_V5: tuple[str, ...] = ("ALTER TABLE articles ADD COLUMN paywall_model VARCHAR",)

# A change counter for readers that follow the archive (the search index, issue 14): every
# insert takes the next value by default, every store that touches an article sets a new one
# (store.py), so "what changed since N" is ``WHERE change_seq > N``. Existing rows are numbered
# by the ALTER itself.
_V6: tuple[str, ...] = (
    "CREATE SEQUENCE articles_change_seq START 1",
    "ALTER TABLE articles ADD COLUMN change_seq BIGINT DEFAULT nextval('articles_change_seq')",
)

# Publishing to the lake reads what was stored since a watermark, so every table it publishes
# needs a number that only grows: articles, responses and fetches have their ids; revisions and
# skips get a sequence of their own (existing rows are numbered in their current order). Raw
# responses kept in WARC files (raw_store: warc) name the file and the record's byte range.
_V7: tuple[str, ...] = (
    "CREATE SEQUENCE article_versions_seq_seq START 1",
    "ALTER TABLE article_versions ADD COLUMN seq BIGINT DEFAULT nextval('article_versions_seq_seq')",
    "CREATE SEQUENCE skips_seq_seq START 1",
    "ALTER TABLE skips ADD COLUMN seq BIGINT DEFAULT nextval('skips_seq_seq')",
    "ALTER TABLE responses ADD COLUMN warc_file VARCHAR",
    "ALTER TABLE responses ADD COLUMN warc_offset BIGINT",
    "ALTER TABLE responses ADD COLUMN warc_length BIGINT",
    # who this archive is when it publishes: a random id drawn once, kept with the data
    "CREATE TABLE archive_info (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "INSERT INTO archive_info VALUES ('archive_id', CAST(uuid() AS VARCHAR))",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "articles, versions, responses, fetches, feeds, skips, polls", _V1),
    Migration(2, "views: latest_articles, truncated_per_source_day, access_changes, "
                 "article_revisions, source_activity, quiet_sources", _V2),
    Migration(3, "feed validators, body hash and 304 counts; poll counters", _V3),
    Migration(4, "skips: one row per (url, reason) with first/last time and count", _V4),
    Migration(5, "articles.paywall_model (hard, metered, registration, freemium)", _V5),
    Migration(6, "articles.change_seq: a counter bumped by every store (search index watermark)", _V6),
    Migration(7, "publishing: archive_info.archive_id, article_versions.seq, skips.seq; "
                 "responses in WARC files",
              _V7),
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
