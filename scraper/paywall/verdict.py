"""Combine paywall signals into a verdict: what the publisher declares, and what the HTML holds.

Two separate facts
==================
``declared`` (True/False/None, :mod:`scraper.paywall.declared`) says whether the publisher sells
the article; ``access`` says what the served HTML holds: ``full``, ``truncated`` (part of the
body, the rest behind a wall) or ``locked`` (no body beyond a headline or lede). A declaration
alone never makes an article truncated: most declared-paid pages carry the whole text and draw
the wall in the browser. ``model`` names the kind of wall (hard, metered, registration,
freemium) when the page says.

How a verdict is reached
========================
1. The evidence is gathered once (:class:`~scraper.paywall.signals.Evidence`): the notice at the
   end of the text, found by meaning (:mod:`scraper.paywall.blocks`, vocabulary in
   :mod:`scraper.paywall.lexicon`) and cut out of the text; the visible blocks right after the
   body; wall boxes (:mod:`scraper.paywall.boxes`); hidden or blurred body parts
   (:mod:`scraper.paywall.hidden`); the publisher's declarations and lengths.
2. Every registered signal function runs over it (a loop over
   :data:`scraper.paywall.signals.REGISTRY`).
3. The fitted model (:mod:`scraper.paywall.model`, numbers in ``weights.json``) turns the
   signals' features into the probability that this copy is walled; ``truncated`` at or above
   the model's threshold, ``locked`` when, on top of that, no more than a lede remains: fewer
   than 25 words, or fewer than 80 in at most one prose paragraph (>= 8 words).
4. Confidence is that probability for a walled verdict and its complement for a full one.

A notice found at the end of the text is cut out whatever the verdict and kept as ``notice``;
when the wall is only in the DOM (a box the extractor dropped), the box's text is the notice.
Hidden body text is cut from the text when the verdict finds a wall, and whatever the verdict
when it is the rest of the body (after the visible end, or the body's own container clipped).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from selectolax.lexbor import LexborNode

from scraper.extract.document import Document
from scraper.extract.words import count_words, has_words
from scraper.models import PaywallVerdict, SourceRules
from scraper.paywall import blocks as notice_blocks
from scraper.paywall.blocks import Block
from scraper.paywall.boxes import BoxHit, find_boxes
from scraper.paywall.declared import declaration, wall_model
from scraper.paywall.dom import (
    NEXT_GAP_WORDS,
    NEXT_LEVELS,
    NEXT_STEPS,
    BodyPlace,
    body_place,
    css_string,
    following_blocks,
    hidden_or_chrome,
    placed_after_body,
    prose_places,
    region_of,
    shown_text,
)
from scraper.paywall.hidden import (
    HiddenBody,
    find_hidden_body,
    find_hidden_in_text,
    hidden_blob,
    is_hidden_line,
    visible_text,
)
from scraper.paywall.length import publisher_lengths
from scraper.paywall.model import model
from scraper.paywall.signals import LONG_BODY_WORDS, Evidence, collect, rule_box_hit

LOCKED_WORDS = 80  # locked: under this many words, in at most one prose paragraph (a lede) ...
LEDE_WORDS = 25  # ... or under this many words in any shape (a headline and a sentence)
PROSE_PARAGRAPH_WORDS = 8  # a paragraph this long is prose, not a label or a headline
# Counting a body's paragraphs for `locked`, a shorter line is a headline, a kicker, a caption or
# a byline the extractor kept around a lede (a news paragraph runs longer).
LEDE_PARAGRAPH_WORDS = 12
_NOTICE_MAX_CHARS = 1000


@lru_cache(maxsize=256)
def _rule_patterns(phrases: tuple[str, ...]) -> tuple[object, ...]:
    import re

    out = []
    for p in phrases:
        try:
            out.append(re.compile(unicodedata.normalize("NFC", p), re.IGNORECASE))
        except re.error:
            continue  # a bad rule regex must not break extraction; sources/ validates on load
    return tuple(out)


def prose_paragraphs(text: str, least: int = PROSE_PARAGRAPH_WORDS) -> int:
    """Paragraphs of ``least`` words or more (Chinese and Japanese counted as
    :func:`~scraper.extract.words.count_words` does: they write no spaces)."""
    return sum(1 for p in text.split("\n") if has_words(p, least))


def is_lede(words: int, paragraphs: int) -> bool:
    """No body beyond a headline or lede: fewer than ``LEDE_WORDS`` words, or fewer than
    ``LOCKED_WORDS`` in at most one prose paragraph; two real paragraphs (SPIEGEL+'s 34-word
    teaser) are a truncated body."""
    return words < LEDE_WORDS or (words < LOCKED_WORDS and paragraphs <= 1)


def assess(
    doc: Document,
    text: str,
    *,
    rules: SourceRules | None = None,
    description: str | None = None,
    body_node: LexborNode | None = None,
) -> tuple[PaywallVerdict, str]:
    """Judge what the served HTML holds; return the verdict and ``text`` without the notice
    (and without hidden body text when a wall is found).

    ``text`` is the extracted body; ``description`` the page's description (for the
    near-description length check); ``body_node`` the element a source rule selected as the body,
    when one did (otherwise the body is located in the DOM from the text's last paragraph).
    """
    text = unicodedata.normalize("NFC", text or "")
    decl = declaration(doc, rules)
    patterns = _rule_patterns(rules.notice_phrases) if rules and rules.notice_phrases else ()
    notice = notice_blocks.find_tail_notice(text, patterns)  # type: ignore[arg-type]
    if notice is None:
        notice = notice_blocks.find_inner_notice(text)
    notice_hidden: str | None = None
    part = notice_blocks.find_tail_part(text) if notice is None else None
    if notice is not None:
        if _notice_visible(doc, notice.notice):
            earlier = notice_blocks.notice_before(text, notice, patterns)  # type: ignore[arg-type]
            if earlier is not None and _notice_visible(doc, earlier.notice):
                notice = notice_blocks.joined(earlier, notice)
            text = notice.text
        else:
            notice_hidden, notice = notice.notice, None

    place = body_place(doc, text, body_node)
    hidden, visible, place, hidden_rest, hidden_next = _hidden_part(doc, text, place, body_node)
    body_words = count_words(visible)
    chunks = following_blocks(place) if place is not None else []
    if hidden is not None:  # the hidden rest is not a block after the body: what follows it is
        chunks = [(n, t) for n, t in chunks if n is None or n.mem_id != hidden.node.mem_id]
    blocks = notice_blocks.after_blocks(chunks)
    boxes = find_boxes(place, body_words)
    if notice is None and not boxes and not any(b.reads_as_notice or b.asks_for_access
                                                for b in blocks):
        place, blocks, boxes = _wall_elsewhere(doc, visible, body_node, place, blocks, boxes,
                                               body_words)
    near_end = None
    region = place.region if place is not None else doc.tree.body
    if notice is None and region is not None and not any(b.reads_as_notice for b in blocks):
        lines = visible.split("\n")
        near_end = notice_blocks.near_end_notice(
            region, _first_prose(lines),
            lambda n: hidden_or_chrome(n, self_may_be_box=False) is None,
            _first_prose(reversed(lines)))
    ev = Evidence(
        doc=doc, text=visible, body_words=body_words, rules=rules, description=description,
        place=place, declaration=decl, lengths=publisher_lengths(doc), notice=notice,
        notice_hidden=notice_hidden, part=part, blocks=blocks, boxes=boxes,
        hidden=hidden, hidden_rest=hidden_rest, hidden_next=hidden_next,
        rule_box=rule_box_hit(doc, rules), near_end=near_end,
    )
    fitted = model()
    signals, features = fitted.weigh(collect(ev))
    p = fitted.probability(features)
    walled = p >= fitted.threshold
    if hidden is not None and (walled or hidden_rest):
        # What a reader sees: a hidden rest after a visible teaser is never article text. A
        # body hidden whole, with no wall found, is a page that reveals it by script: kept.
        text = visible

    notice_text = notice.notice if notice is not None else None
    concepts = notice.concepts if notice is not None else frozenset()
    if notice_text is None:
        # A notice block found in the DOM (near the body's end, or right after it) is taken out
        # of the text when the extractor kept it: whatever the verdict when it reads as a
        # notice; when the verdict is a wall, also a block that only asks for access or a box.
        block = near_end or next((b for b in blocks if b.reads_as_notice), None)
        if walled and block is None:
            block = next((b for b in blocks if b.asks_for_access), None)
        box = next((h for h in ev.boxes if h.text), None)
        if block is not None:
            notice_text, concepts = notice_blocks.own_text(block.text, visible), block.concepts
        elif walled and ev.rule_box is not None:
            notice_text = " ".join((ev.rule_box[1].text(deep=True) or "").split()) or None
        elif walled and box is not None:
            notice_text = notice_blocks.own_text(box.text, visible)
        elif walled and part is not None:
            # Closing lines read in part are the wall's when the verdict finds one.
            notice_text, concepts = part.notice, part.concepts
        if notice_text:
            text = notice_blocks.cut_block(text, notice_text)
    if walled:
        access = "locked" if is_lede(count_words(text), prose_paragraphs(text, LEDE_PARAGRAPH_WORDS)) \
            else "truncated"
        confidence = p
    else:
        access, confidence = "full", 1.0 - p
    if notice_text:
        notice_text = notice_text.strip()[:_NOTICE_MAX_CHARS]
    verdict = PaywallVerdict(
        access=access,  # type: ignore[arg-type]
        declared=decl.declared,
        confidence=round(confidence, 3),
        signals=tuple(signals),
        notice=notice_text or None,
        expected_fraction=notice.expected_fraction if notice is not None else None,
        model=wall_model(signals, concepts, walled),
    )
    return verdict, text


def _hidden_part(doc: Document, text: str, place: BodyPlace | None, body_node: LexborNode | None
                 ) -> tuple[HiddenBody | None, str, BodyPlace | None, bool, bool]:
    """(the hidden body part, the visible text, the body's place by its visible end, whether the
    hidden part is a rest after a visible teaser, whether it is the very next thing after it)."""
    hidden = find_hidden_body(place)
    visible = text
    hidden_rest = hidden_next = False
    in_text = None if hidden is not None else find_hidden_in_text(doc.tree.body, text)
    if in_text is not None:
        # Hidden prose the extractor took, found by its lines (the body's place was not near
        # it): a rest when visible prose precedes it in the text, the next thing when the line
        # right before it is visible prose.
        hidden = in_text
        visible = visible_text(text, hidden, hidden_blob(hidden, region_of(hidden.node)))
        place = body_place(doc, visible, body_node) or place
        hidden_rest, hidden_next = _continues(text, hidden)
        hidden_next = hidden_next and hidden.continues_prose
    elif hidden is not None:
        blob = hidden_blob(hidden, place.region if place else None)
        visible = visible_text(text, hidden, blob)
        # What follows the body is what follows its visible end: the wall box comes after the
        # hidden rest. When the extractor took the hidden lines, the visible end is the last
        # prose before them (what it kept after them is past the article: a copyright line,
        # comments, a bio).
        place = body_place(doc, _before_hidden(text, hidden, blob) or visible, body_node) or place
        # The rest of *this* body: right after the visible end, or the body's own container
        # clipped. Elsewhere in the region it may be a template or a collapsed extra.
        hidden_rest = place is not None and placed_after_body(hidden.node, place) is not False
        # The very next thing after the visible end, with (almost) nothing between: the rest
        # of this body, not a modal, a tab or a sidebar list elsewhere in the region.
        hidden_next = hidden_rest and hidden.continues_prose and place is not None and \
            placed_after_body(hidden.node, place, steps_at_most=NEXT_STEPS,
                              gap_at_most=NEXT_GAP_WORDS, levels_at_most=NEXT_LEVELS) is True
    if hidden_rest and not _teaser(visible):
        # Nothing visible before it: the body is hidden whole (a page that reveals it by
        # script), not a rest hidden after a teaser.
        hidden_rest = hidden_next = False
    return hidden, visible, place, hidden_rest, hidden_next


def _wall_elsewhere(doc: Document, visible: str, body_node: LexborNode | None,
                    place: BodyPlace | None, blocks: list[Block], boxes: list[BoxHit],
                    body_words: int) -> tuple[BodyPlace | None, list[Block], list[BoxHit]]:
    """Nothing was found after the body: look where else it may end.

    The extracted text may end past the wall: a donation ask, a byline, a cookie note kept after
    it. The body may then end at its previous prose paragraph; or the extractor took something
    else for the body of a short teaser, and the wall stands where the page's own paragraphs
    stop (there, only a block that reads as a notice counts: a box or an offer after some other
    element's paragraphs says nothing; a long extracted text is a body the extractor did find).
    """
    earlier = _without_last_prose(visible)
    other = body_place(doc, earlier, body_node) if earlier else None
    if other is not None and place is not None and other.anchor.mem_id != place.anchor.mem_id:
        other_blocks = notice_blocks.after_blocks(following_blocks(other))
        other_boxes = find_boxes(other, body_words)
        if other_boxes or any(b.reads_as_notice or b.asks_for_access for b in other_blocks):
            return other, other_blocks, other_boxes
    if body_words >= LONG_BODY_WORDS:
        return place, blocks, boxes
    for other in prose_places(doc, place.anchor if place is not None else None):
        if place is not None and other.anchor.mem_id == place.anchor.mem_id:
            continue
        own = notice_blocks.read_block(other.anchor, " ".join(shown_text(other.anchor).split()))
        if not own.reads_as_notice and other.anchor.parent is not None and \
                other.anchor.parent.tag not in ("body", "html"):
            # ... or the short box it closes (a notice sentence, then an offer line).
            box = other.anchor.parent
            own = notice_blocks.read_block(box, " ".join(shown_text(box).split()))
        # The paragraph itself may be the notice (a sentence after the teaser's last one).
        other_blocks = [own] if own.reads_as_notice and own.words >= 5 else \
            notice_blocks.after_blocks(following_blocks(other))
        if any(b.reads_as_notice for b in other_blocks):
            return other, other_blocks, []
    return place, blocks, boxes


def _continues(text: str, hidden: HiddenBody) -> tuple[bool, bool]:
    """(visible prose comes before the hidden lines in ``text``, the line right before them is
    visible prose)."""
    hidden_lines = {" ".join(p.split()) for p in hidden.paragraphs}
    before: list[str] = []
    for line in text.split("\n"):
        key = " ".join(line.split())
        if not key:
            continue
        if key in hidden_lines:
            prose = [b for b in before if has_words(b, PROSE_PARAGRAPH_WORDS)]
            return bool(prose), bool(before) and before[-1] in prose
        before.append(key)
    return False, False


AFTER_HIDDEN_WORDS = 150  # the extractor's text goes on past hidden lines by this much prose at most


def _before_hidden(text: str, hidden: HiddenBody, blob: str) -> str:
    """``text`` up to the first of the hidden element's lines, when prose comes before them and
    at most ``AFTER_HIDDEN_WORDS`` words of prose (lines of 8+ words) after the last: what the
    extractor kept past a hidden rest (a copyright line, a bio, comment prompts). Empty
    otherwise: the hidden lines are not in the text, nothing visible precedes them, or the
    article goes on after them (a collapsed part in the middle of a page)."""
    hidden_lines = {" ".join(p.split()) for p in hidden.paragraphs}
    lines = [" ".join(line.split()) for line in text.split("\n")]
    where = [i for i, line in enumerate(lines) if is_hidden_line(line, hidden_lines, blob)]
    if not where:
        return ""
    after = sum(count_words(line) for line in lines[where[-1] + 1:]
                if has_words(line, PROSE_PARAGRAPH_WORDS))
    before = "\n".join(lines[:where[0]]).rstrip()
    return before if after <= AFTER_HIDDEN_WORDS and prose_paragraphs(before) else ""


def _teaser(text: str) -> bool:
    """Some prose stays visible: at least ``LEDE_WORDS`` words in a paragraph of prose."""
    return count_words(text) >= LEDE_WORDS and prose_paragraphs(text) >= 1


def _first_prose(lines: Iterable[str]) -> str:
    """The first of ``lines`` of prose (``PROSE_PARAGRAPH_WORDS`` words, CJK-aware), or ""."""
    return next((line for line in lines if has_words(line, PROSE_PARAGRAPH_WORDS)), "")


def _without_last_prose(text: str) -> str:
    """``text`` without its last paragraph of prose (8+ words) and what follows it."""
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if has_words(lines[index], PROSE_PARAGRAPH_WORDS):
            return "\n".join(lines[:index]).rstrip()
    return ""


def _notice_visible(doc: Document, notice: str) -> bool:
    """False when the notice's words sit only in hidden elements or page chrome of the DOM."""
    snippet = " ".join(notice.split()[:6])
    try:
        nodes = doc.tree.css(f'body :lexbor-contains("{css_string(snippet)}" i)')
    except Exception:
        return True
    if not nodes:
        return True  # the text differs from the DOM (entities, spacing): trust the text
    return any(hidden_or_chrome(n, self_may_be_box=False) is None for n in _deepest(nodes))


def _deepest(nodes: list[LexborNode]) -> list[LexborNode]:
    """The matches that contain no other match (the elements that hold the phrase itself)."""
    parents: set[int] = set()
    for node in nodes:
        parent = node.parent
        if parent is not None:
            parents.add(parent.mem_id)
    return [n for n in nodes if n.mem_id not in parents][:10]
