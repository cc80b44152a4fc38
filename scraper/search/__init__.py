"""Full-text search over the archive: a Tantivy index beside it, caught up from it.

    from scraper.search import SearchIndex, Filters, search
    index = SearchIndex.for_archive(Path("archive/news.duckdb"))   # archive/news.search/
    index.catch_up(Archive(path))                                  # what was stored since
    results = search(index, '"shadow AI" OR élections', Filters(source="developpez"))

``schema`` declares the fields and per-language analysers, ``index`` builds and catches up,
``query`` parses, filters, ranks (BM25) and cuts snippets, ``live`` follows this process's
archive writes in a background thread. See the README, "Search".

The names below load their module on first use, so that ``live`` (registered by every CLI
command) imports neither Tantivy nor DuckDB until an indexed archive is written.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scraper.search.index import CatchUp as CatchUp
    from scraper.search.index import SearchIndex as SearchIndex
    from scraper.search.index import SearchIndexError as SearchIndexError
    from scraper.search.index import index_dir_for as index_dir_for
    from scraper.search.query import HIT_COLUMNS as HIT_COLUMNS
    from scraper.search.query import Filters as Filters
    from scraper.search.query import Hit as Hit
    from scraper.search.query import Results as Results
    from scraper.search.query import search as search

_EXPORTS = {
    "CatchUp": "index", "SearchIndex": "index", "SearchIndexError": "index",
    "index_dir_for": "index", "HIT_COLUMNS": "query", "Filters": "query", "Hit": "query",
    "Results": "query", "search": "query",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scraper.search' has no attribute {name!r}")
    return getattr(importlib.import_module(f"scraper.search.{module}"), name)
