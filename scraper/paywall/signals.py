"""The paywall signals: a registry of small functions over one :class:`Evidence` record.

Each function is registered with :func:`signal` and yields :class:`~scraper.models.Signal`
records with stable ``family:detail`` names; the verdict runs them all in a loop and weighs them
with the fitted model (:mod:`scraper.paywall.model`). Adding a signal is one function here, one
feature in the model (``make train-paywall``) and a line in the README's signal table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from scraper.extract.document import Document
from scraper.models import Signal, SourceRules
from scraper.paywall import boxes as box_markup
from scraper.paywall.blocks import Block, Notice, part_groups
from scraper.paywall.boxes import BoxHit
from scraper.paywall.declared import Declaration
from scraper.paywall.dom import BodyPlace, hidden_or_chrome
from scraper.paywall.hidden import HiddenBody
from scraper.paywall.length import (
    ending_signals,
    far_below,
    haspart_signals,
    length_signals,
    reading_time_signals,
)
from scraper.paywall.lexicon import ACCESS, NEGATIVE, matcher, reads_as_notice

_ACCESS = frozenset(ACCESS)
_NEGATIVE = frozenset(NEGATIVE)
# What a notice says is withheld from *this* reader now: the rest, reading on, the free articles.
_WITHHELD_NOW = frozenset({"continue", "rest", "meter"})


@dataclass
class Evidence:
    """Everything the signals read about one page, gathered once by the verdict."""

    doc: Document
    text: str  # the visible body text, without the notice
    body_words: int
    rules: SourceRules | None
    description: str | None
    place: BodyPlace | None
    declaration: Declaration
    lengths: tuple[int | None, int]  # JSON-LD wordCount, plain-prose articleBody words
    notice: Notice | None = None  # the notice cut from the end of the text
    part: Notice | None = None  # else, closing lines read in part (cut only behind a wall)
    notice_hidden: str | None = None  # a notice-like tail that sits in hidden markup
    blocks: list[Block] = field(default_factory=list)  # visible blocks right after the body
    near_end: Block | None = None  # a notice element near the body's end, past the text's end
    boxes: list[BoxHit] = field(default_factory=list)
    hidden: HiddenBody | None = None
    hidden_rest: bool = False  # the hidden part follows the visible end (or clips the body)
    hidden_next: bool = False  # ... as the very next thing after it (nothing visible between)
    rule_box: tuple[str, LexborNode] | None = None


SignalFn = Callable[[Evidence], Iterable[Signal]]
REGISTRY: list[tuple[str, SignalFn]] = []


def signal(family: str) -> Callable[[SignalFn], SignalFn]:
    """Register ``fn`` as the producer of the ``family`` signals."""

    def register(fn: SignalFn) -> SignalFn:
        REGISTRY.append((family, fn))
        return fn

    return register


def collect(ev: Evidence) -> list[Signal]:
    found: list[Signal] = []
    for _family, fn in REGISTRY:
        found.extend(fn(ev))
    combo = wall_after_short_body((s.name for s in found), ev.body_words)
    if combo is not None:
        found.append(combo)
    return found


def _hits(concepts: dict[str, str]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(concepts.items()))


@signal("declared")
def declarations(ev: Evidence) -> Iterable[Signal]:
    return ev.declaration.signals


@signal("rules:notice")
def rule_notice(ev: Evidence) -> Iterable[Signal]:
    if ev.notice is not None and ev.notice.rule is not None:
        yield Signal("rules:notice", ev.notice.rule)


@signal("notice")
def notice_by_meaning(ev: Evidence) -> Iterable[Signal]:
    """``notice:meaning``: a block at the end of the text or right after the body reads as a
    notice; ``notice:inside``: a paragraph of the text reads as one, with more text kept after it
    (less than before it); ``notice:access``: a block right after the body asks for a subscription, an account
    or a login (with an offer, a link or a form) without saying what is withheld."""
    if ev.notice is not None and not ev.notice.strong:
        yield Signal("notice:access", f"in text: {ev.notice.notice[:120]}")
        return
    if ev.notice is not None and ev.notice.inside:
        # Inside the text, what it says matters more than where it sits: that the rest of this
        # article is withheld or the free articles ran out, or only that access is for sale
        # (a campaign box at an article's end says that on full pages too).
        name = "notice:inside" if not ev.notice.concepts.isdisjoint(_WITHHELD_NOW) \
            else "notice:inside-offer"
        yield Signal(name, f"in text, before its closing lines: {_hits(ev.notice.hits)}")
        return
    if ev.notice is not None and (ev.notice.rule is None or reads_as_notice(ev.notice.concepts)):
        yield Signal("notice:meaning", f"in text: {_hits(ev.notice.hits)}")
        return
    access = None
    for block in ev.blocks:
        if block.reads_as_notice:
            yield Signal("notice:meaning", f"after body: {_hits(matcher().hits(block.text))}")
            return
        if access is None and block.asks_for_access:
            access = block
    if ev.near_end is not None:
        yield Signal("notice:near-end", f"near the body's end: {_hits(matcher().hits(ev.near_end.text))}")
        return
    if access is not None and ev.notice is None:
        yield Signal("notice:access", f"after body: {access.text[:120]}")
    if ev.notice_hidden:
        yield Signal("notice:hidden", ev.notice_hidden[:120])


@signal("part")
def read_in_part(ev: Evidence) -> Iterable[Signal]:
    """``part:<group>``: nothing reads as a notice, but the vocabulary reads some of a wall's
    words (access, what is withheld, the meter, an offer, free reading; with the article) in the closing
    lines of a short body or in a block right after it: a wording the vocabulary knows in part
    (each group weighed by the model; a wall in words nobody wrote entries for reads so)."""
    if ev.body_words >= SHORT_BODY_WORDS or ev.near_end is not None or \
            (ev.notice is not None and ev.notice.strong) or any(b.reads_as_notice for b in ev.blocks):
        return
    found = ev.notice or ev.part
    concepts = found.concepts if found is not None else next(
        (b.concepts for b in ev.blocks[:2] if part_groups(b.concepts)), frozenset())
    for group in part_groups(concepts):
        yield Signal(f"part:{group}", ", ".join(sorted(concepts)))


@signal("dom:structure")
def structure(ev: Evidence) -> Iterable[Signal]:
    """Links or buttons to subscription/login pages, and login forms, right after the body."""
    link = form = False
    for block in ev.blocks[:4]:
        if block.words > 200 or not block.concepts.isdisjoint(_NEGATIVE):
            continue
        if not link and block.subscription_links and not block.concepts.isdisjoint(
                _ACCESS | {"offer", "continue", "rest", "exclusive"}):
            link = True
            yield Signal("dom:subscribe-link", block.text[:120])
        if not form and block.login_form:
            form = True
            yield Signal("dom:login-form", block.text[:120])


@signal("rules:box")
def rule_box(ev: Evidence) -> Iterable[Signal]:
    if ev.rule_box is not None:
        yield Signal("rules:box", ev.rule_box[0])


@signal("dom:box")
def wall_boxes(ev: Evidence) -> Iterable[Signal]:
    box = False
    for hit in ev.boxes:
        name = box_markup.box_name(hit.node)
        if hit.kind in ("vendor", "generic") and not box:
            # A wall element (a vendor's or a generic one) that speaks of access or an offer.
            concepts = matcher().concepts(hit.text)
            if not concepts.isdisjoint(_ACCESS | {"offer"}) and concepts.isdisjoint(
                    _NEGATIVE):
                box = True
                yield Signal("dom:paywall-box", name)
        if hit.kind == "vendor" and hit.vendor is not None:
            yield Signal(f"dom:vendor:{hit.vendor.name}", name)
        elif hit.kind == "reduced":
            yield Signal("css:reduced-paragraph", name)
        elif hit.kind == "slot":
            yield Signal("dom:paywall-slot", name)


@signal("dom:hidden")
def hidden_body(ev: Evidence) -> Iterable[Signal]:
    if ev.hidden is not None:
        h = ev.hidden
        if not ev.hidden_rest:
            name = "dom:hidden-body"
        elif h.how in ("blurred", "clipped"):
            name = "dom:blurred-rest"  # a style walls use, never a "read more" expander
        else:
            name = "dom:hidden-rest"
        yield Signal(name, f"{h.how} {box_markup.box_name(h.node)}: {h.words} words")
        if ev.hidden_next:
            # The prose goes on, hidden, right where the visible body stops: a continuation,
            # not a collapsed extra, a modal or a tab found elsewhere around the body.
            yield Signal("dom:hidden-next", f"{h.how}, right after the visible end")
        if ev.hidden_rest and h.words >= max(ev.body_words, 80):
            # more is hidden after the visible end than is shown: the teaser of a walled copy
            yield Signal("dom:hidden-most", f"{h.words} hidden words, {ev.body_words} shown")


LONG_BODY_WORDS = 600  # a teaser this long is rare: with a wall box, the wall is often drawn


@signal("body:long")
def long_body(ev: Evidence) -> Iterable[Signal]:
    """The visible body is long: evidence against a cut copy (a wall box over a long body is
    usually drawn by the browser over the whole text)."""
    if ev.body_words >= LONG_BODY_WORDS:
        yield Signal("body:long", f"{ev.body_words} words")


@signal("haspart")
def haspart(ev: Evidence) -> Iterable[Signal]:
    return haspart_signals(ev.doc, ev.body_words)


@signal("length")
def lengths(ev: Evidence) -> Iterable[Signal]:
    yield from length_signals(ev.doc, ev.body_words, ev.description, ev.lengths)
    yield from reading_time_signals(ev.doc, ev.body_words)


SHORT_BODY_WORDS = 350  # a teaser cut by a script wall is short; a full article may end in "…"


@signal("ending")
def ending(ev: Evidence) -> Iterable[Signal]:
    """How the body's last prose paragraph ends; ``combo:ellipsis-and-short``: it breaks off
    with an ellipsis and the body is short (a teaser the wall's script cut), a fact apart from
    the ellipsis alone so the model weighs the two on their own."""
    found = ending_signals(ev.text)
    yield from found
    if ev.body_words < SHORT_BODY_WORDS and any(s.name == "ending:ellipsis" for s in found):
        yield Signal("combo:ellipsis-and-short", f"{ev.body_words} words")


@signal("script:vendor")
def vendor_scripts(ev: Evidence) -> Iterable[Signal]:
    srcs = [node.attributes.get("src") or "" for node in ev.doc.css("script[src]")[:200]]
    for vendor, src in box_markup.vendor_scripts(srcs):
        yield Signal(f"script:vendor:{vendor}", src[:120])


@signal("combo:paid-and-short")
def paid_and_short(ev: Evidence) -> Iterable[Signal]:
    """The page says this article is walled (a paid declaration, or an empty wall placeholder
    where the body stops) AND the body holds under 30% of the publisher's own length."""
    short = far_below(ev.lengths, ev.body_words)
    if short is None:
        return
    if ev.declaration.declared is True:
        yield Signal("combo:paid-and-short", f"declared paid; {short}")
    elif any(hit.kind == "slot" for hit in ev.boxes):
        yield Signal("combo:paid-and-short", f"empty wall slot; {short}")


_WALL_PARTS = frozenset({"notice:access", "dom:login-form", "dom:paywall-box",
                         "dom:vendor:server", "dom:vendor:client"})


def wall_after_short_body(names: Iterable[str], body_words: int) -> Signal | None:
    """``combo:wall-and-short``: a block asking for access, a login form, a paywall box or a
    vendor's wall element after a body under ``SHORT_BODY_WORDS`` words: a wall placed right
    after a short body, whatever its words (each part alone is also found on full pages, where
    the browser draws the wall over the whole text)."""
    parts = sorted(n for n in names if n in _WALL_PARTS or n.startswith("dom:vendor:"))
    if body_words < SHORT_BODY_WORDS and parts:
        return Signal("combo:wall-and-short", f"{', '.join(parts)}; {body_words} words")
    return None


def rule_box_hit(doc: Document, rules: SourceRules | None) -> tuple[str, LexborNode] | None:
    if rules is None:
        return None
    for sel in rules.paywall_boxes:
        hit = next((n for n in doc.css(sel)[:10] if hidden_or_chrome(n) is None), None)
        if hit is not None:
            return sel, hit
    return None
