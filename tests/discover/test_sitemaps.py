from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.discover.sitemaps import collect_sitemap_urls, parse_sitemap, robots_sitemaps
from scraper.errors import ContentError

SITEMAPS = Path(__file__).resolve().parents[1] / "fixtures" / "sitemaps"


def read(name: str) -> bytes:
    return (SITEMAPS / name).read_bytes()


def test_index() -> None:
    sm = parse_sitemap(read("index.xml"), "https://news.example.org/sitemap-index.xml")
    assert sm.kind == "index" and sm.urls == ()
    assert [c.loc for c in sm.sitemaps] == [
        "https://news.example.org/sitemap-articles.xml",
        "https://news.example.org/sitemap-news.xml.gz",
        "https://news.example.org/sitemap-index.xml",
    ]
    assert sm.sitemaps[0].lastmod == datetime(2024, 5, 12, tzinfo=UTC)
    assert sm.sitemaps[1].lastmod == datetime(2024, 5, 12, 8, tzinfo=UTC)


def test_urlset() -> None:
    sm = parse_sitemap(read("urlset.xml"), "https://news.example.org/sitemap-articles.xml")
    assert sm.kind == "urlset" and not sm.is_news
    assert [u.loc for u in sm.urls] == [
        "https://news.example.org/2024/05/12/first",
        "https://news.example.org/2024/05/11/second",
        "https://news.example.org/about",
    ]  # the <url> without <loc> is skipped
    assert sm.urls[0].lastmod == datetime(2024, 5, 12, 8, 30, tzinfo=UTC)
    assert sm.urls[1].lastmod == datetime(2024, 5, 1, tzinfo=UTC)
    assert sm.urls[2].lastmod is None


@pytest.mark.parametrize("name", ["google-news.xml", "google-news.xml.gz"])
def test_google_news(name: str) -> None:
    sm = parse_sitemap(read(name), "https://news.example.org/sitemap-news.xml.gz")
    assert sm.is_news
    (u,) = sm.urls
    assert u.loc == "https://news.example.org/2024/05/12/breaking"
    assert u.news_publication_date == datetime(2024, 5, 12, 7, 15, tzinfo=UTC)
    assert (u.news_title, u.news_language, u.news_publication_name) == (
        "Une nouvelle importante", "fr", "Example News")


def test_gzip_bomb_bounded() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(ContentError, match="decompressed") as info:
        parse_sitemap(bomb, "https://x.example/s.xml.gz", max_bytes=1_000_000)
    assert info.value.code == "sitemap:too-large"


def test_bad_gzip() -> None:
    with pytest.raises(ContentError, match="gzip"):
        parse_sitemap(b"\x1f\x8bnot gzip at all", "https://x.example/s.xml.gz")


def test_billion_laughs_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ContentError, match="entity"):
        parse_sitemap(read("billion-laughs.xml"), "https://x.example/sitemap.xml")
    assert time.perf_counter() - started < 1


def test_external_entity_not_resolved() -> None:
    with pytest.raises(ContentError, match="entity") as info:
        parse_sitemap(read("external-entity.xml"), "https://x.example/sitemap.xml")
    assert "/etc/hostname" not in str(info.value) or "refused" in str(info.value)


@pytest.mark.parametrize("body", [b"<html></html>", b"<urlset><url>", b"not xml"])
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(ContentError):
        parse_sitemap(body, "https://x.example/sitemap.xml")


def test_robots_sitemaps() -> None:
    assert robots_sitemaps(read("robots.txt").decode()) == [
        "https://news.example.org/sitemap-index.xml",
        "https://news.example.org/sitemap-news.xml.gz",
    ]


def _site() -> dict[str, bytes]:
    return {
        "https://news.example.org/sitemap-index.xml": read("index.xml"),
        "https://news.example.org/sitemap-articles.xml": read("urlset.xml"),
        "https://news.example.org/sitemap-news.xml.gz": read("google-news.xml.gz"),
    }


def test_collect_recurses_index_once() -> None:
    site = _site()
    calls: list[str] = []

    def fetch(url: str) -> bytes | None:
        calls.append(url)
        return site.get(url)

    crawl = collect_sitemap_urls(fetch, ["https://news.example.org/sitemap-index.xml"])
    assert [u.loc for u in crawl.urls] == [
        "https://news.example.org/2024/05/12/first",
        "https://news.example.org/2024/05/11/second",
        "https://news.example.org/about",
        "https://news.example.org/2024/05/12/breaking",
    ]
    assert calls.count("https://news.example.org/sitemap-index.xml") == 1  # lists itself
    assert crawl.errors == [] and crawl.truncated == []


def test_self_referencing_index_terminates() -> None:
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return read("self-index.xml")

    crawl = collect_sitemap_urls(fetch, ["https://loop.example/sitemap.xml"])
    assert calls == ["https://loop.example/sitemap.xml"] and crawl.urls == []


def test_endless_chain_bounded_by_depth_and_count() -> None:
    def fetch(url: str) -> bytes:
        name = url.rsplit("/", 1)[1].removesuffix(".xml")
        return (f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>https://x.example/{name}a.xml</loc></sitemap>"
                f"<sitemap><loc>https://x.example/{name}b.xml</loc></sitemap></sitemapindex>").encode()

    crawl = collect_sitemap_urls(fetch, ["https://x.example/0.xml"], max_depth=3)
    assert len(crawl.sitemaps_fetched) == 1 + 2 + 4 + 8
    assert any(t.startswith("max_depth=3") for t in crawl.truncated)
    crawl = collect_sitemap_urls(fetch, ["https://x.example/0.xml"], max_depth=50, max_sitemaps=5)
    assert len(crawl.sitemaps_fetched) == 5 and "max_sitemaps=5" in crawl.truncated


def test_max_urls() -> None:
    crawl = collect_sitemap_urls(_site().get, ["https://news.example.org/sitemap-index.xml"], max_urls=2)
    assert len(crawl.urls) == 2 and "max_urls=2" in crawl.truncated


def test_errors_recorded_and_walk_goes_on() -> None:
    site = _site()
    site["https://news.example.org/sitemap-articles.xml"] = b"<broken"
    crawl = collect_sitemap_urls(site.get, ["https://news.example.org/sitemap-index.xml", "https://gone.example/s.xml"])
    assert [u.loc for u in crawl.urls] == ["https://news.example.org/2024/05/12/breaking"]
    assert [u for u, _ in crawl.errors] == ["https://gone.example/s.xml", "https://news.example.org/sitemap-articles.xml"]
