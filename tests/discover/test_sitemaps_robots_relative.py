"""Sitemap: lines in robots.txt are read leniently: a relative URL resolves against robots.txt."""

from __future__ import annotations

from scraper.discover.sitemaps import robots_sitemaps

ROBOTS = "User-agent: *\nDisallow: /x/\nSitemap: /sitemap-index.xml\nSitemap: https://a.test/news.xml # news\n"


def test_relative_sitemap_resolves_against_the_robots_url() -> None:
    assert robots_sitemaps(ROBOTS, "https://a.test/robots.txt") == [
        "https://a.test/sitemap-index.xml", "https://a.test/news.xml"]


def test_without_a_base_only_absolute_urls_are_kept() -> None:
    assert robots_sitemaps(ROBOTS) == ["https://a.test/news.xml"]
