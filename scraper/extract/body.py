"""The article's main text: a source's CSS rules when they match, else trafilatura.

On the generic path, when trafilatura's text is far shorter than the page's own JSON-LD
``articleBody`` (under half its words, the articleBody at least ``MIN_ARTICLEBODY_WORDS``), the
articleBody is taken instead (``extractor="jsonld-articlebody"``): the publisher's full text is in
the HTML we got, while trafilatura found only a caption or a teaser (SCMP: 24 words of 702).
Only a plain-prose articleBody counts; one written in markup (Markdown links, embed codes, HTML
blocks) is left alone.

Either way the text has one paragraph per block, paragraphs separated by exactly one blank line,
whitespace collapsed inside each paragraph. ``node`` is the element the text came from (the
rule's match, or the page's article container on the generic path) in the document's own tree,
so the paywall engine can look at what surrounds it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.document import Document
from scraper.models import SourceRules

__all__ = ["Body", "extract_body", "node_text", "article_container", "MIN_RULE_WORDS"]

MIN_RULE_WORDS = 20  # a rule match with fewer words is taken as a miss
MIN_ARTICLEBODY_WORDS = 150  # a JSON-LD articleBody shorter than this never replaces the text
ARTICLEBODY_RATIO = 0.5  # ... nor one the extracted text already holds half of

# Dropped from a rule's match before its text is taken.
NOISE = "script, style, noscript, template, nav, iframe, form, button, select, svg, aside, [hidden]"
# Elements that end a paragraph.
BLOCKS = (
    "p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, div, section, article, header, footer, "
    "figcaption, table, tr, dd, dt, ul, ol, dl, hr"
)
# Where the article lives on a page without rules, most specific first.
CONTAINERS = ("[itemprop~='articleBody']", "article", "[role='main']", "main")
_ITEMPROP_CONTAINER = CONTAINERS[0]

_PARA = "\u2029"  # marks paragraph ends while the text is flattened
_INLINE_SPACE = re.compile(r"[^\S\u2029]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


@dataclass(frozen=True)
class Body:
    text: str
    node: LexborNode | None
    extractor: str  # "trafilatura", "rules:<source>" or "jsonld-articlebody"
    rules_version: str | None = None
    shown: str | None = None  # with a JSON-LD articleBody: the text the page shows (trafilatura's)


def extract_body(doc: Document, rules: SourceRules | None) -> Body:
    if rules is not None and rules.body:
        for selector in rules.body:
            node = doc.css_first(selector)
            if node is None:
                continue
            text = node_text(node, remove=rules.remove)
            if len(text.split()) >= MIN_RULE_WORDS:
                return Body(text, node, f"rules:{rules.name}", rules.rules_version)
            break  # first match wins; too short means the layout changed: fall back
    text = _trafilatura_text(doc)
    container = article_container(doc)
    article_body = jsonld_article_body(doc)
    if article_body is not None:
        ab_words = len(article_body.split())
        if ab_words >= MIN_ARTICLEBODY_WORDS and len(text.split()) < ARTICLEBODY_RATIO * ab_words:
            return Body(article_body, container, "jsonld-articlebody", None, shown=text)
    return Body(text, container, "trafilatura", None)


_MARKUP = re.compile(r"\]\(|\[#|\{:|\|\|\||\+\+\+|^#{1,6} |<(?:p|div|br|span|a|img|figure)\b",
                     re.IGNORECASE | re.MULTILINE)
_TAG = re.compile(r"<[^>]{0,300}>")
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"”»’)]))\s+(?=[\"“„«¿¡(]?[A-ZÀ-ÖØ-ÞĀ-ſ])"
)
_PARA_WORDS = 80  # target paragraph length when the articleBody has no line breaks


def jsonld_article_body(doc: Document) -> str | None:
    """The first plain-prose JSON-LD ``articleBody`` of the page as paragraphs, or None.

    Entities are unescaped and stray inline tags dropped; an articleBody written in markup
    (Markdown links, ``[#image: ...]`` embeds, ``|||`` captions, HTML blocks) is refused, as its
    words are not the article's. Paragraphs are the articleBody's own line breaks; without any,
    sentences are grouped into paragraphs of about ``_PARA_WORDS`` words (the breaks are
    approximate, the words are the publisher's).
    """
    for node in doc.jsonld:
        value = node.get("articleBody")
        if not isinstance(value, str) or not value.strip():
            continue
        if "&" in value:
            value = html.unescape(value)
        if _MARKUP.search(value):
            return None
        value = _TAG.sub(" ", value)
        if "\n" in value:
            return join_paragraphs(value.split("\n"))
        return join_paragraphs(_group_sentences(value))
    return None


def _group_sentences(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in _SENTENCE_END.split(text):
        current.append(sentence.strip())
        words += len(sentence.split())
        if words >= _PARA_WORDS:
            paragraphs.append(" ".join(current))
            current, words = [], 0
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def node_text(node: LexborNode, *, remove: tuple[str, ...] = ()) -> str:
    """The text of ``node`` as paragraphs separated by a blank line; the document is untouched
    (the work happens on a copy), and ``remove`` selectors are dropped first."""
    copy = LexborHTMLParser(node.html or "")
    root = copy.body or copy.root
    if root is None:
        return ""
    for selector in (NOISE, *remove):
        try:
            found = root.css(selector)
        except Exception:  # a bad selector in a rule must not break extraction
            continue
        for bad in found:
            bad.decompose()
    for block in root.css(BLOCKS):
        block.insert_before(_PARA)
        block.insert_after(_PARA)
    for br in root.css("br"):
        br.insert_after(_PARA)
    # join_paragraphs' two substitutions, made once on the whole text rather than once per
    # paragraph (most of which are the empty strings between adjacent blocks): neither touches
    # the paragraph mark, so no run crosses it and the result is the same.
    flat = _INLINE_SPACE.sub(" ", _ZERO_WIDTH.sub("", root.text(deep=True, separator="") or ""))
    return "\n\n".join(para for para in (part.strip() for part in flat.split(_PARA)) if para)


def join_paragraphs(paragraphs: list[str]) -> str:
    out = []
    for para in paragraphs:
        para = _INLINE_SPACE.sub(" ", _ZERO_WIDTH.sub("", para)).strip()
        if para:
            out.append(para)
    return "\n\n".join(out)


def _trafilatura_text(doc: Document) -> str:
    text = trafilatura.extract(
        doc.html,
        url=doc.url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        favor_precision=False,
        favor_recall=False,
        with_metadata=False,
        output_format="txt",
    )
    if not text:
        return ""
    return join_paragraphs(text.split("\n"))


def article_container(doc: Document) -> LexborNode | None:
    """The element holding the article on a page without rules (None when nothing fits)."""
    for selector in CONTAINERS:
        if selector == _ITEMPROP_CONTAINER and not doc.may_have_itemprop("articleBody"):
            continue
        nodes = doc.css(selector)
        if not nodes:
            continue
        if len(nodes) == 1:
            return nodes[0]
        return max(nodes, key=lambda n: len(n.text(deep=True) or ""))
    return None
