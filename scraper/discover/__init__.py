"""Discovery: feeds, sitemaps and index pages -> candidate article URLs; ``scraper discover``.

``discover(url, fetch)`` is what ``scraper discover URL`` calls (``cli/`` wires the real fetcher
and prints ``["yaml"]``).
"""

from __future__ import annotations

from scraper.discover.feeds import Feed, FeedEntry, parse_feed
from scraper.discover.guess import discover, find_feed_links, guess_article_pattern
from scraper.discover.index_pages import links_from_index
from scraper.discover.sitemaps import (
    Sitemap,
    SitemapUrl,
    collect_sitemap_urls,
    parse_sitemap,
    robots_sitemaps,
)

__all__ = [
    "Feed",
    "FeedEntry",
    "Sitemap",
    "SitemapUrl",
    "collect_sitemap_urls",
    "discover",
    "find_feed_links",
    "guess_article_pattern",
    "links_from_index",
    "parse_feed",
    "parse_sitemap",
    "robots_sitemaps",
]
