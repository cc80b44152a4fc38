from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.discover import discover, links_from_index
from scraper.discover.guess import guess_article_pattern
from scraper.errors import ConfigError, UsageError
from scraper.sources.config import load_sources_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

HOMEPAGE = """<!doctype html>
<html lang="fr-FR"><head>
<title>Developpez.com</title>
<link rel="alternate" type="application/rss+xml" title="Actus" href="/index/rss">
<link rel="alternate" type="application/atom+xml" href="https://www.developpez.com/index/atom">
<link rel="stylesheet" href="/style.css">
</head><body>
<nav><a href="/">Accueil</a> <a href="/contact/">Contact</a> <a href="/about">About</a>
<a href="https://www.developpez.net/forums/">Forum</a></nav>
<div class="news">
<h2><a href="https://www.developpez.com/actu/363891/La-Poste-victime-d-une-cyberattaque-DDoS/">La Poste</a></h2>
<h2><a href="https://securite.developpez.com/actu/309772/Une-faille-critique-corrigee/">Faille</a></h2>
<h2><a href="https://javascript.developpez.com/actu/384649/Node-js-25-est-disponible/#comments">Node</a></h2>
<h2><a href="/actu/364000/Encore-une-actualite-importante/">Encore</a></h2>
</div>
<a href="https://www.developpez.com/tutoriels/python/">Tutoriels</a>
<a href="javascript:void(0)">JS</a>
</body></html>
"""


def fake_web() -> dict[str, bytes]:
    return {
        "https://www.developpez.com/": HOMEPAGE.encode("utf-8"),
        "https://www.developpez.com/index/rss": (FIXTURES / "feeds" / "developpez-rss20-iso-8859-1.xml").read_bytes(),
        "https://www.developpez.com/robots.txt": b"User-agent: *\nSitemap: https://www.developpez.com/sitemap.xml\n",
        "https://www.developpez.com/sitemap.xml": (
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>https://www.developpez.com/actu/365000/Un-autre-article-du-sitemap/</loc></url></urlset>"
        ),
    }


def test_links_from_index() -> None:
    links = links_from_index(HOMEPAGE, "https://www.developpez.com/", "div.news h2 a")
    assert links == [
        "https://www.developpez.com/actu/363891/La-Poste-victime-d-une-cyberattaque-DDoS/",
        "https://securite.developpez.com/actu/309772/Une-faille-critique-corrigee/",
        "https://javascript.developpez.com/actu/384649/Node-js-25-est-disponible/",
        "https://www.developpez.com/actu/364000/Encore-une-actualite-importante/",
    ]


def test_links_from_index_container_selector_and_base() -> None:
    html = '<base href="https://cdn.example/x/"><div class="item"><a href="a">A</a></div><div class="item"><a href="a#f">A</a></div>'
    assert links_from_index(html, "https://example.com/", "div.item") == ["https://cdn.example/x/a"]


def test_links_from_index_bad_selector() -> None:
    with pytest.raises(ConfigError, match="selector"):
        links_from_index("<a href=x>", "https://e.com/", "a[[")


def test_discover_developpez_like_homepage() -> None:
    web = fake_web()
    result = discover("https://www.developpez.com/", web.get)
    assert result["name"] == "developpez"
    assert result["domain"] == "developpez.com"
    assert result["language"] == "fr-FR"
    assert result["feeds"] == [
        {"url": "https://www.developpez.com/index/rss", "kind": "rss"},
        {"url": "https://www.developpez.com/index/atom", "kind": "atom"},
    ]
    assert result["sitemaps"] == [{"url": "https://www.developpez.com/sitemap.xml"}]
    assert result["article_pattern"] == r"^https?://[a-z0-9-]+\.developpez\.com/actu/\d+/"
    assert result["article_id"] == r"/actu/(\d+)/"
    text = result["yaml"]
    assert isinstance(text, str) and text.startswith("  # discovered from https://www.developpez.com/")
    source = load_sources_text("sources:\n" + text, "pasted.yaml").get("developpez")
    assert source.accepts_url("https://python.developpez.com/actu/364001/Python-3-13/")
    assert not source.accepts_url("https://www.developpez.com/tutoriels/python/")
    assert [f.kind for f in source.feeds] == ["auto", "atom"]
    # the atom feed is not in the fake web: noted, not fatal
    assert result["notes"] == []


def test_discover_without_feeds_proposes_index_page() -> None:
    html = b"<html><body>" + b"".join(
        f'<a href="/2024/05/{d:02d}/some-long-article-slug-{d}">x</a>'.encode() for d in range(1, 6)
    ) + b'<a href="/about">a</a></body></html>'
    result = discover("https://news.example.org/", {"https://news.example.org/": html}.get)
    assert result["feeds"] == [] and result["sitemaps"] == []
    assert result["article_pattern"] == r"^https?://news\.example\.org/\d{4}/\d{2}/\d{2}/"
    assert result["article_id"] is None
    entry = result["entry"]
    assert isinstance(entry, dict)
    assert entry["index_pages"] == [{"url": "https://news.example.org/", "link_selector": "a[href]"}]
    load_sources_text("sources:\n" + str(result["yaml"]))


def test_discover_unreachable_home_page_still_renders() -> None:
    result = discover("https://empty.example/", lambda url: None)
    assert result["article_pattern"] is None and result["notes"]
    load_sources_text("sources:\n" + str(result["yaml"]))


def test_discover_rejects_non_http() -> None:
    with pytest.raises(UsageError):
        discover("ftp://example.com/", lambda url: None)


@pytest.mark.parametrize(
    ("urls", "include", "article_id"),
    [
        (["https://ex.com/news/12345.html", "https://ex.com/news/12346.html"], r"^https?://ex\.com/news/", None),
        (["https://ex.com/a/123", "https://ex.com/a/124", "https://ex.com/about"], r"^https?://ex\.com/a/\d+(?:[/?#.]|$)", r"/a/(\d+)(?:[/?#.]|$)"),
        (["https://ex.com/about", "https://ex.com/contact"], None, None),
    ],
)
def test_guess_article_pattern(urls: list[str], include: str | None, article_id: str | None) -> None:
    pattern = guess_article_pattern(urls, "ex.com")
    assert (pattern.include if pattern else None) == include
    assert (pattern.article_id if pattern else None) == article_id
    if pattern:
        assert all(re.search(pattern.include, u) for u in pattern.samples)
