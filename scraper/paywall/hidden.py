"""Hidden text is not article text: the rest of an article kept in the HTML but not shown.

Some walls serve the whole article and hide all but a teaser: ``display:none``, the ``hidden``
attribute, ``visibility:hidden``, a blur filter, or a clipped container that fades out. We do not
bypass them: the hidden part is found here, reported as ``dom:hidden-body``, and, when the
verdict finds a wall, cut from ``text`` (it stays only in the raw response).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from scraper.extract.words import count_words
from scraper.paywall.dom import HIDDEN_STYLE, BodyPlace, in_chrome

MIN_HIDDEN_WORDS = 40  # less than this is a template, a label or a caption, not the article
_CANDIDATES = (
    "[hidden], [style*=none i], [style*=hidden i], [style*=blur i], [style*=max-height i], "
    "[class*=blur i], [class*=hidden i], [aria-hidden=true]"
)
_STYLE_BLUR = re.compile(r"filter\s*:\s*blur|-webkit-filter\s*:\s*blur", re.IGNORECASE)
_STYLE_CLIP = re.compile(r"max-height\s*:\s*\d", re.IGNORECASE)
_STYLE_OVERFLOW = re.compile(r"overflow(?:-y)?\s*:\s*hidden", re.IGNORECASE)
_CLASS_BLUR = re.compile(r"(?:^|[\s_-])blur(?:red|ry)?(?:$|[\s_-])", re.IGNORECASE)
_CLASS_HIDDEN = frozenset({"hidden", "is-hidden", "u-hidden", "display-none", "js-hidden"})
_PROSE_TAGS = "p, li, h2, h3, blockquote"


@dataclass(frozen=True)
class HiddenBody:
    how: str  # "hidden", "blurred", "clipped"
    node: LexborNode
    words: int
    paragraphs: tuple[str, ...]  # the hidden prose, spaces collapsed, NFC


def _how(node: LexborNode) -> str | None:
    attrs = node.attributes
    style = attrs.get("style") or ""
    if "hidden" in attrs or HIDDEN_STYLE.search(style):
        return "hidden"
    if attrs.get("aria-hidden") == "true":
        return "hidden"
    cls = (attrs.get("class") or "").lower()
    if cls and not _CLASS_HIDDEN.isdisjoint(cls.split()):
        return "hidden"
    if _STYLE_BLUR.search(style) or (cls and _CLASS_BLUR.search(cls)):
        return "blurred"
    if _STYLE_CLIP.search(style) and _STYLE_OVERFLOW.search(style):
        return "clipped"
    return None


def _paragraphs(node: LexborNode) -> tuple[str, ...]:
    found = [" ".join((p.text(deep=True) or "").split()) for p in node.css(_PROSE_TAGS)[:200]]
    if not found:
        found = [" ".join((node.text(deep=True, separator=" ") or "").split())]
    return tuple(unicodedata.normalize("NFC", p) for p in found if p)


def find_hidden_body(place: BodyPlace | None) -> HiddenBody | None:
    """The first element in the body's region that holds hidden prose of ``MIN_HIDDEN_WORDS``
    or more (two paragraphs of 12+ words): right after the body's end, around it (the end of the
    extracted text is itself inside hidden or blurred markup, when the extractor kept it), or
    before text the extractor kept past the body (a byline, an author's bio)."""
    if place is None:
        return None
    try:
        candidates = place.region.css(_CANDIDATES)
    except Exception:
        return None
    for node in candidates[:60]:
        if node.tag in ("script", "style", "template", "noscript", "svg", "iframe", "img"):
            continue
        how = _how(node)
        if how is None or in_chrome(node):
            continue
        paragraphs = _paragraphs(node)
        words = sum(count_words(p) for p in paragraphs)
        if words < MIN_HIDDEN_WORDS:
            continue
        long_ones = sum(1 for p in paragraphs if len(p.split()) >= 12)
        if long_ones < 2 and words < 2 * MIN_HIDDEN_WORDS:
            continue  # a box or a template, not paragraphs of an article
        return HiddenBody(how, node, words, paragraphs)
    return None


def visible_text(text: str, hidden: HiddenBody) -> str:
    """``text`` without the paragraphs that are in the hidden element.

    A clipped container shows its first lines: its first paragraph stays when the container
    holds the whole body, so a reader's teaser is kept.
    """
    hidden_set = {" ".join(p.split()) for p in hidden.paragraphs}
    blob = "\n".join(hidden_set)
    kept: list[str] = []
    dropped = 0
    for line in text.split("\n"):
        key = " ".join(line.split())
        if key and (key in hidden_set or (len(key) >= 40 and key in blob)):
            if hidden.how == "clipped" and not any(k.strip() for k in kept) and dropped == 0:
                kept.append(line)  # the first lines of a clipped container are seen
                dropped += 1
                continue
            dropped += 1
            continue
        kept.append(line)
    return "\n".join(kept).strip()
