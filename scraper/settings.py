"""Declared settings: name, default, environment variable, help. Precedence in one place:
command-line option > environment variable > default. Only cli/ and daemon.py read the
environment (through :func:`from_env`); the library takes a ``Settings`` object."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from scraper.errors import UsageError

PROJECT_URL = "https://github.com/news-archiver/scraper"
VERSION = "0.1.0"
DEFAULT_USER_AGENT = f"news-archiver/{VERSION} (+{PROJECT_URL})"
DEFAULT_DB = Path("archive") / "news.duckdb"
DEFAULT_SOURCES = Path("sources.yaml")


@dataclass(frozen=True)
class Settings:
    db: Path = DEFAULT_DB
    sources: Path = DEFAULT_SOURCES
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 30.0  # seconds between two chunks of a body
    total_timeout: float = 120.0  # seconds for one whole response, headers and body
    url_budget: float = 60.0  # seconds for all attempts, backoff and Retry-After waits of one URL
    max_redirects: int = 10
    max_bytes: int = 10 * 1024 * 1024  # decompressed body size limit
    retries: int = 3  # extra attempts after the first, on network errors, 429 and 5xx
    backoff_base: float = 0.5  # seconds; the n-th retry waits about base * 2**n, with jitter
    backoff_max: float = 30.0
    retry_after_max: float = 300.0  # never wait longer than this for a Retry-After
    lock_timeout: float = 60.0  # seconds a write keeps retrying while another process holds the file
    allow_private: bool = False  # fetch loopback/private addresses of every host (library, tests)
    # host names (subdomains included) whose loopback/private addresses may be fetched: a
    # source's own ``domains`` (its ``allow_private``), the hosts named to ``fetch --allow-private``
    private_hosts: tuple[str, ...] = ()
    # -- many machines (README "Running on many machines"); unset, nothing changes
    lake_catalog: str | None = None  # SQLAlchemy URL of the Iceberg SQL catalog
    lake_warehouse: str | None = None  # directory, file:// or s3:// URL of the Iceberg data
    lake_publish_every: float = 300.0  # seconds between two publishes by the daemon
    lake_publish_articles: int = 10_000  # ...or sooner, once this many articles wait
    raw_store: str = "duckdb"  # where raw response bodies go: duckdb | warc
    raw_dir: str | None = None  # warc: directory or s3:// prefix (default: <db dir>/warc)
    warc_max_bytes: int = 100 * 1024 * 1024  # a WARC file is closed once it passes this size

    def allows_private(self, host: str) -> bool:
        """May ``host`` resolve to a loopback/private address? Everywhere with ``allow_private``,
        else only for the names of ``private_hosts`` and their subdomains."""
        if self.allow_private:
            return True
        host = host.strip("[]").lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.private_hosts)


# name -> (environment variable, help)
ENV_VARS: dict[str, tuple[str, str]] = {
    "db": ("SCRAPER_DB", "path of the DuckDB archive"),
    "sources": ("SCRAPER_SOURCES", "path of sources.yaml"),
    "user_agent": ("SCRAPER_USER_AGENT", "User-Agent header sent with every request"),
    "connect_timeout": ("SCRAPER_CONNECT_TIMEOUT", "seconds to open a connection"),
    "read_timeout": ("SCRAPER_READ_TIMEOUT", "seconds of silence allowed while reading"),
    "total_timeout": ("SCRAPER_TOTAL_TIMEOUT", "seconds allowed for a whole response"),
    "url_budget": ("SCRAPER_URL_BUDGET", "seconds for all attempts and waits of one URL"),
    "max_redirects": ("SCRAPER_MAX_REDIRECTS", "redirects followed before giving up"),
    "max_bytes": ("SCRAPER_MAX_BYTES", "largest decompressed body accepted, in bytes"),
    "retries": ("SCRAPER_RETRIES", "retries on network errors, 429 and 5xx"),
    "lock_timeout": ("SCRAPER_LOCK_TIMEOUT", "seconds a write waits for another process's lock"),
    "lake_catalog": ("SCRAPER_LAKE_CATALOG", "SQLAlchemy URL of the Iceberg catalog (sqlite:///… or postgresql://…)"),
    "lake_warehouse": ("SCRAPER_LAKE_WAREHOUSE", "where the lake's files go: a path, file:// or s3:// URL"),
    "lake_publish_every": ("SCRAPER_LAKE_PUBLISH_EVERY", "how often the daemon publishes to the lake (5m, 30s)"),
    "lake_publish_articles": ("SCRAPER_LAKE_PUBLISH_ARTICLES", "publish sooner once this many articles wait"),
    "raw_store": ("SCRAPER_RAW_STORE", "where raw responses go: duckdb (default) or warc"),
    "raw_dir": ("SCRAPER_RAW_DIR", "warc: directory or s3:// prefix of the WARC files"),
    "warc_max_bytes": ("SCRAPER_WARC_MAX_BYTES", "size at which a WARC file is closed and a new one begun"),
}

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_seconds(raw: str) -> float:
    """``"5m"``, ``"2s"``, ``"1h"``, ``"500ms"`` or a plain number of seconds -> seconds."""
    text = raw.strip().lower()
    for unit in ("ms", "s", "m", "h", "d"):
        if text.endswith(unit) and text[: -len(unit)].strip().replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)


def from_env(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment, then ``overrides`` (options given on the command line)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, (var, _help) in ENV_VARS.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        kind = types[name]
        if kind == "Path":
            values[name] = Path(raw)
        elif kind == "bool":
            values[name] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif kind in ("int", "float"):
            try:
                if kind == "int":
                    values[name] = int(raw)
                else:
                    values[name] = parse_seconds(raw) if name == "lake_publish_every" else float(raw)
            except ValueError:
                raise UsageError(f"{var}={raw!r} is not a number{' or a duration (5m, 30s)' if name == 'lake_publish_every' else ''}") from None
        else:
            values[name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    conf = replace(Settings(), **values)  # type: ignore[arg-type]
    if conf.raw_store not in ("duckdb", "warc"):
        raise UsageError(f"SCRAPER_RAW_STORE={conf.raw_store!r}: write duckdb or warc")
    return conf
