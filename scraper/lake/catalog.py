"""Opening the lake: an Iceberg SQL catalog (SQLite or PostgreSQL) and its warehouse.

``lake_catalog`` is a SQLAlchemy URL: ``sqlite:////var/lib/scraper/lake.db`` for one machine,
``postgresql+psycopg://user:pw@host/db`` for many. ``lake_warehouse`` is a directory, a
``file://`` URL or an ``s3://bucket/prefix`` URL; for S3, the usual ``AWS_*`` variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``) are
passed to the catalog as its ``s3.*`` properties. The four tables are created on first use.

Tables are created with ``commit.retry.num-retries = 0``: pyiceberg would otherwise re-apply
an append on top of a concurrent commit by itself, after our check for rows another daemon
already published; :mod:`scraper.lake.publish` retries itself, checking again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table

from scraper.errors import LakeError
from scraper.lake.tables import NAMESPACE, TABLES, LakeTable
from scraper.settings import Settings

log = logging.getLogger(__name__)

TABLE_PROPERTIES = {
    "commit.retry.num-retries": "0",
    "write.parquet.compression-codec": "zstd",
}

_S3_ENV = {
    "AWS_ENDPOINT_URL": "s3.endpoint",
    "AWS_ACCESS_KEY_ID": "s3.access-key-id",
    "AWS_SECRET_ACCESS_KEY": "s3.secret-access-key",
    "AWS_SESSION_TOKEN": "s3.session-token",
    "AWS_REGION": "s3.region",
}


def warehouse_url(value: str) -> str:
    """A warehouse setting as a URL: plain paths become absolute ``file://`` URLs."""
    if "://" in value:
        return value.rstrip("/")
    return Path(value).expanduser().resolve().as_uri()


def is_postgres(catalog_url: str | None) -> bool:
    return bool(catalog_url) and urlsplit(catalog_url or "").scheme.split("+")[0] in ("postgresql", "postgres")


@dataclass
class Lake:
    catalog: SqlCatalog
    settings: Settings

    def table(self, spec: LakeTable) -> Table:
        """The Iceberg table, created (with its namespace) when missing."""
        try:
            return self.catalog.load_table(spec.identifier)
        except NoSuchTableError:
            pass
        self.catalog.create_namespace_if_not_exists(NAMESPACE)
        schema = spec.schema()
        try:
            return self.catalog.create_table(spec.identifier, schema=schema,
                                             partition_spec=spec.partition_spec(schema),
                                             properties=TABLE_PROPERTIES)
        except TableAlreadyExistsError:  # another daemon created it first
            return self.catalog.load_table(spec.identifier)

    def tables(self) -> dict[str, Table]:
        return {spec.name: self.table(spec) for spec in TABLES}

    def close(self) -> None:
        """Close the catalog's database connections."""
        engine = getattr(self.catalog, "engine", None)
        if engine is not None:
            engine.dispose()


def open_lake(settings: Settings, environ: Mapping[str, str] | None = None) -> Lake:
    """The lake named by ``settings``; a LakeError when it is not configured or unreachable."""
    if not settings.lake_catalog or not settings.lake_warehouse:
        raise LakeError("no lake configured: set SCRAPER_LAKE_CATALOG (a SQLAlchemy URL) and "
                        "SCRAPER_LAKE_WAREHOUSE (a directory or s3:// URL)", code="lake:not-configured")
    props: dict[str, Any] = {"uri": settings.lake_catalog,
                             "warehouse": warehouse_url(settings.lake_warehouse)}
    env = environ or {}
    for var, prop in _S3_ENV.items():
        if env.get(var):
            props[prop] = env[var]
    try:
        catalog = SqlCatalog("scraper", **props)
    except Exception as exc:  # SQLAlchemy or driver errors: one line
        raise LakeError(f"cannot open lake catalog {redact(settings.lake_catalog)}: "
                        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        code="lake:catalog") from exc
    return Lake(catalog, settings)


def redact(url: str) -> str:
    """A URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
