"""paywall_declared: JSON-LD, microdata, content tier, source rules, and their precedence."""

from __future__ import annotations

import json

import pytest

from scraper.models import SourceRules
from scraper.paywall.declared import declaration, parse_bool

from .conftest import PROSE, judge, names, page


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (False, False), ("False", False), ("false", False), ("http://schema.org/False", False),
        ("https://schema.org/False", False), (0, False), ("no", False),
        (True, True), ("True", True), ("http://schema.org/True", True), ("yes", True),
        ("maybe", None), (None, None),
    ],
)
def test_parse_bool_spellings(value: object, expected: bool | None) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", [False, "False", "false", "http://schema.org/False", 0, "no"])
def test_jsonld_false_declares_paid(value: object) -> None:
    doc = page("<p>x</p>", ld({"@type": "NewsArticle", "isAccessibleForFree": value}))
    assert declaration(doc, None).declared is True


def test_jsonld_true_declares_free() -> None:
    doc = page("<p>x</p>", ld({"@type": "NewsArticle", "isAccessibleForFree": "True"}))
    decl = declaration(doc, None)
    assert decl.declared is False
    assert "jsonld:isAccessibleForFree=true" in {s.name for s in decl.signals}


def test_nothing_declared_is_none() -> None:
    assert declaration(page("<p>x</p>"), None).declared is None


def test_graph_array_and_case_insensitive_key() -> None:
    data = [{"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "x"},
        {"@type": "NewsArticle", "isAccessibleforFree": "false"},
    ]}]
    assert declaration(page("<p>x</p>", ld(data)), None).declared is True


def test_page_node_wins_over_haspart_element() -> None:
    data = {"@type": "NewsArticle", "isAccessibleForFree": True,
            "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".x"}}
    assert declaration(page("<p>x</p>", ld(data)), None).declared is False


def test_cdata_wrapped_jsonld_is_still_read() -> None:
    head = ('<script type="application/ld+json">//<![CDATA[\n{"@type":"NewsArticle",'
            '"isAccessibleForFree": "False"}\n//]]></script>')
    assert declaration(page("<p>x</p>", head), None).declared is True


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<meta itemprop="isAccessibleForFree" content="false">', True),
        ('<meta itemprop="isAccessibleForFree" content="True">', False),
    ],
)
def test_microdata(markup: str, expected: bool) -> None:
    doc = page(f'<div itemscope itemtype="https://schema.org/NewsArticle">{markup}<p>x</p></div>')
    decl = declaration(doc, None)
    assert decl.declared is expected
    assert any(s.name.startswith("microdata:") for s in decl.signals)


@pytest.mark.parametrize(
    ("key", "tier", "expected"),
    [
        ("article:content_tier", "locked", True),
        ("article:content_tier", "metered", None),  # free up to a limit: no paid declaration
        ("article:content_tier", "free", False),
        ("og:article:content_tier", "locked", True),
        ("article_content_tier", "metered", None),
        ("article:content_tier", "something", None),
    ],
)
def test_content_tier(key: str, tier: str, expected: bool | None) -> None:
    doc = page("<p>x</p>", f'<meta property="{key}" content="{tier}">')
    assert declaration(doc, None).declared is expected


def test_jsonld_wins_over_content_tier() -> None:
    head = ld({"@type": "NewsArticle", "isAccessibleForFree": "false"})
    head += '<meta property="article:content_tier" content="free">'
    decl = declaration(page("<p>x</p>", head), None)
    assert decl.declared is True
    assert {"jsonld:isAccessibleForFree=false", "meta:content_tier=free"} <= {s.name for s in decl.signals}


def test_rules_win_over_the_page() -> None:
    doc = page("<p>x</p>", ld({"@type": "NewsArticle", "isAccessibleForFree": True}))
    assert declaration(doc, SourceRules(name="s", declares_all_paid=True)).declared is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://news.example/plus/a-1", True), ("https://news.example/free/a-1", None)],
)
def test_rules_paid_url_patterns(url: str, expected: bool | None) -> None:
    doc = page("<p>x</p>", url=url)
    assert declaration(doc, SourceRules(name="s", paid_url_patterns=(r"/plus/",))).declared is expected


def test_declaration_alone_never_truncates(article_html: str, article_text: str) -> None:
    doc = page(article_html, ld({"@type": "NewsArticle", "isAccessibleForFree": False}))
    verdict, text = judge(doc, article_text)
    assert verdict.declared is True
    assert verdict.access == "full"
    assert text == article_text
    assert "jsonld:isAccessibleForFree=false" in names(verdict)
    assert PROSE in text


@pytest.mark.parametrize(
    "wrapped",
    [
        '//<![CDATA[\n{"@type":"NewsArticle","isAccessibleForFree":"False","wordCount":900}\n//]]>',
        '\n  <![CDATA[\n  {"@type":"NewsArticle","isAccessibleForFree":false,"wordCount":900}\n  ]]>\n',
        '/*<![CDATA[*/{"@type":"NewsArticle","isAccessibleForFree":false,"wordCount":900}/*]]>*/',
        '<!-- {"@type":"NewsArticle","isAccessibleForFree":false,"wordCount":900} -->',
    ],
)
def test_wrapped_jsonld_is_decoded_as_json(wrapped: str) -> None:
    doc = page("<p>x</p>", f'<script type="application/ld+json">{wrapped}</script>')
    [node] = doc.jsonld  # decoded: wordCount and hasPart work too, not only the declaration
    assert node["wordCount"] == 900
    decl = declaration(doc, None)
    assert decl.declared is True
    assert [s.detail for s in decl.signals] == ["isAccessibleForFree"]


def test_malformed_jsonld_declaration_is_read_from_the_raw_text() -> None:
    # AOC: an unescaped <img ...="..."> inside a string; no lenient parse decodes it.
    raw = ('{"@type":"NewsArticle","image":{"url":"<img width="300" src="a.jpg" />"},'
           '"isAccessibleForFree":"false"}')
    doc = page("<p>x</p>", f'<script type="application/ld+json">{raw}</script>')
    assert doc.jsonld == []
    decl = declaration(doc, None)
    assert decl.declared is True
    assert decl.signals[0].detail == "isAccessibleForFree (in malformed JSON-LD)"
