"""Publishing: what the local archive stored since the last publish, appended to the lake.

Exactly once, without bookkeeping of our own: each append's snapshot summary carries
``scraper.watermark.<archive id>`` = the highest ``key`` (``articles.id``,
``article_versions.seq``…) it covers, in the same Iceberg commit as the rows. A publish reads
that watermark back from the table's snapshots, newest first, so a crash between writing the
data files and the commit repeats nothing and loses nothing: the next publish starts from
the last watermark that landed.

Several daemons publish into the same tables. Iceberg commits are optimistic: a commit made
against a table another daemon changed in the meantime fails (the catalog row's metadata
location moved), and the publish starts again from a fresh read, up to ``MAX_TRIES``.

``articles`` and ``article_versions`` hold each article and each text once across daemons:
when a source moves from a dead daemon to another, the new holder fetches what the old one
had already published. Before each commit, rows whose ``canonical_url`` (versions:
``canonical_url`` and ``content_hash``) another archive already published are dropped; as
that check reads the very snapshot the commit is made against, two daemons can never both add
the same article. ``fetches`` and ``skips`` are logs: every row of every archive is kept.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import And, BooleanExpression, In, NotEqualTo
from pyiceberg.table import Table

from scraper.archive.db import Archive
from scraper.errors import LakeError
from scraper.lake.catalog import Lake
from scraper.lake.tables import TABLES, LakeTable

log = logging.getLogger(__name__)

WATERMARK = "scraper.watermark."
MAX_TRIES = 20
BATCH_ROWS = 20_000  # rows per table per commit


def archive_id(archive: Archive) -> str:
    """The archive's own id (drawn once when its schema reached version 6)."""
    archive.write(lambda con: None)  # create and migrate when needed
    row = archive.read(lambda con: con.execute(
        "SELECT value FROM archive_info WHERE name = 'archive_id'").fetchone())
    if not row:
        raise LakeError(f"archive {archive.path} has no archive_id; it cannot publish", code="lake:no-id")
    return str(row[0])


def watermarks(table: Table) -> dict[str, int]:
    """Per publisher, the watermark of its newest snapshot that carries one."""
    found: dict[str, int] = {}
    snapshots = sorted(table.metadata.snapshots, key=lambda s: s.sequence_number or 0, reverse=True)
    for snap in snapshots:
        props = snap.summary.additional_properties if snap.summary else {}
        for name, value in props.items():
            if name.startswith(WATERMARK):
                found.setdefault(name[len(WATERMARK):], int(value))
    return found


@dataclass
class PublishResult:
    rows: dict[str, int] = field(default_factory=dict)  # appended per table
    duplicates: dict[str, int] = field(default_factory=dict)  # dropped: already published
    conflicts: int = 0  # commits retried after another daemon's commit
    seconds: float = 0.0

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {f"{name}": n for name, n in self.rows.items()}
        out["duplicates_dropped"] = sum(self.duplicates.values())
        out["conflicts"] = self.conflicts
        out["seconds"] = round(self.seconds, 3)
        return out


class Publisher:
    """Appends one archive's new rows to the lake; see the module docstring."""

    def __init__(self, lake: Lake, archive: Archive, *, publisher: str | None = None,
                 batch_rows: int = BATCH_ROWS) -> None:
        self.lake = lake
        self.archive = archive
        self.publisher = publisher or archive_id(archive)
        self.batch_rows = batch_rows
        self._caught_up: dict[str, int] = {}  # per table: the local high last found published

    def publish(self) -> PublishResult:
        t0 = time.monotonic()
        result = PublishResult()
        for spec in TABLES:
            self._publish_table(spec, result)
        result.seconds = time.monotonic() - t0
        log.info("lake publish", extra={"publisher": self.publisher, **result.row()})
        return result

    def _publish_table(self, spec: LakeTable, result: PublishResult) -> None:
        result.rows.setdefault(spec.name, 0)
        result.duplicates.setdefault(spec.name, 0)
        # what the archive holds now: rows stored while we publish wait for the next publish
        high = self.local_high(spec)
        if self._caught_up.get(spec.name) == high:
            return  # nothing stored since: no need to read the table's metadata
        table = self.lake.table(spec)
        tries = 0
        while True:
            mark = watermarks(table).get(self.publisher, 0)
            if mark >= high:
                self._caught_up[spec.name] = high
                return
            rows = self._read(spec, mark, high)
            new_mark = int(pc.max(rows[spec.key]).as_py()) if rows.num_rows else high
            kept = self._drop_published(table, spec, rows)
            try:
                table.append(kept, snapshot_properties={WATERMARK + self.publisher: str(new_mark)})
            except CommitFailedException:
                tries += 1
                result.conflicts += 1
                if tries >= MAX_TRIES:
                    raise LakeError(f"lake table {spec.name}: {tries} commits in a row met another "
                                    "daemon's commit; try again later", code="lake:conflict") from None
                time.sleep(random.uniform(0.05, 0.2 * min(tries, 10)))
                table = self.lake.catalog.load_table(spec.identifier)
                continue
            result.rows[spec.name] += kept.num_rows
            result.duplicates[spec.name] += rows.num_rows - kept.num_rows
            tries = 0

    def local_high(self, spec: LakeTable = TABLES[0]) -> int:
        """The highest watermark key the archive holds now (``articles.id`` by default)."""
        table = spec.local_from.split()[0]
        row = self.archive.read(lambda con: con.execute(
            f"SELECT coalesce(max({spec.key}), 0) FROM {table}").fetchone())
        return int(row[0]) if row else 0

    def _read(self, spec: LakeTable, mark: int, high: int) -> pa.Table:
        local = self.archive.read(lambda con: con.sql(
            spec.local_query(),
            params=[mark, high, self.batch_rows]).to_arrow_table())
        local = local.append_column("publisher", pa.array([self.publisher] * local.num_rows, pa.string()))
        return local.cast(spec.arrow_schema())

    def _drop_published(self, table: Table, spec: LakeTable, rows: pa.Table) -> pa.Table:
        """``rows`` less those another publisher already put in the lake (same dedup key).

        Reads the dedup columns of the batch's sources only (their partitions), then matches
        keys with Arrow; a filter listing every URL of the batch would make pyiceberg evaluate
        a set of thousands of literals against every file's statistics."""
        if not spec.dedup or not rows.num_rows or table.current_snapshot() is None:
            return rows
        sources = set(rows["source"].to_pylist())
        condition: BooleanExpression = NotEqualTo("publisher", self.publisher)
        if None not in sources:  # prune to the sources' partitions
            condition = And(In("source", sources), condition)
        seen = table.scan(row_filter=condition, selected_fields=(*spec.dedup, "publisher")).to_arrow()
        if not seen.num_rows:
            return rows
        published = _keys(seen, spec.dedup)
        return rows.filter(pc.invert(pc.is_in(_keys(rows, spec.dedup), value_set=published)))


def _keys(table: pa.Table, columns: tuple[str, ...]) -> pa.Array:
    """One string per row joining ``columns`` (nulls as empty strings)."""
    parts = [pc.fill_null(table[c].cast(pa.large_string()), "") for c in columns]
    if len(parts) == 1:
        return parts[0].combine_chunks()
    return pc.binary_join_element_wise(*parts, pa.scalar("\x00", pa.large_string())).combine_chunks()
