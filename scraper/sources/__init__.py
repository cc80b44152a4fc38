"""Sources: ``sources.yaml`` declarations, URL -> source matching, per-source plugins.

The command functions below return plain rows (lists of dicts); ``cli/`` wires them to click and
hands the rows to ``render.py``:

    scraper sources list   -> sources_list(path)
    scraper sources check  -> sources_check(path, environ)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scraper.errors import ConfigError
from scraper.sources.config import Source, SourceSet, load_sources, load_sources_text
from scraper.sources.registry import (
    PLUGINS,
    article_key,
    candidate_entries,
    get_plugin,
    match_source,
    register_plugin,
)

__all__ = [
    "PLUGINS",
    "Source",
    "SourceSet",
    "article_key",
    "candidate_entries",
    "get_plugin",
    "load_sources",
    "load_sources_text",
    "match_source",
    "register_plugin",
    "sources_check",
    "sources_list",
]


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def sources_list(path: str | Path) -> list[dict[str, Any]]:
    """One row per source: what ``scraper sources list`` prints."""
    return [
        {
            "name": s.name,
            "enabled": s.enabled,
            "domains": ", ".join(s.domains),
            "language": s.language or "",
            "feeds": len(s.feeds),
            "sitemaps": len(s.sitemaps),
            "index_pages": len(s.index_pages),
            "poll_interval": _duration(s.poll_interval.every),
            "plugin": s.plugin or "",
            "rules_version": s.rules_version,
        }
        for s in load_sources(path)
    ]


def sources_check(path: str | Path, environ: Mapping[str, str] | None = None,
                  errors: list[ConfigError] | None = None) -> list[dict[str, Any]]:
    """Validate the file (a bad file raises :class:`ConfigError`, one line), then one row per
    source: ``status`` is ``ok``, or ``warning`` with the problems found (environment variables
    not set, nothing to poll). Values of environment variables are never shown. With ``errors``,
    every invalid source's error is appended there (the valid ones still get their row); a file
    that declares no source at all is an error."""
    sources = load_sources(path, errors=errors)
    if not len(sources) and not errors:
        raise ConfigError(f"{path}: declares no source; add one under 'sources:' "
                          "(scraper discover URL prints an entry)", code="config:no-sources")
    rows: list[dict[str, Any]] = []
    for s in sources:
        problems: list[str] = []
        if environ is not None:
            try:
                s.request_headers(environ)
            except ConfigError:
                missing = [v for v in s.env_vars() if not environ.get(v)]
                problems.append("environment variables not set: " + ", ".join(missing))
        if s.enabled and not (s.feeds or s.sitemaps or s.index_pages):
            problems.append("enabled but has no feeds, sitemaps or index_pages to poll")
        if not s.article_url.include and not s.article_id:
            problems.append("no article_url.include: every URL on its domains counts as an article")
        rows.append({
            "name": s.name,
            "status": "warning" if problems else "ok",
            "detail": "; ".join(problems),
            "where": s.where(),
        })
    return rows
