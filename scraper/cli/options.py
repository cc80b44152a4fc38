"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from scraper.settings import DEFAULT_DB, DEFAULT_SOURCES, Settings, from_env

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "csv", "json", "jsonl")


def db_option(f: F) -> F:
    return click.option(
        "--db", type=click.Path(path_type=Path, dir_okay=False), envvar="SCRAPER_DB",
        default=DEFAULT_DB, show_default=True, help="DuckDB archive (env SCRAPER_DB).",
    )(f)


def sources_option(f: F) -> F:
    return click.option(
        "--sources", "sources_path", type=click.Path(path_type=Path, dir_okay=False),
        envvar="SCRAPER_SOURCES", default=DEFAULT_SOURCES, show_default=True,
        help="sources.yaml declaring the known sites (env SCRAPER_SOURCES).",
    )(f)


def format_option(default: str = "table") -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option("--format", "fmt", type=click.Choice(FORMATS), default=default,
                            show_default=True, help="Output format.")(f)
    return decorate


def tz_option(f: F) -> F:
    return click.option(
        "--tz", "tz", envvar="SCRAPER_TZ", default="UTC", show_default=True, callback=_zone,
        help="Time zone for day boundaries and times shown (IANA name, e.g. Europe/Paris; env SCRAPER_TZ).",
    )(f)


def _zone(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {value!r}: give an IANA name such as UTC or "
                                 "Europe/Paris") from None


def settings(db: Path | None = None, sources_path: Path | None = None, **overrides: Any) -> Settings:
    """The settings of a command; with ``raw_store: warc``, the archive's raw bodies are sent
    to WARC files from here on (scraper/archive/rawstore.py)."""
    conf = from_env(db=db, sources=sources_path, **overrides)
    if conf.raw_store == "warc":
        import os

        from scraper.archive import rawstore

        root = conf.raw_dir or str(Path(conf.db).parent / "warc")
        rawstore.configure(conf.db, rawstore.WarcStore(root, max_bytes=conf.warc_max_bytes, environ=os.environ))
    return conf


def named_hosts(urls: Iterable[str]) -> tuple[str, ...]:
    """The hosts of the URLs named on the command line (``--allow-private`` applies to those
    alone; redirects and links to any other host keep the default policy)."""
    hosts: list[str] = []
    for url in urls:
        try:
            host = (urlsplit(url.strip()).hostname or "").rstrip(".")
        except ValueError:
            continue  # the fetch itself reports the bad URL
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def allow_private_option(what: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option("--allow-private", is_flag=True, envvar="SCRAPER_ALLOW_PRIVATE",
                            help=f"Allow loopback and private addresses for {what} (local test servers).")(f)
    return decorate


def source_hosts(sources: Iterable[Any]) -> tuple[str, ...]:
    """The hosts of every source: its domains and the hosts of its feeds, sitemaps and index
    pages (what ``poll --allow-private`` lets resolve to loopback or private addresses)."""
    hosts: list[str] = []
    for source in sources:
        urls = [str(spec.url) for spec in (*source.feeds, *source.sitemaps, *source.index_pages)]
        for host in (*source.domains, *named_hosts(urls)):
            if host not in hosts:
                hosts.append(host)
    return tuple(hosts)


def load_sources_if_present(path: Path, required: bool = False) -> Any:
    """The sources file, or None when it does not exist and was not asked for explicitly."""
    from scraper.errors import ConfigError
    from scraper.sources.config import load_sources

    if not path.exists():
        if required or path != DEFAULT_SOURCES:
            raise ConfigError(f"{path}: no such sources file")
        return None
    return load_sources(path)
