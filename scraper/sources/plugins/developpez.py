"""Developpez.com: what its rules cannot say.

- Feed titles come out with ``~?`` where the title had a comma (RSS-Bridge's ``fixComaInTitle``).
- Some feed items announce books or PDFs: they have no ``/actu/<id>/`` URL and no article body.
- Every news article lives at ``https://<section>.developpez.com/actu/<id>/<slug>/``; the numeric id
  grows across all sections, so ``developpez:<id>`` is a stable dedup key.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

from scraper.sources.plugins.base import SourcePlugin

if TYPE_CHECKING:
    from scraper.discover.feeds import FeedEntry
    from scraper.sources.config import Source

# News items live under /actu/<id>/ whatever the section's host (the fixture web serves them
# under a path prefix on 127.0.0.1, so the host is left to the source's domains and patterns).
ARTICLE_PATH = re.compile(r"/actu/(\d+)(?:/|$)")
COMMA_MANGLED = "~?"


class DeveloppezSource(SourcePlugin):
    name = "developpez"

    def fix_feed_title(self, title: str) -> str:
        return title.replace(COMMA_MANGLED, ",")

    def feed_entry_filter(self, entry: FeedEntry) -> bool:
        return bool(entry.link and ARTICLE_PATH.search(urlsplit(entry.link).path))

    def article_id(self, source: Source, url: str) -> str | None:
        m = ARTICLE_PATH.search(urlsplit(url).path)
        return m.group(1) if m else super().article_id(source, url)
