"""The one composer of fetching, extraction and storage.

    fetch URL  |  check it is HTML  |  extract_article (decode, parse, rules, paywall)  |  store

Everything else (the CLI's ``fetch``, ``poll``, the daemon) goes through here, so an article
archived by any road was decoded, judged and stored the same way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import httpx

from scraper.archive import Archive
from scraper.archive.record import WriteRecord, store
from scraper.archive.store import StoreOutcome, content_hash
from scraper.errors import ContentError, ScraperError, UsageError
from scraper.extract.article import extract_article
from scraper.models import Capture, FetchAttempt, FetchResult, SourceRules
from scraper.net.fetch import fetch
from scraper.net.urls import validate_url
from scraper.settings import Settings
from scraper.sources.config import Source, SourceSet
from scraper.sources.registry import article_key, match_source, plugin_for

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")


@dataclass(frozen=True)
class IngestResult:
    url: str
    capture: Capture | None = None
    outcome: StoreOutcome | None = None
    error: ScraperError | None = None
    attempts: tuple[FetchAttempt, ...] = ()


def resolve_source(url: str, sources: SourceSet | None, forced: str | None = None) -> Source | None:
    """The source a URL belongs to: the one named with ``--source``, else matched by domain."""
    if sources is None:
        if forced:
            raise UsageError(f"unknown source {forced!r}: no sources file is loaded")
        return None
    if forced:
        return sources.get(forced)
    return match_source(url, sources)


def settings_for(settings: Settings, source: Source | None) -> Settings:
    """``settings`` for fetching as ``source``: its ``allow_private`` adds its own domains (and
    their subdomains) to ``private_hosts``; any other host, a redirect target or a feed entry
    elsewhere, keeps the default policy."""
    if source is not None and source.allow_private and not settings.allow_private:
        extra = tuple(d for d in source.domains if d not in settings.private_hosts)
        return replace(settings, private_hosts=settings.private_hosts + extra) if extra else settings
    return settings


def check_html(result: FetchResult) -> None:
    ctype = (result.content_type or "").split(";")[0].strip().lower()
    if ctype and not ctype.startswith(HTML_TYPES) and "html" not in ctype:
        raise ContentError(f"{result.final_url} is {ctype}, not an HTML page", code="content:not-html")


def fetch_page(client: httpx.Client, url: str, settings: Settings, source: Source | None,
               environ: dict[str, str] | None = None, *,
               extra_headers: dict[str, str] | None = None,
               sleep: Callable[[float], None] | None = None) -> FetchResult:
    """GET ``url`` with the source's headers (and ``extra_headers``, e.g. validators for a
    conditional GET); ``sleep`` replaces ``time.sleep`` between retries (the daemon's can be
    interrupted by shutdown)."""
    headers = source.request_headers(os.environ if environ is None else environ) if source else {}
    if extra_headers:
        headers = {**headers, **extra_headers}
    kwargs = {"sleep": sleep} if sleep is not None else {}
    return fetch(client, url, settings_for(settings, source), headers=headers or None,
                 source=source.name if source else None, **kwargs)


def rules_apply(source: Source, fetched_at: datetime) -> bool:
    """A source's rules apply to pages fetched up to its ``valid_until`` date (inclusive); later
    pages take the generic path until the rules are renewed."""
    return source.valid_until is None or fetched_at.date() <= source.valid_until


def capture_page(url: str, result: FetchResult, source: Source | None) -> Capture:
    """Check the response is a page and extract the article from its bytes (no network)."""
    rules, key = capture_inputs(url, result, source)
    capture = extract_capture(url, result, rules, source.name if source else None, key)
    return finish_capture(capture, source)


def capture_inputs(url: str, result: FetchResult, source: Source | None) -> tuple[SourceRules | None, str | None]:
    """The rules valid for the response's fetch date and the article's stable key."""
    if source is None:
        return None, None
    rules = source.rules() if rules_apply(source, result.fetched_at) else None
    return rules, article_key(source, result.final_url) or article_key(source, url)


def extract_capture(url: str, result: FetchResult, rules: SourceRules | None, source_name: str | None,
                    key: str | None) -> Capture:
    """The extraction step of :func:`capture_page` from plain data (picklable), so the poller can
    run it in worker processes; the caller then applies :func:`finish_capture`."""
    check_html(result)
    article = extract_article(result.content, url=result.final_url, content_type=result.content_type,
                              rules=rules)
    # the text hashed here (in the worker processes, for large polls), not by the archive writer
    return Capture(url=url, article=article, fetched_at=result.fetched_at, source=source_name,
                   response=result, article_key=key, content_hash=content_hash(article.text))


def extract_capture_detached(url: str, result: FetchResult, rules: SourceRules | None,
                             source_name: str | None, key: str | None) -> Capture:
    """:func:`extract_capture` for a worker process: sent without its fetch attempts and
    returned without the response (the parent holds both; :func:`attach_response` puts the
    response back), so ~40 KB bodies cross the process boundary once, not twice."""
    return replace(extract_capture(url, result, rules, source_name, key), response=None)


def attach_response(capture: Capture, result: FetchResult) -> Capture:
    return replace(capture, response=result)


def finish_capture(capture: Capture, source: Source | None) -> Capture:
    """The source plugin's ``postprocess`` hook, run where the plugin lives (the parent process)."""
    if source is None:
        return capture
    article = plugin_for(source).postprocess(capture.article)
    if article is capture.article:
        return capture
    return replace(capture, article=article,
                   content_hash=content_hash(article.text) if capture.content_hash else None)


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
    """Fetch, extract and (when ``archive`` is given) store each URL; one result per URL.

    Failures are results too (``error`` set), and every HTTP attempt is logged in ``fetches``,
    failed or not, in the same transaction as the article it produced. Once ``stop`` is set
    (an interrupt), no further URL is started.
    """
    from scraper.net.client import make_client

    own_client = client is None
    client = client or make_client(settings)
    try:
        for raw_url in urls:
            if stop is not None and stop.is_set():
                return
            yield _ingest_one(raw_url, settings, sources, archive, forced_source, client)
    finally:
        if own_client:
            client.close()


def _ingest_one(raw_url: str, settings: Settings, sources: SourceSet | None, archive: Archive | None,
                forced: str | None, client: httpx.Client) -> IngestResult:
    attempts: tuple[FetchAttempt, ...] = ()
    try:
        url = validate_url(raw_url)
        source = resolve_source(url, sources, forced)
        try:
            result = fetch_page(client, url, settings, source)
        except ScraperError as exc:
            attempts = exc.attempts
            raise
        attempts = result.attempts
        try:
            capture = capture_page(url, result, source)
        except ContentError as exc:
            attempts = _mark_last(attempts, exc)
            raise
    except ScraperError as exc:
        if archive is not None and attempts:
            store(archive, [WriteRecord(attempts=list(attempts))])
        log.info("fetch failed", extra={"url": raw_url, "error": exc.code})
        return IngestResult(url=raw_url, error=exc, attempts=attempts)

    outcome = None
    if archive is not None:
        [[outcome]] = store(archive, [WriteRecord(captures=[capture], attempts=list(attempts))])
    log.info("stored" if outcome else "extracted",
             extra={"url": url, "source": capture.source or "-", "access": capture.article.access,
                    "words": capture.article.word_count,
                    "status": outcome.status if outcome else "not-stored"})
    return IngestResult(url=raw_url, capture=capture, outcome=outcome, attempts=attempts)


def _mark_last(attempts: tuple[FetchAttempt, ...], exc: ScraperError) -> tuple[FetchAttempt, ...]:
    if not attempts:
        return attempts
    last = replace(attempts[-1], error=exc.code, error_detail=str(exc))
    return (*attempts[:-1], last)
