"""A paywall-aware news scraper and archiver.

The stable Python API::

    from scraper import extract_article
    art = extract_article(html_bytes, url="https://…", content_type="text/html; charset=…")
    art.text, art.access, art.paywall_declared, art.to_dict()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from scraper.models import Article, FetchResult, PaywallVerdict, Signal, SourceRules

if TYPE_CHECKING:
    from scraper.extract.article import extract_article

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


def __getattr__(name: str) -> Any:
    # extract_article on first use: importing a light module of the package (scraper.errors,
    # the fork server's scraper._forkserver) does not load the extraction stack (~0.3 s)
    if name == "extract_article":
        from scraper.extract.article import extract_article

        return extract_article
    raise AttributeError(f"module 'scraper' has no attribute {name!r}")
