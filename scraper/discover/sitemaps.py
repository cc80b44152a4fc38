"""Sitemaps: ``<urlset>`` and ``<sitemapindex>``, gzip, Google News tags, robots.txt lines.

Parsed with defusedxml's ElementTree (no DTD loading, no entity expansion, no network) after the
same entity screen as feeds. ``.xml.gz`` is recognised by its magic bytes, not its name, and
decompressed with a bound (the protocol's 50 MB) so a gzip bomb stops early.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from scraper.discover._xml import refuse_entities
from scraper.discover.feeds import parse_iso_datetime
from scraper.errors import ContentError, ScraperError

__all__ = [
    "MAX_SITEMAP_BYTES",
    "Sitemap",
    "SitemapCrawl",
    "SitemapUrl",
    "collect_sitemap_urls",
    "parse_sitemap",
    "robots_sitemaps",
]

log = logging.getLogger(__name__)

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemaps.org: 50 MB uncompressed
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: datetime | None = None  # aware, UTC
    news_publication_date: datetime | None = None
    news_title: str | None = None
    news_language: str | None = None
    news_publication_name: str | None = None


@dataclass(frozen=True)
class Sitemap:
    url: str
    kind: Literal["urlset", "index"]
    urls: tuple[SitemapUrl, ...] = ()  # for a urlset
    sitemaps: tuple[SitemapUrl, ...] = ()  # child sitemaps (loc, lastmod) for an index

    @property
    def is_news(self) -> bool:
        return any(u.news_publication_date or u.news_title for u in self.urls)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _gunzip(content: bytes, url: str, limit: int) -> bytes:
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(content, limit + 1)
    except zlib.error as exc:
        raise ContentError(f"sitemap {url}: bad gzip data ({exc})", code="sitemap:gzip") from None
    if len(out) > limit:
        raise ContentError(
            f"sitemap {url}: more than {limit} bytes once decompressed — refused (gzip bomb or "
            "oversized sitemap; the protocol allows 50 MB)",
            code="sitemap:too-large",
        )
    return out


def parse_sitemap(content: bytes, url: str, *, max_bytes: int = MAX_SITEMAP_BYTES) -> Sitemap:
    """Parse a sitemap (plain or gzipped). Raises :class:`ContentError` when unsafe or invalid."""
    if content[:2] == GZIP_MAGIC:
        content = _gunzip(content, url, max_bytes)
    elif len(content) > max_bytes:
        raise ContentError(f"sitemap {url}: larger than {max_bytes} bytes — refused", code="sitemap:too-large")
    refuse_entities(content, f"sitemap {url}")
    try:
        root = SafeET.fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ContentError(f"sitemap {url}: unsafe XML refused ({exc})", code="xml:entity") from None
    except ParseError as exc:
        raise ContentError(
            f"sitemap {url}: not well-formed XML ({exc}) — check the URL is a sitemap",
            code="sitemap:malformed",
        ) from None
    top = _local(root.tag)
    if top == "sitemapindex":
        children = tuple(u for el in root if _local(el.tag) == "sitemap" and (u := _entry(el, url)))
        return Sitemap(url=url, kind="index", sitemaps=children)
    if top == "urlset":
        urls = tuple(u for el in root if _local(el.tag) == "url" and (u := _entry(el, url)))
        return Sitemap(url=url, kind="urlset", urls=urls)
    raise ContentError(
        f"sitemap {url}: root element <{top}> is neither <urlset> nor <sitemapindex>",
        code="sitemap:malformed",
    )


def _text(el: Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    text = " ".join(el.text.split())
    return text or None


def _entry(el: Element, base: str) -> SitemapUrl | None:
    loc = lastmod = None
    news: dict[str, str | None] = {}
    for child in el:
        name = _local(child.tag)
        if name == "loc":
            loc = _text(child)
        elif name == "lastmod":
            lastmod = _text(child)
        elif name == "news":
            for item in child.iter():
                sub = _local(item.tag)
                if sub in ("publication_date", "title"):
                    news[sub] = _text(item)
                elif sub == "name":
                    news["publication_name"] = _text(item)
                elif sub == "language":
                    news["language"] = _text(item)
    if not loc:
        return None
    absolute = urljoin(base, loc)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    return SitemapUrl(
        loc=absolute,
        lastmod=parse_iso_datetime(lastmod),
        news_publication_date=parse_iso_datetime(news.get("publication_date")),
        news_title=news.get("title"),
        news_language=news.get("language"),
        news_publication_name=news.get("publication_name"),
    )


def robots_sitemaps(robots_txt: str, base_url: str | None = None) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, without duplicates. The standard wants
    them absolute; a relative one is resolved against ``base_url`` (the robots.txt URL) when
    given, else dropped."""
    out: list[str] = []
    for raw in robots_txt.splitlines():
        line = raw.strip()
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() != "sitemap":
            continue
        value = value.strip()
        if " #" in value:
            value = value.split(" #", 1)[0].strip()
        if base_url and value and not urlsplit(value).scheme:
            value = urljoin(base_url, value)
        if urlsplit(value).scheme in ("http", "https") and value not in out:
            out.append(value)
    return out


@dataclass
class SitemapCrawl:
    """What :func:`collect_sitemap_urls` found, and why it stopped where it did."""

    urls: list[SitemapUrl] = field(default_factory=list)
    sitemaps_fetched: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (sitemap url, message)
    truncated: list[str] = field(default_factory=list)  # which bounds were hit

    def __iter__(self) -> Iterator[SitemapUrl]:
        return iter(self.urls)

    def __len__(self) -> int:
        return len(self.urls)


def collect_sitemap_urls(
    fetch_bytes: Callable[[str], bytes | None],
    roots: Iterable[str],
    max_depth: int = 3,
    max_sitemaps: int = 50,
    max_urls: int = 50000,
) -> SitemapCrawl:
    """Walk sitemaps from ``roots`` (breadth first) through indexes, at most ``max_depth``
    levels of index below a root, ``max_sitemaps`` fetches and ``max_urls`` URLs. A sitemap seen
    before (an index pointing at itself or a cycle) is not fetched again. A sitemap that fails to
    fetch or parse is recorded in ``errors`` and the walk goes on."""
    crawl = SitemapCrawl()
    seen_sitemaps: set[str] = set()
    seen_urls: set[str] = set()
    queue: list[tuple[str, int]] = []
    for root in roots:
        if root not in seen_sitemaps:
            seen_sitemaps.add(root)
            queue.append((root, 0))
    while queue:
        url, depth = queue.pop(0)
        if len(crawl.sitemaps_fetched) >= max_sitemaps:
            crawl.truncated.append(f"max_sitemaps={max_sitemaps}")
            break
        crawl.sitemaps_fetched.append(url)
        try:
            body = fetch_bytes(url)
            if body is None:
                crawl.errors.append((url, "not fetched"))
                continue
            sitemap = parse_sitemap(body, url)
        except ScraperError as exc:
            crawl.errors.append((url, str(exc)))
            log.info("sitemap skipped url=%s error=%s", url, getattr(exc, "code", "error"))
            continue
        if sitemap.kind == "index":
            if depth >= max_depth:
                crawl.truncated.append(f"max_depth={max_depth} at {url}")
                continue
            for child in sitemap.sitemaps:
                if child.loc not in seen_sitemaps:
                    seen_sitemaps.add(child.loc)
                    queue.append((child.loc, depth + 1))
            continue
        for item in sitemap.urls:
            if item.loc in seen_urls:
                continue
            if len(crawl.urls) >= max_urls:
                crawl.truncated.append(f"max_urls={max_urls}")
                return crawl
            seen_urls.add(item.loc)
            crawl.urls.append(item)
    return crawl
