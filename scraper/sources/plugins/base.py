"""The seam for sources that need code: one class per source, registered by name.

A plugin only says what rules cannot. Every hook has a default here, so a plugin overrides
just the hooks it needs (fundus's file-per-publisher, without the metaclass).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from scraper.models import Article, SourceRules

if TYPE_CHECKING:
    from scraper.discover.feeds import FeedEntry
    from scraper.sources.config import Source


@runtime_checkable
class SourcePluginProtocol(Protocol):
    name: str

    def rules(self, source: Source) -> SourceRules: ...
    def postprocess(self, article: Article) -> Article: ...
    def feed_entry_filter(self, entry: FeedEntry) -> bool: ...
    def fix_feed_title(self, title: str) -> str: ...
    def article_id(self, source: Source, url: str) -> str | None: ...


class SourcePlugin:
    """Default hooks: the declared rules, no post-processing, every feed entry kept."""

    name = "base"

    def rules(self, source: Source) -> SourceRules:
        """The rules extraction uses; override to add what YAML cannot express."""
        return source.declared_rules()

    def postprocess(self, article: Article) -> Article:
        """Adjust an extracted article (e.g. fix a field the site gets wrong); runs after rules."""
        return article

    def feed_entry_filter(self, entry: FeedEntry) -> bool:
        """False drops the entry before it becomes a candidate URL."""
        return True

    def fix_feed_title(self, title: str) -> str:
        return title

    def article_id(self, source: Source, url: str) -> str | None:
        """The stable id in ``url`` (without the source prefix), from ``article_id`` in the file."""
        if not source.article_id:
            return None
        m = re.search(source.article_id, url)
        return m.group(1) if m and m.group(1) else None
