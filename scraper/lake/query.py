"""``scraper lake sql``: DuckDB over the lake's tables, under the archive's table names.

Each table's current snapshot is planned by pyiceberg (which data files hold it) and handed to
DuckDB as a pyarrow dataset over those Parquet files: DuckDB pushes the query's column
selection and filters into the dataset scan, which skips files and row groups by their
Parquet statistics (a ``WHERE source = 'x'`` reads only that source's files, since each
partition's files hold a single source). No table is copied into memory first.

The lake is append-only (compaction rewrites files but keeps rows), so a snapshot's data
files are the whole table: no delete files to apply.
"""

from __future__ import annotations

from contextlib import ExitStack

import duckdb
import pyarrow.dataset as ds

from scraper.archive.queries import Rows, query_error
from scraper.lake.catalog import Lake
from scraper.lake.tables import TABLES


def lake_connection(lake: Lake) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake's tables registered under their names."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
    except duckdb.Error:
        pass
    for spec in TABLES:
        table = lake.table(spec)
        schema = spec.arrow_schema()  # files are matched to it by column name
        files = [task.file.file_path for task in table.scan().plan_files()]
        if files:
            scheme, netloc, _ = table.io.parse_location(files[0])
            fs = table.io.fs_by_scheme(scheme, netloc)  # type: ignore[attr-defined]
            paths = [table.io.parse_location(f)[2] for f in files]
            dataset = ds.dataset(paths, schema=schema, format="parquet", filesystem=fs)
        else:
            dataset = ds.dataset([], schema=schema, format="parquet")
        con.register(spec.name, dataset)
    con.execute("SET enable_external_access = false")
    return con


def run_lake_sql(lake: Lake, sql: str) -> tuple[list[str], Rows]:
    """Run ``sql`` over the lake; its column names and its rows, streamed. Bad SQL raises
    QueryError with DuckDB's message on one line, as ``scraper sql`` does."""
    con = lake_connection(lake)
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        con.close()
        raise query_error(exc) from exc
    if con.description is None:
        con.close()
        return [], Rows(None, None)
    stack = ExitStack()
    stack.callback(con.close)
    return [d[0] for d in con.description], Rows(stack, con)
