"""Which source a URL belongs to, its stable article key, and the plugins by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scraper.errors import ConfigError
from scraper.sources.plugins.base import SourcePlugin
from scraper.sources.plugins.developpez import DeveloppezSource

if TYPE_CHECKING:
    from scraper.discover.feeds import Feed, FeedEntry
    from scraper.sources.config import Source

__all__ = [
    "PLUGINS",
    "article_key",
    "candidate_entries",
    "get_plugin",
    "match_source",
    "plugin_for",
    "register_plugin",
]

# name -> class; a plugin module adds itself here (a dict, not a metaclass)
PLUGINS: dict[str, type[SourcePlugin]] = {
    DeveloppezSource.name: DeveloppezSource,
}
_INSTANCES: dict[str, SourcePlugin] = {}
_DEFAULT = SourcePlugin()


def register_plugin(cls: type[SourcePlugin]) -> type[SourcePlugin]:
    """Register a plugin class under ``cls.name`` (usable as a decorator)."""
    PLUGINS[cls.name] = cls
    _INSTANCES.pop(cls.name, None)
    return cls


def get_plugin(name: str) -> SourcePlugin:
    if name not in PLUGINS:
        raise ConfigError(
            f"unknown plugin {name!r} — registered plugins: {', '.join(sorted(PLUGINS))}",
            code="config:plugin",
        )
    if name not in _INSTANCES:
        _INSTANCES[name] = PLUGINS[name]()
    return _INSTANCES[name]


def plugin_for(source: Source) -> SourcePlugin:
    """The source's plugin, or the default hooks."""
    return get_plugin(source.plugin) if source.plugin else _DEFAULT


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host.rstrip(".")


def match_source(url: str, sources: Iterable[Source], *, articles_only: bool = True) -> Source | None:
    """The source ``url`` belongs to: the longest matching domain wins (``securite.developpez.com``
    before ``developpez.com``); with ``articles_only`` the URL must also pass the source's
    ``article_url`` include/exclude patterns. Disabled sources still match (``enabled`` only
    governs polling)."""
    host = _host(url)
    if host is None:
        return None
    ranked: list[tuple[int, int, Source]] = []
    for order, source in enumerate(sources):
        domain = source.matches_domain(host)
        if domain is not None:
            ranked.append((-len(domain), order, source))
    for _neg, _order, source in sorted(ranked, key=lambda r: (r[0], r[1])):
        if not articles_only or source.accepts_url(url):
            return source
    return None


def article_key(source: Source, url: str) -> str | None:
    """``"<source>:<id>"`` when the URL carries the source's stable article id, else ``None``."""
    ident = plugin_for(source).article_id(source, url)
    return f"{source.name}:{ident}" if ident else None


def candidate_entries(source: Source, feed: Feed) -> list[FeedEntry]:
    """Feed entries worth fetching for ``source``: titles fixed by the plugin, entries kept by
    the plugin's filter and by the source's ``article_url`` patterns, one per link."""
    plugin = plugin_for(source)
    out: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in feed.entries:
        if entry.title:
            entry = replace(entry, title=plugin.fix_feed_title(entry.title))
        if not entry.link or entry.link in seen:
            continue
        if not plugin.feed_entry_filter(entry) or not source.accepts_url(entry.link):
            continue
        seen.add(entry.link)
        out.append(entry)
    return out
