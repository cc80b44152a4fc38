"""The steps the crawler composes: which source and settings a URL is fetched with, the GET
itself, and the extraction of a capture from a response (plain data in and out, so it can run
in a worker process)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import httpx

from scraper.archive.store import content_hash
from scraper.errors import ContentError, ScraperError, UsageError
from scraper.extract.article import extract_article
from scraper.models import Capture, FetchAttempt, FetchResult, SourceRules
from scraper.net.fetch import OnResponse, fetch
from scraper.settings import Settings
from scraper.sources.config import Source, SourceSet
from scraper.sources.registry import article_key, match_source, plugin_for

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")


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
               sleep: Callable[[float], None] | None = None,
               on_response: OnResponse | None = None) -> FetchResult:
    """GET ``url`` with the source's headers (and ``extra_headers``, e.g. validators for a
    conditional GET); ``sleep`` replaces ``time.sleep`` between retries (the daemon's can be
    interrupted by shutdown)."""
    headers = source.request_headers(os.environ if environ is None else environ) if source else {}
    if extra_headers:
        headers = {**headers, **extra_headers}
    if sleep is None:
        return fetch(client, url, settings_for(settings, source), headers=headers or None,
                     source=source.name if source else None, on_response=on_response)
    return fetch(client, url, settings_for(settings, source), headers=headers or None,
                 source=source.name if source else None, sleep=sleep, on_response=on_response)


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
    return replace(capture, article=article, content_hash=content_hash(article.text))


def mark_last(attempts: tuple[FetchAttempt, ...], exc: ScraperError) -> tuple[FetchAttempt, ...]:
    if not attempts:
        return attempts
    last = replace(attempts[-1], error=exc.code, error_detail=str(exc))
    return (*attempts[:-1], last)
