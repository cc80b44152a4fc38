"""Full-text search over the archive: a Tantivy index beside it, caught up from it.

    from scraper.search import SearchIndex, Filters, search
    index = SearchIndex.for_archive(Path("archive/news.duckdb"))   # archive/news.search/
    index.catch_up(Archive(path))                                  # what was stored since
    results = search(index, '"shadow AI" OR élections', Filters(source="developpez"))

``schema`` declares the fields and per-language analysers, ``index`` builds and catches up,
``query`` parses, filters, ranks (BM25) and cuts snippets, ``live`` follows this process's
archive writes in a background thread. See the README, "Search".
"""

from __future__ import annotations

from scraper.search.index import CatchUp, SearchIndex, SearchIndexError, index_dir_for
from scraper.search.query import HIT_COLUMNS, Filters, Hit, Results, search

__all__ = ["HIT_COLUMNS", "CatchUp", "Filters", "Hit", "Results", "SearchIndex",
           "SearchIndexError", "index_dir_for", "search"]
