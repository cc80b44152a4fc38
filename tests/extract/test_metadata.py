from __future__ import annotations

import json

import pytest

from scraper.extract.document import parse_document
from scraper.extract.metadata import Metadata, canonicalize, extract_metadata, parse_date


def meta_of(html: str, url: str | None = "https://www.example.com/news/a.html") -> Metadata:
    return extract_metadata(parse_document(html, url), url)


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebSite", "@id": "https://www.example.com/#site", "name": "Example Site"},
        {"@type": "Person", "@id": "https://www.example.com/#jane", "name": "Jane Roe"},
        {"@type": "NewsArticle", "@id": "https://www.example.com/news/a.html#stub"},
        {
            "@type": ["NewsArticle", "ReportageNewsArticle"],
            "headline": "Graph headline",
            "author": [{"@id": "https://www.example.com/#jane"}, {"@type": "Person", "name": "John Doe"}, "Ann Other"],
            "datePublished": "2024-05-03T10:15:00+02:00",
            "dateModified": "2024-05-04 08:00",
            "articleSection": ["Économie", "Tech"],
            "keywords": "IA, industrie, IA",
            "inLanguage": "fr-FR",
            "image": {"@type": "ImageObject", "url": "/img/a.jpg"},
            "publisher": {"@type": "NewsMediaOrganization", "name": "Example News"},
            "wordCount": "1 234",
            "articleBody": "Un deux trois quatre cinq.",
            "isAccessibleForFree": "False",
            "hasPart": [
                {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywalled"},
                {"@type": "WebPageElement", "isAccessibleForFree": "True", "cssSelector": ".free"},
            ],
        },
    ],
}


def test_jsonld_graph_article_node() -> None:
    m = meta_of(f"<html><head>{ld(GRAPH)}<title>Page title | Example</title></head><body></body></html>")
    assert m.title == "Graph headline"
    assert m.authors == ("Jane Roe", "John Doe", "Ann Other")
    assert m.published_at == "2024-05-03T10:15:00+02:00"
    assert m.modified_at == "2024-05-04T08:00:00+00:00"  # naive -> UTC
    assert m.section == "Économie"
    assert m.tags == ("IA", "industrie")
    assert m.language == "fr"
    assert m.image == "https://www.example.com/img/a.jpg"
    assert m.site_name == "Example News"
    assert m.jsonld_word_count == 1234
    assert m.jsonld_article_body_words == 5
    assert m.accessible_for_free is False
    assert m.has_part == ((".paywalled", False), (".free", True))


@pytest.mark.parametrize(
    "author",
    ["Jane Roe", {"@type": "Person", "name": "Jane Roe"}, [{"name": "Jane Roe"}], ["Jane Roe", "Jane Roe"]],
)
def test_jsonld_author_shapes(author: object) -> None:
    m = meta_of(ld({"@type": "BlogPosting", "headline": "H", "author": author}))
    assert m.authors == ("Jane Roe",)


MICRODATA = """<html lang="de-AT"><body>
<article itemscope itemtype="https://schema.org/NewsArticle">
  <h1 itemprop="headline">  Micro   headline </h1>
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Max Muster</span></span>
  <time itemprop="datePublished" datetime="2024-01-02T03:04:05Z">2. Jänner</time>
  <meta itemprop="dateModified" content="2024-01-03T00:00:00+01:00">
  <span itemprop="articleSection">Inland</span>
</article></body></html>"""


def test_microdata() -> None:
    m = meta_of(MICRODATA)
    assert m.title == "Micro headline"
    assert m.authors == ("Max Muster",)
    assert m.published_at == "2024-01-02T03:04:05+00:00"
    assert m.modified_at == "2024-01-03T00:00:00+01:00"
    assert m.section == "Inland"
    assert m.language == "de"


OPENGRAPH = """<html><head>
<meta property="og:title" content="OG title">
<meta property="og:description" content="OG description">
<meta property="og:image" content="https://cdn.example.com/og.jpg">
<meta property="og:site_name" content="Example OG">
<meta property="og:locale" content="es_ES">
<meta property="og:url" content="https://www.example.com/og-url?utm_source=twitter&id=7">
<meta property="article:published_time" content="2024-12-02T18:30:00+01:00">
<meta property="article:modified_time" content="2024-12-02T19:00:00+01:00">
<meta property="article:section" content="Deportes">
<meta property="article:tag" content="F1"><meta property="article:tag" content="Alonso">
<meta name="author" content="Ana García">
<title>Title tag</title></head><body><p>x</p></body></html>"""


def test_opengraph_only() -> None:
    m = meta_of(OPENGRAPH)
    assert m.title == "OG title"
    assert m.description == "OG description"
    assert m.image == "https://cdn.example.com/og.jpg"
    assert m.site_name == "Example OG"
    assert m.language == "es"
    assert m.published_at == "2024-12-02T18:30:00+01:00"
    assert m.modified_at == "2024-12-02T19:00:00+01:00"
    assert m.section == "Deportes"
    assert m.tags == ("F1", "Alonso")
    assert m.authors == ("Ana García",)
    assert m.canonical_url == "https://www.example.com/og-url?id=7"


def test_meta_name_fallbacks() -> None:
    m = meta_of(
        '<meta name="description" content="Desc"><meta name="keywords" content="a, b; c">'
        '<meta name="date" content="2023-07-14"><meta name="author" content="https://x.com/someone">'
        "<title> Just a title </title>"
    )
    assert (m.title, m.description, m.tags) == ("Just a title", "Desc", ("a", "b", "c"))
    assert m.published_at == "2023-07-14T00:00:00+00:00"
    assert m.authors == ()  # a URL is not a name


@pytest.mark.parametrize(
    ("head", "final_url", "expected"),
    [
        (
            '<link rel="canonical" href="https://www.example.com/a?utm_source=rss&utm_medium=feed&id=3#top">',
            "https://www.example.com/a?xtor=RSS-1",
            "https://www.example.com/a?id=3",
        ),
        ('<link rel="canonical" href="/news/b.html?fbclid=abc">', "https://www.example.com/x/y", "https://www.example.com/news/b.html"),
        ('<link rel="canonical" href="b.html">', "https://www.example.com/x/y", "https://www.example.com/x/b.html"),
        ('<meta property="og:url" content="https://www.example.com/og">', "https://www.example.com/final", "https://www.example.com/og"),
        ("", "https://www.example.com/final?gclid=1&at_medium=social&page=2#c", "https://www.example.com/final?page=2"),
        ('<link rel="canonical" href="javascript:void(0)">', "https://www.example.com/f", "https://www.example.com/f"),
        ("", None, None),
    ],
)
def test_canonical_url_precedence_and_cleaning(head: str, final_url: str | None, expected: str | None) -> None:
    assert meta_of(f"<html><head>{head}</head></html>", final_url).canonical_url == expected


def test_canonicalize_keeps_real_parameters() -> None:
    assert canonicalize("https://e.com/p?id=1&utm_campaign=x&b=2") == "https://e.com/p?id=1&b=2"
    assert canonicalize("https://e.com/p") == "https://e.com/p"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-03T10:00:00+02:00", "2024-05-03T10:00:00+02:00"),
        ("2024-05-03T08:00:00Z", "2024-05-03T08:00:00+00:00"),
        ("2024-05-03", "2024-05-03T00:00:00+00:00"),
        ("Mon, 02 Dec 2024 10:00:00 GMT", "2024-12-02T10:00:00+00:00"),
        ("03.05.2024 10:00 CEST", "2024-05-03T10:00:00+02:00"),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw: str | None, expected: str | None) -> None:
    assert parse_date(raw) == expected
