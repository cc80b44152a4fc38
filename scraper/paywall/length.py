"""Length and ending evidence: is the served body shorter than the article the page describes?

The publisher's own lengths (JSON-LD ``wordCount``, a plain-prose ``articleBody``,
``timeRequired``, a reading-time label such as "5 min read" or "Lesezeit 4 Minuten"), the
description, a paid ``hasPart`` whose element is missing, and how the body ends (an ellipsis, a
sentence cut in the middle).
"""

from __future__ import annotations

import re
from typing import Any

from scraper.extract.body import jsonld_article_body
from scraper.extract.document import Document, jsonld_types
from scraper.extract.words import CJK as _CJK
from scraper.extract.words import count_words
from scraper.models import Signal
from scraper.paywall.declared import _free_value
from scraper.paywall.dom import MAX_DEPTH as _MAX_DEPTH
from scraper.paywall.dom import pruned

M = 0.5
L = 0.25
FULL_EVIDENCE = -1.0

_CLASS_SELECTOR = re.compile(r"^[.#\[][^{};]{0,200}$")


def haspart_signals(doc: Document, body_words: int) -> list[Signal]:
    """Check each paid ``hasPart`` ``cssSelector`` against the served DOM."""
    selectors: list[str] = []
    for node in doc.jsonld:
        for key, parts in node.items():
            if not (isinstance(key, str) and key.lower() == "haspart"):
                continue
            for part in parts if isinstance(parts, list) else [parts]:
                if not isinstance(part, dict):
                    continue
                free = _free_value(part)
                if free is not None and free[1]:
                    continue
                sel = part.get("cssSelector")
                if isinstance(sel, str) and _CLASS_SELECTOR.match(sel.strip()):
                    if sel.strip() not in selectors:
                        selectors.append(sel.strip())
    out: list[Signal] = []
    for sel in selectors[:4]:
        matches = doc.css(sel)
        if not matches:
            out.append(Signal("haspart:selector-missing", sel, M))
            continue
        # Outermost matches only, so nested elements are not counted twice.
        ids = {m.mem_id for m in matches}
        words = 0
        for m in matches:
            parent = m.parent
            nested = False
            depth = 0
            while parent is not None and depth < _MAX_DEPTH:
                if parent.mem_id in ids:
                    nested = True
                    break
                parent = parent.parent
                depth += 1
            if not nested:
                words += count_words(m.text(deep=True, separator=" ") or "")
        if body_words >= 40 and words >= 0.8 * body_words:
            out.append(Signal("haspart:selector-full", f"{sel}: {words} words", FULL_EVIDENCE))
        elif words < max(80, 0.3 * body_words):
            out.append(Signal("haspart:selector-offer", f"{sel}: {words} words", M))
    return out


_ELLIPSIS_END = re.compile(r"(?:\.{3}|…|\[…\]|\(…\)|\[\.\.\.\]|\(\.\.\.\))\s*[\"”»“']?\s*$")
_LIST_ITEM = re.compile(r"\s*(?:[-–—•·*]|\d+[.)])\s")  # "- Related title…", "3. Title…"
_TERMINAL_END = re.compile(r"[.!?…。！？»\"”“')\]:;»—–\-]\s*$|[\u3002\uff01\uff1f]\s*$")
_ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BlogPosting", "BackgroundNewsArticle", "ReviewNewsArticle", "Report", "ScholarlyArticle",
     "TechArticle", "LiveBlogPosting", "SocialMediaPosting", "WebPage", "CreativeWork"}
)


def _article_nodes(doc: Document) -> list[dict[str, Any]]:
    return [n for n in doc.jsonld if jsonld_types(n) & _ARTICLE_TYPES]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        digits = re.sub(r"[\s,.\u00a0]", "", value)
        if digits.isdigit():
            return int(digits)
    return None


FAR_BELOW = 0.3  # "far below" the publisher's own length, for the paid-and-short combination


def publisher_lengths(doc: Document) -> tuple[int | None, int]:
    """(JSON-LD ``wordCount``, words of a plain-prose JSON-LD ``articleBody`` or 0)."""
    declared_count: int | None = None
    for node in _article_nodes(doc):
        declared_count = _int(node.get("wordCount"))
        if declared_count is not None:
            break
    article_body = jsonld_article_body(doc)  # plain prose only: markup words are not the text's
    return declared_count, count_words(article_body) if article_body else 0


def far_below(lengths: tuple[int | None, int], body_words: int) -> str | None:
    """A detail when the body has under ``FAR_BELOW`` of the publisher's own length, else None."""
    declared_count, article_body_words = lengths
    if declared_count and declared_count >= 150 and body_words < FAR_BELOW * declared_count:
        return f"{body_words} of {declared_count} words (wordCount)"
    if article_body_words > 150 and body_words < FAR_BELOW * article_body_words:
        return f"{body_words} of {article_body_words} words (articleBody)"
    return None


def length_signals(
    doc: Document,
    body_words: int,
    description: str | None,
    lengths: tuple[int | None, int] | None = None,
) -> list[Signal]:
    out: list[Signal] = []
    declared_count, article_body_words = lengths or publisher_lengths(doc)
    if declared_count and declared_count >= 150 and body_words < 0.5 * declared_count:
        out.append(Signal("length:below-wordcount", f"{body_words} of {declared_count} words", M))
    if article_body_words > 150 and body_words < 0.5 * article_body_words:
        out.append(
            Signal("length:below-articlebody", f"{body_words} of {article_body_words} words", M)
        )
    if description:
        desc_words = count_words(description)
        if desc_words >= 12 and body_words <= 1.5 * desc_words + 10:
            out.append(
                Signal("length:near-description", f"{body_words} words, description {desc_words}", M)
            )
    return out


def ending_signals(text: str) -> list[Signal]:
    """The last prose paragraph ends with an ellipsis, or without terminal punctuation."""
    paragraphs = [p.strip() for p in text.rstrip().split("\n") if p.strip()]
    # The body's last prose paragraph: short closing lines (a byline, "Write to ...", list items
    # of related links) after it are skipped, at most 12 of them.
    last = None
    tail = paragraphs[-13:]
    for index in range(len(tail) - 1, -1, -1):
        para = tail[index]
        if len(para.split()) >= 12 or len(_CJK.findall(para)) >= 15:
            last = para
            break
        if len(para.split()) >= 8 and _ELLIPSIS_END.search(para) and not _LIST_ITEM.match(para) \
                and index > 0 and len(tail[index - 1].split()) >= 12:
            last = para  # a paragraph cut short, right after the body's prose
            break
    if last is None:
        return []
    if _ELLIPSIS_END.search(last):
        return [Signal("ending:ellipsis", last[-60:], M)]
    if not _TERMINAL_END.search(last):
        return [Signal("ending:mid-sentence", last[-60:], L)]
    return []




# ---------------------------------------------------------------------------------------------
# Reading time: "5 min read", "Lesezeit: 4 Min.", "lecture 6 min", JSON-LD timeRequired "PT5M"
# ---------------------------------------------------------------------------------------------

WORDS_PER_MINUTE = 200  # the low end of what sites assume (200-265): expected words err short
MIN_MINUTES = 3  # a 1-2 minute label says too little about the length
# Minutes next to a "read/reading" word, in the languages of the lexicon. The number may stand
# before or after the word ("5 min read", "Lesezeit: 5 Minuten", "読了時間：約5分").
_MIN = r"(?:min(?:\.|s|ute[ns]?|uti|utos?|utes?|uto|utter|uter|uuttia|ut|uty|ut)?|perc|dakika|мин(?:ут[аы]?|\.)?|хв(?:илин[аи]?)?|λεπτά|phút|menit|मिनट|دقائق|دقيقة|분|分(?:钟|鐘)?)"
_READ = (r"(?:read(?:ing)?|lesezeit|lesedauer|lecture|lectura|lettura|leitura|leestijd|läsetid|"
         r"lesetid|læsetid|lukuaika|czytania|čtení|olvasási|citire|okuma|чтения|читання|"
         r"ανάγνωση[ςη]?|読了|阅读|閱讀|읽는|قراءة|baca|đọc|पढ़ने)")
_READING_TIME = re.compile(
    rf"{_READ}[^\d\n]{{0,20}}?(\d{{1,2}})\s*{_MIN}(?!\w)|(\d{{1,2}})\s*{_MIN}(?!\w)[^\d\n]{{0,12}}?{_READ}",
    re.IGNORECASE,
)
_ISO_MINUTES = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?", re.IGNORECASE)
_LABEL_SELECTOR = (
    "[class*=read i][class*=time i], [class*=reading i], [class*=lesezeit i], [class*=lesedauer i], "
    "[class*=duration i], time, [class*=meta i] span"
)


def reading_minutes(doc: Document) -> tuple[int, str] | None:
    """(minutes, where) from JSON-LD ``timeRequired`` or a short reading-time label."""
    for node in _article_nodes(doc):
        value = node.get("timeRequired")
        if isinstance(value, str):
            m = _ISO_MINUTES.match(value.strip())
            if m and (m.group(1) or m.group(2)):
                return int(m.group(1) or 0) * 60 + int(m.group(2) or 0), f"timeRequired {value}"
    query = pruned(_LABEL_SELECTOR, doc.tree)  # the same elements, for less
    for node in (doc.css(query) if query else [])[:40]:
        label = " ".join((node.text(deep=True) or "").split())
        if not label or len(label) > 60:
            continue
        m = _READING_TIME.search(label)
        if m:
            return int(m.group(1) or m.group(2)), label
    return None


def reading_time_signals(doc: Document, body_words: int) -> list[Signal]:
    """The body holds under 40% of the words the page's reading time stands for."""
    got = reading_minutes(doc)
    if got is None:
        return []
    minutes, where = got
    if minutes < MIN_MINUTES:
        return []
    expected = minutes * WORDS_PER_MINUTE
    if body_words < 0.4 * expected:
        return [Signal("length:below-reading-time", f"{body_words} words, {where}", M)]
    return []
