"""Declared settings: name, default, environment variable, help. Precedence in one place:
command-line option > environment variable > default. Only cli/ and daemon.py read the
environment (through :func:`from_env`); the library takes a ``Settings`` object."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

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
}


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
        elif kind == "int":
            values[name] = int(raw)
        elif kind == "float":
            values[name] = float(raw)
        else:
            values[name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(Settings(), **values)  # type: ignore[arg-type]
