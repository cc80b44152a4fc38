"""A paywall-aware news scraper and archiver.

The stable Python API::

    from scraper import extract_article
    art = extract_article(html_bytes, url="https://…", content_type="text/html; charset=…")
    art.text, art.access, art.paywall_declared, art.to_dict()
"""

from __future__ import annotations

from scraper.errors import (
    ArchiveError,
    ArchiveLockedError,
    ArchiveMissingError,
    ConfigError,
    ContentError,
    FetchError,
    HTTPStatusError,
    QueryError,
    ScraperError,
    UsageError,
)
from scraper.extract.article import extract_article
from scraper.models import Article, FetchResult, PaywallVerdict, Signal, SourceRules

__all__ = [
    "Article",
    "ArchiveError",
    "ArchiveLockedError",
    "ArchiveMissingError",
    "ConfigError",
    "ContentError",
    "FetchError",
    "FetchResult",
    "HTTPStatusError",
    "PaywallVerdict",
    "QueryError",
    "ScraperError",
    "Signal",
    "SourceRules",
    "UsageError",
    "extract_article",
]
