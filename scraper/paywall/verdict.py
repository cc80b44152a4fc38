"""Combine paywall signals into a verdict: what the publisher declares, and what the HTML holds.

Two separate facts
==================
``declared`` (True/False/None) says whether the publisher sells the article; ``access`` says what
the served HTML holds: ``full``, ``truncated`` (part of the body, the rest behind a wall) or
``locked`` (no body beyond a headline or lede). A declaration alone never makes an article
truncated: most declared-paid pages carry the whole text and draw the wall in the browser.

Declaration precedence (first that speaks wins; every source is still recorded as a signal):
source rules (``paid_url_patterns``, ``declares_all_paid``) > JSON-LD ``isAccessibleForFree`` on
the first whole-page node (breadth-first over ``@graph``; a ``hasPart`` element only when no page
node speaks) > microdata ``itemprop=isAccessibleForFree`` > ``article:content_tier``. JSON-LD
wrapped in ``//<![CDATA[ ... ]]>`` or ``<!-- -->`` is decoded (``extract.document``); a value in
JSON-LD no lenient parse decodes is still read from the raw script text (detail
``isAccessibleForFree (in malformed JSON-LD)``).

Scoring model
=============
Each signal that fires carries a weight; the truncation score is their sum.

=================================  ======  ===================================================
signal                             weight  fires when
=================================  ======  ===================================================
``notice:<lang>:<slug>``           1.0     a lexicon phrase ("Il vous reste 57% de cet article
                                           à lire", "La fin de cet article est réservée aux
                                           abonnés", "Create a free account to continue
                                           reading", ...) in the tail of the text or in the
                                           visible DOM right after the body (some phrases 0.5)
``rules:notice``                   1.0     a source's ``notice_phrases`` regex in the tail
``rules:box``                      1.0     a source's ``paywall_boxes`` selector, visible
``dom:vendor:<vendor>``            1.0     a visible server-side wall element in or right
                                           after the body: Steady, Leaky Paywall, Ghost
                                           (``gh-post-upgrade-cta``), Substack, MemberPress
``dom:vendor:<vendor>``            0.5     the same for client-side vendors, whose box is often
                                           drawn over a full text: Piano/Tinypass, Poool,
                                           Zephr, Pelcro, LaterPay, Memberful, Arc XP
``dom:paywall-box``                0.5     a visible generic paywall/regwall/subscriber-only
                                           element with offer words ("abonn", "subscri",
                                           "weiterlesen", ...), in or right after the body
                                           (boxes under 6 words, i.e. labels and empty
                                           placeholders a script fills, never count)
``css:reduced-paragraph``          1.0     faded/reduced/obfuscated body paragraphs
``haspart:selector-missing``       0.5     the paid ``hasPart`` ``cssSelector`` matches nothing
``haspart:selector-offer``         0.5     it matches only a small box, not the body
``haspart:selector-full``          -1.0    it holds >= 80% of the extracted words
``length:below-wordcount``         0.5     words < 50% of JSON-LD ``wordCount`` (>= 150)
``length:below-articlebody``       0.5     words < 50% of a plain-prose JSON-LD ``articleBody``
                                           > 150 words (Markdown/embed-code bodies don't count)
``combo:paid-and-short``           0.5     a paywall fact about this article (declared paid,
                                           or ``dom:paywall-slot``) AND words < 30% of the
                                           publisher's ``wordCount``/``articleBody``: with the
                                           length signal it reaches the threshold; neither fact
                                           alone does (both are common on full pages)
``dom:paywall-slot``               0       an empty wall placeholder (< 6 words) where the
                                           body stops; scored only through the combination
``length:near-description``        0.5     words <= 1.5 x description words + 10
``ending:ellipsis``                0.5     the last prose paragraph ends with … or ...
``ending:mid-sentence``            0.25    the last prose paragraph has no final punctuation
declarations, ``script:vendor:*``  0       recorded for the record, never scored
=================================  ======  ===================================================

``truncated`` when the score reaches 1.0: one high-precision signal (1.0) alone, or two
medium ones (0.5 + 0.5); ``locked`` when, on top of that, no more than a lede remains: fewer than
25 words, or fewer than 40 in at most one prose paragraph (>= 8 words); two real paragraphs are
a truncated body, however short.
Confidence in the access verdict: for truncated/locked, ``min(1, 0.5 + score / 4)``
(0.75 at the threshold, 1.0 at score 2); for full, ``0.95 - 0.4 x score`` clipped to [0.5, 0.99]
(a hasPart selector holding the body gives 0.99; sub-threshold evidence lowers it).

A notice found in the text is cut out of the returned text and kept as ``verdict.notice``; when
the wall is only in the DOM (a box trafilatura dropped), the box's text is the notice.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from selectolax.lexbor import LexborNode

from scraper.extract.document import Document
from scraper.models import PaywallVerdict, Signal, SourceRules
from scraper.paywall import notices, signals

THRESHOLD = 1.0
PAID_AND_SHORT = 0.5
LOCKED_WORDS = 40  # locked: under this many words, in at most one prose paragraph ...
LEDE_WORDS = 25  # ... or under this many words in any shape (a headline and a sentence)
PROSE_PARAGRAPH_WORDS = 8  # a paragraph this long is prose, not a label or a headline
_NOTICE_MAX_CHARS = 1000


@lru_cache(maxsize=256)
def _rule_patterns(phrases: tuple[str, ...]) -> tuple[object, ...]:
    return notices.compile_rule_phrases(phrases)


def score(found: tuple[Signal, ...] | list[Signal]) -> float:
    return round(sum(s.weight for s in found), 4)


def paid_and_short(
    declared: bool | None, found: list[Signal], short: str | None
) -> Signal | None:
    """``combo:paid-and-short``: the page says this article is walled (a paid declaration, or an
    empty wall placeholder where the body stops) AND the body holds under 30% of the publisher's
    own length. Either fact alone is common on full pages; together they mean the wall is in the
    served HTML. Weighs ``PAID_AND_SHORT``, so with the length signal it reaches the threshold."""
    if short is None:
        return None
    if declared is True:
        why = "declared paid"
    else:
        slot = next((s for s in found if s.name == "dom:paywall-slot"), None)
        if slot is None:
            return None
        why = f"empty wall slot {slot.detail}"
    return Signal("combo:paid-and-short", f"{why}; {short}", PAID_AND_SHORT)


def prose_paragraphs(text: str) -> int:
    # split(None, n - 1) stops after n words: len() >= n exactly when the paragraph has n words.
    limit = PROSE_PARAGRAPH_WORDS - 1
    return sum(1 for p in text.split("\n") if len(p.split(None, limit)) >= PROSE_PARAGRAPH_WORDS)


def decide(total: float, words: int, paragraphs: int = 1) -> tuple[str, float]:
    """(access, confidence) from the summed score, the words left in the text and its number of
    prose paragraphs. Locked means no body beyond a headline or lede: fewer than ``LEDE_WORDS``
    words, or fewer than ``LOCKED_WORDS`` in at most one prose paragraph; two real paragraphs
    (SPIEGEL+'s 34-word teaser) are a truncated body."""
    if total >= THRESHOLD:
        lede = words < LEDE_WORDS or (words < LOCKED_WORDS and paragraphs <= 1)
        access = "locked" if lede else "truncated"
        return access, round(min(1.0, 0.5 + total / 4), 3)
    return "full", round(min(0.99, max(0.5, 0.95 - 0.4 * total)), 3)


def assess(
    doc: Document,
    text: str,
    *,
    rules: SourceRules | None = None,
    description: str | None = None,
    body_node: LexborNode | None = None,
) -> tuple[PaywallVerdict, str]:
    """Judge what the served HTML holds; return the verdict and ``text`` without the notice.

    ``text`` is the extracted body; ``description`` the page's description (for the
    near-description length check); ``body_node`` the element a source rule selected as the body,
    when one did (otherwise the body is located in the DOM from the text's last paragraph).
    """
    text = unicodedata.normalize("NFC", text or "")
    found: list[Signal] = []
    decl = signals.declaration(doc, rules)
    found.extend(decl.signals)

    rule_patterns = _rule_patterns(rules.notice_phrases) if rules and rules.notice_phrases else ()
    notice_text: str | None = None
    expected_fraction: float | None = None
    tail = notices.find_notice(text, rule_patterns)  # type: ignore[arg-type]
    place = None
    named: set[str] = set()
    if tail is not None:
        place = signals.body_place(doc, text, body_node)
        if _notice_visible(doc, tail, place):
            for match in tail.matches:
                if match.name in named:
                    continue
                named.add(match.name)
                found.append(Signal(match.name, match.matched, match.tier))
                if match.expected_fraction is not None and expected_fraction is None:
                    expected_fraction = match.expected_fraction
            notice_text = tail.notice[:_NOTICE_MAX_CHARS]
            text = tail.text
            place = None  # the body ends earlier now; locate it again below
        else:
            found.append(Signal("notice:hidden", tail.matches[0].matched, 0.0))
            tail = None

    body_words = signals.count_words(text)
    if place is None:
        place = signals.body_place(doc, text, body_node)

    found.extend(signals.haspart_signals(doc, body_words))
    dom, box_text = signals.dom_signals(doc, place, body_words, rules)
    found.extend(dom)
    dom_notice, dom_notice_text = signals.dom_notice_signals(place, named)
    found.extend(dom_notice)
    lengths = signals.publisher_lengths(doc)
    found.extend(signals.length_signals(doc, body_words, description, lengths))
    found.extend(signals.ending_signals(text))
    found.extend(signals.script_signals(doc))

    combo = paid_and_short(decl.declared, found, signals.far_below(lengths, body_words))
    if combo is not None:
        found.append(combo)

    total = score(found)
    access, confidence = decide(total, body_words, prose_paragraphs(text))
    if access != "full" and notice_text is None:
        notice_text = (dom_notice_text or box_text or None)
        if notice_text:
            notice_text = " ".join(notice_text.split())[:_NOTICE_MAX_CHARS]
    verdict = PaywallVerdict(
        access=access,  # type: ignore[arg-type]
        declared=decl.declared,
        confidence=confidence,
        signals=tuple(found),
        notice=notice_text if access != "full" or tail is not None else None,
        expected_fraction=expected_fraction,
    )
    return verdict, text


def _notice_visible(doc: Document, tail: notices.TailNotice, place: signals.BodyPlace | None) -> bool:
    """False when the matched notice sits only in hidden elements or page chrome of the DOM."""
    snippet = " ".join(tail.matches[0].matched.split()[:6])
    try:
        nodes = doc.tree.css(f'body :lexbor-contains("{signals._css_string(snippet)}" i)')
    except Exception:
        return True
    if not nodes:
        return True  # the text differs from the DOM (entities, spacing): trust the text
    deepest = _deepest(nodes)
    return any(signals.hidden_or_chrome(n, self_may_be_box=False) is None for n in deepest)


def _deepest(nodes: list[LexborNode]) -> list[LexborNode]:
    """The matches that contain no other match (the elements that hold the phrase itself)."""
    parents: set[int] = set()
    for node in nodes:
        parent = node.parent
        if parent is not None:
            parents.add(parent.mem_id)
    # A node whose id is some other match's parent contains that match.
    return [n for n in nodes if n.mem_id not in parents][:10]
