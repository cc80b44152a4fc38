"""The article's main text: a source's CSS rules when they match, else trafilatura.

Either way the text has one paragraph per block, paragraphs separated by exactly one blank line,
whitespace collapsed inside each paragraph. ``node`` is the element the text came from (the
rule's match, or the page's article container on the generic path) in the document's own tree,
so the paywall engine can look at what surrounds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.document import Document
from scraper.models import SourceRules

__all__ = ["Body", "extract_body", "node_text", "article_container", "MIN_RULE_WORDS"]

MIN_RULE_WORDS = 20  # a rule match with fewer words is taken as a miss

# Dropped from a rule's match before its text is taken.
NOISE = "script, style, noscript, template, nav, iframe, form, button, select, svg, aside, [hidden]"
# Elements that end a paragraph.
BLOCKS = (
    "p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, div, section, article, header, footer, "
    "figcaption, table, tr, dd, dt, ul, ol, dl, hr"
)
# Where the article lives on a page without rules, most specific first.
CONTAINERS = ("[itemprop~='articleBody']", "article", "[role='main']", "main")

_PARA = "\u2029"  # marks paragraph ends while the text is flattened
_INLINE_SPACE = re.compile(r"[^\S\u2029]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


@dataclass(frozen=True)
class Body:
    text: str
    node: LexborNode | None
    extractor: str  # "trafilatura" or "rules:<source>"
    rules_version: str | None = None


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
    return Body(text, article_container(doc), "trafilatura", None)


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
    return join_paragraphs((root.text(deep=True, separator="") or "").split(_PARA))


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
        nodes = doc.css(selector)
        if not nodes:
            continue
        if len(nodes) == 1:
            return nodes[0]
        return max(nodes, key=lambda n: len(n.text(deep=True) or ""))
    return None
