"""Developpez.com: what its rules cannot say.

- Feed titles come out with ``~?`` where the title had a comma (RSS-Bridge's ``fixComaInTitle``).
- Some feed items announce books or PDFs: they have no ``/actu/<id>/`` URL and no article body.
- Every news article lives at ``https://<section>.developpez.com/actu/<id>/<slug>/``; the numeric id
  grows across all sections, so ``developpez:<id>`` is a stable dedup key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scraper.sources.plugins.base import SourcePlugin

if TYPE_CHECKING:
    from scraper.discover.feeds import FeedEntry
    from scraper.sources.config import Source

ARTICLE_URL = re.compile(r"^https?://(?:[a-z0-9-]+\.)*developpez\.com/actu/(\d+)(?:/|$)", re.IGNORECASE)
COMMA_MANGLED = "~?"


class DeveloppezSource(SourcePlugin):
    name = "developpez"

    def fix_feed_title(self, title: str) -> str:
        return title.replace(COMMA_MANGLED, ",")

    def feed_entry_filter(self, entry: FeedEntry) -> bool:
        return bool(entry.link and ARTICLE_URL.match(entry.link))

    def article_id(self, source: Source, url: str) -> str | None:
        m = ARTICLE_URL.match(url)
        return m.group(1) if m else super().article_id(source, url)
