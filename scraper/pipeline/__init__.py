"""The one composer of fetching, extraction and storage.

    URLs | crawler (fetch, check it is HTML, extract_article: decode, parse, rules, paywall)
         | WriteRecord (capture + its fetch attempts) | archive.record.store

:func:`ingest` is ``scraper fetch``; the poller (``scraper/poll.py``) and WARC import
(``scraper/tools/warc.py``) use the same :class:`~scraper.pipeline.crawler.Crawler` and
:class:`~scraper.pipeline.crawler.Extractor`, and store through the same write path, so an
article archived by any road was decoded, judged and stored the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator

import httpx

from scraper.archive import Archive
from scraper.archive.record import WriteRecord, store
from scraper.errors import ScraperError
from scraper.net.urls import validate_url
from scraper.pipeline.crawler import Crawler, Extractor, IngestResult, Request
from scraper.pipeline.steps import (
    attach_response,
    capture_inputs,
    capture_page,
    check_html,
    extract_capture,
    extract_capture_detached,
    fetch_page,
    finish_capture,
    resolve_source,
    rules_apply,
    settings_for,
)
from scraper.settings import Settings
from scraper.sources.config import SourceSet

__all__ = [
    "Crawler", "Extractor", "IngestResult", "Request", "attach_response", "capture_inputs",
    "capture_page", "check_html", "extract_capture", "extract_capture_detached", "fetch_page",
    "finish_capture", "ingest", "resolve_source", "rules_apply", "settings_for",
]

log = logging.getLogger(__name__)


def ingest(
    urls: Iterable[str],
    *,
    settings: Settings,
    sources: SourceSet | None = None,
    archive: Archive | None = None,
    forced_source: str | None = None,
    client: httpx.Client | None = None,
    stop: threading.Event | None = None,
) -> Iterator[IngestResult]:
    """Fetch, extract and (when ``archive`` is given) store each URL in turn; one result per URL.

    Failures are results too (``error`` set), and every HTTP attempt is logged in ``fetches``,
    failed or not, in the same transaction as the article it produced. Once ``stop`` is set
    (an interrupt), no further URL is started. No robots.txt and no politeness delays: the
    URLs are the user's own list, fetched one after another."""
    crawler = Crawler(settings, client=client, robots=False, polite=False)
    try:
        for raw_url in urls:
            if stop is not None and stop.is_set():
                return
            yield _ingest_one(raw_url, sources, archive, forced_source, crawler)
    finally:
        crawler.close()


def _ingest_one(raw_url: str, sources: SourceSet | None, archive: Archive | None,
                forced: str | None, crawler: Crawler) -> IngestResult:
    try:
        url = validate_url(raw_url)
        source = resolve_source(url, sources, forced)
    except ScraperError as exc:
        res = IngestResult(raw_url, error=exc)
    else:
        res = crawler.fetch_one(Request(url, source))
    res = IngestResult(raw_url, capture=res.capture, error=res.error, attempts=res.attempts)
    if res.error is not None or res.capture is None:
        if archive is not None and res.attempts:
            store(archive, [WriteRecord(attempts=list(res.attempts))])
        log.info("fetch failed", extra={"url": raw_url, "error": res.error.code if res.error else "-"})
        return res
    capture = res.capture
    outcome = None
    if archive is not None:
        [[outcome]] = store(archive, [WriteRecord(captures=[capture], attempts=list(res.attempts))])
    log.info("stored" if outcome else "extracted",
             extra={"url": raw_url, "source": capture.source or "-", "access": capture.article.access,
                    "words": capture.article.word_count,
                    "status": outcome.status if outcome else "not-stored"})
    return IngestResult(raw_url, capture=capture, outcome=outcome, attempts=res.attempts)
