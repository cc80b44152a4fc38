"""The lake's four tables: their columns, how they are partitioned, how they are read locally.

Each lake table keeps the archive table's own name and columns, plus ``publisher`` (the id
of the archive that published the row: ids such as ``articles.id`` are only unique within
one archive). ``article_versions`` also carries the article's ``source`` and
``canonical_url``, which it needs to be partitioned by source and matched across daemons.
Every table is partitioned by source and by month of its time column.

A :class:`LakeTable` also says how to read what the local archive stored after a watermark:
``key`` is a column whose values only grow (``articles.id``, ``article_versions.seq``...).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform, MonthTransform
from pyiceberg.types import (
    BooleanType,
    DoubleType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    NestedField,
    StringType,
    TimestamptzType,
)

NAMESPACE = "scraper"

# column -> DuckDB type as stored in the archive
_ARTICLES = (
    ("id", "BIGINT"), ("url", "VARCHAR"), ("canonical_url", "VARCHAR"), ("source", "VARCHAR"),
    ("article_key", "VARCHAR"), ("title", "VARCHAR"), ("authors", "VARCHAR[]"),
    ("published_at", "TIMESTAMPTZ"), ("modified_at", "TIMESTAMPTZ"), ("language", "VARCHAR"),
    ("section", "VARCHAR"), ("tags", "VARCHAR[]"), ("description", "VARCHAR"), ("image", "VARCHAR"),
    ("site_name", "VARCHAR"), ("text", "VARCHAR"), ("word_count", "INTEGER"), ("access", "VARCHAR"),
    ("paywall_declared", "BOOLEAN"), ("paywall_confidence", "DOUBLE"),
    ("paywall_signals", "VARCHAR[]"), ("paywall_notice", "VARCHAR"), ("paywall_evidence", "JSON"),
    ("paywall_model", "VARCHAR"), ("extractor", "VARCHAR"), ("rules_version", "VARCHAR"),
    ("encoding", "VARCHAR"), ("content_hash", "VARCHAR"), ("fetched_at", "TIMESTAMPTZ"),
    ("first_seen_at", "TIMESTAMPTZ"), ("updated_at", "TIMESTAMPTZ"), ("version", "INTEGER"),
    ("response_id", "BIGINT"),
)
_VERSIONS = (
    ("article_id", "BIGINT"), ("version", "INTEGER"), ("fetched_at", "TIMESTAMPTZ"),
    ("content_hash", "VARCHAR"), ("title", "VARCHAR"), ("text", "VARCHAR"), ("word_count", "INTEGER"),
    ("access", "VARCHAR"), ("paywall_signals", "VARCHAR[]"), ("paywall_notice", "VARCHAR"),
    ("extractor", "VARCHAR"), ("rules_version", "VARCHAR"), ("response_id", "BIGINT"),
    ("seq", "BIGINT"), ("source", "VARCHAR"), ("canonical_url", "VARCHAR"),
)
_FETCHES = (
    ("id", "BIGINT"), ("url", "VARCHAR"), ("final_url", "VARCHAR"), ("status", "INTEGER"),
    ("bytes", "BIGINT"), ("duration_ms", "DOUBLE"), ("error", "VARCHAR"), ("error_detail", "VARCHAR"),
    ("fetched_at", "TIMESTAMPTZ"), ("attempt", "INTEGER"), ("source", "VARCHAR"),
)
_SKIPS = (
    ("url", "VARCHAR"), ("source", "VARCHAR"), ("reason", "VARCHAR"), ("detail", "VARCHAR"),
    ("first_skipped_at", "TIMESTAMPTZ"), ("skipped_at", "TIMESTAMPTZ"), ("times", "INTEGER"),
    ("seq", "BIGINT"),
)


@dataclass(frozen=True)
class LakeTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # archive columns (publisher is added to each)
    key: str  # grows with every row the archive stores: the publishing watermark
    month_of: str  # the time column partitioned by month
    local_from: str  # FROM clause over the archive (alias t for the table itself)
    dedup: tuple[str, ...] = ()  # columns that identify a row across publishers (none: a log)

    @property
    def identifier(self) -> str:
        return f"{NAMESPACE}.{self.name}"

    def local_query(self) -> str:
        """Rows with ``key`` in (?, ?], in key order, at most ? of them, as the lake types them."""
        cols = ", ".join(
            f"CAST({_qualified(self, name)} AS VARCHAR) AS {name}" if kind == "JSON"
            else f"{_qualified(self, name)} AS {name}"
            for name, kind in self.columns
        )
        return (f"SELECT {cols} FROM {self.local_from} WHERE t.{self.key} > ? AND t.{self.key} <= ? "
                f"ORDER BY t.{self.key} LIMIT ?")

    def schema(self) -> Schema:
        """Top-level fields take ids 1..n in column order, list elements the ids after them."""
        columns = (*self.columns, ("publisher", "VARCHAR"))
        fields = []
        element_id = len(columns) + 1
        for field_id, (name, kind) in enumerate(columns, 1):
            if kind.endswith("[]"):
                kind_type: IcebergType = ListType(element_id, _SCALARS[kind[:-2]], element_required=False)
                element_id += 1
            else:
                kind_type = _SCALARS[kind]
            fields.append(NestedField(field_id, name, kind_type, required=False))
        return Schema(*fields)

    def partition_spec(self, schema: Schema) -> PartitionSpec:
        return PartitionSpec(
            PartitionField(schema.find_field("source").field_id, 1000, IdentityTransform(), "source"),
            PartitionField(schema.find_field(self.month_of).field_id, 1001, MonthTransform(),
                           f"{self.month_of}_month"),
        )

    def arrow_schema(self) -> pa.Schema:
        return self.schema().as_arrow()


def _qualified(table: LakeTable, name: str) -> str:
    if table.name == "article_versions" and name in ("source", "canonical_url"):
        return f"a.{name}"
    return f"t.{name}"


_SCALARS: dict[str, IcebergType] = {
    "BIGINT": LongType(), "INTEGER": IntegerType(), "DOUBLE": DoubleType(), "BOOLEAN": BooleanType(),
    "VARCHAR": StringType(), "JSON": StringType(), "TIMESTAMPTZ": TimestamptzType(),
}


TABLES: tuple[LakeTable, ...] = (
    LakeTable("articles", _ARTICLES, key="id", month_of="first_seen_at", local_from="articles t",
              dedup=("canonical_url",)),
    LakeTable("article_versions", _VERSIONS, key="seq", month_of="fetched_at",
              local_from="article_versions t LEFT JOIN articles a ON a.id = t.article_id",
              dedup=("canonical_url", "content_hash")),
    LakeTable("fetches", _FETCHES, key="id", month_of="fetched_at", local_from="fetches t"),
    LakeTable("skips", _SKIPS, key="seq", month_of="first_skipped_at", local_from="skips t"),
)
BY_NAME = {t.name: t for t in TABLES}
