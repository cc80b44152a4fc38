"""Paywall signals, one function per family, each reading the parsed ``Document``.

Every function returns ``Signal`` records (stable ``family:detail`` names, a human detail, and the
weight the scoring model gives them; see :mod:`scraper.paywall.verdict`). Nothing here re-parses
the page: DOM questions are asked with CSS selectors, which lexbor runs in C, and the few Python
walks (ancestors of a candidate box, siblings after the body) are bounded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborNode

from scraper.extract.body import jsonld_article_body
from scraper.extract.document import Document, jsonld_types
from scraper.models import Signal, SourceRules
from scraper.paywall import notices
from scraper.paywall.notices import H, L, M

# Weights that are not lexicon tiers.
FULL_EVIDENCE = -1.0  # hasPart selector holds the body: the full text was served
INFO = 0.0  # recorded, not scored (declarations, vendor scripts)

# ---------------------------------------------------------------------------------------------
# Declaration: paywall_declared
# ---------------------------------------------------------------------------------------------

_FALSE_VALUES = frozenset({"false", "0", "no", "n"})
_TRUE_VALUES = frozenset({"true", "1", "yes", "y"})
_KEY_FREE = "isaccessibleforfree"
_CONTENT_TIER_KEYS = ("article:content_tier", "og:article:content_tier", "article_content_tier")
_PAID_TIERS = frozenset({"locked", "metered"})
_FREE_TIERS = frozenset({"free"})
_ARTICLE_PART_TYPES = frozenset({"WebPageElement"})


def parse_bool(value: Any) -> bool | None:
    """``False``/"False"/"false"/"http://schema.org/False"/0/"no" -> False; likewise True."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        word = value.rsplit("/", 1)[-1].strip().lower()
        if word in _FALSE_VALUES:
            return False
        if word in _TRUE_VALUES:
            return True
    if isinstance(value, list) and value:
        return parse_bool(value[0])
    return None


def _free_value(node: dict[str, Any]) -> tuple[str, bool] | None:
    for key, value in node.items():
        if isinstance(key, str) and key.lower() == _KEY_FREE:
            parsed = parse_bool(value)
            if parsed is not None:
                return key, parsed
    return None


_RAW_FREE = re.compile(r'"(isAccessibleForFree)"\s*:\s*"?([\w:/.]+)', re.IGNORECASE)


def _free_value_raw(doc: Document) -> tuple[str, bool] | None:
    """The first ``isAccessibleForFree`` in JSON-LD script text that does not decode as JSON even
    leniently (AOC's unescaped quotes inside a string): the publisher still declares it."""
    for script in doc.css("script[type='application/ld+json']")[:20]:
        m = _RAW_FREE.search(script.text(deep=True) or "")
        if m:
            parsed = parse_bool(m.group(2))
            if parsed is not None:
                return f"{m.group(1)} (in malformed JSON-LD)", parsed
    return None


@dataclass(frozen=True)
class Declaration:
    declared: bool | None
    signals: tuple[Signal, ...]


def declaration(doc: Document, rules: SourceRules | None) -> Declaration:
    """Whether the publisher marks the article as paid.

    Precedence (first that speaks wins; the others are still recorded as signals):
    1. source rules: ``paid_url_patterns`` matching the URL, or ``declares_all_paid``: the rule
       author checked the site, and rules exist to override what pages say;
    2. JSON-LD ``isAccessibleForFree`` on the first creative-work node that has it (breadth-first
       over ``@graph`` and nested nodes; a ``WebPageElement`` part counts only when no whole-page
       node speaks), because it is Google's documented, page-level declaration;
    3. microdata ``itemprop=isAccessibleForFree``;
    4. ``article:content_tier`` (also ``og:article:content_tier``, ``article_content_tier``):
       ``locked``/``metered`` -> paid, ``free`` -> free. Weakest: The Nation says
       ``isAccessibleForFree=false`` with ``content_tier=free``, the Telegraph the reverse.
    """
    found: list[Signal] = []
    verdicts: list[bool] = []  # in precedence order

    if rules is not None:
        url = doc.url or ""
        for pattern in rules.paid_url_patterns:
            try:
                if url and re.search(pattern, url):
                    found.append(Signal("rules:paid-url", pattern, INFO))
                    verdicts.append(True)
                    break
            except re.error:
                continue
        if rules.declares_all_paid:
            found.append(Signal("rules:declares-all-paid", rules.name, INFO))
            verdicts.append(True)

    whole: tuple[str, bool] | None = None
    part: tuple[str, bool] | None = None
    for node in doc.jsonld:
        got = _free_value(node)
        if got is None:
            continue
        if jsonld_types(node) & _ARTICLE_PART_TYPES:
            part = part or got
        elif whole is None:
            whole = got
    chosen = whole or part
    # Both fallbacks below apply only when the page spells the property ("ccessibleForFree" or
    # "ccessibleforfree") somewhere: two scans of the whole page, ~70 us each on 200 KB, so the
    # question is asked at most once, and only when a fallback could find something.
    spelled: list[bool] = []

    def mentioned() -> bool:
        if not spelled:
            spelled.append("ccessibleForFree" in doc.html or "ccessibleforfree" in doc.html)
        return spelled[0]

    if chosen is None:
        # _free_value_raw reads JSON-LD scripts only: none of them matching, it finds nothing.
        raw_match = doc.jsonld_raw is None or any(_RAW_FREE.search(raw) for raw in doc.jsonld_raw)
        if raw_match and mentioned():
            chosen = _free_value_raw(doc)  # JSON-LD that no lenient parse decodes
    if chosen is not None:
        value = "true" if chosen[1] else "false"
        found.append(Signal(f"jsonld:isAccessibleForFree={value}", chosen[0], INFO))
        verdicts.append(not chosen[1])

    micro = doc.meta.get(_KEY_FREE)
    if micro is None and doc.may_have_itemprop(_KEY_FREE) and mentioned():
        node = doc.css_first("[itemprop=isAccessibleForFree i]:not(meta)")
        if node is not None:
            micro = [node.attributes.get("content") or node.text(deep=True) or ""]
    if micro:
        parsed = parse_bool(micro[0])
        if parsed is not None:
            value = "true" if parsed else "false"
            found.append(Signal(f"microdata:isAccessibleForFree={value}", micro[0].strip(), INFO))
            verdicts.append(not parsed)

    for key in _CONTENT_TIER_KEYS:
        tier = doc.meta_first(key)
        if tier is None:
            continue
        tier = tier.strip().lower()
        if tier in _PAID_TIERS or tier in _FREE_TIERS:
            found.append(Signal(f"meta:content_tier={tier}", key, INFO))
            verdicts.append(tier in _PAID_TIERS)
        break

    return Declaration(verdicts[0] if verdicts else None, tuple(found))


# ---------------------------------------------------------------------------------------------
# DOM helpers: visibility, page chrome, the body anchor
# ---------------------------------------------------------------------------------------------

_HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "is-hidden", "hide", "visually-hidden", "sr-only", "invisible",
     "u-hidden", "display-none", "hidden-all", "js-hidden"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "menu"})
_CHROME_WORDS = re.compile(
    r"(?:^|.*[_-])(?:sidebar|side-bar|rail|nav|navbar|navigation|menu|footer|site-header|"
    r"masthead|related|recommend\w*|teaser-?list|most-?read|widget-area)(?:$|[_-].*)",
    re.IGNORECASE,
)
_MAX_DEPTH = 60


def _hidden_self(node: LexborNode) -> bool:
    if node.tag in ("template", "noscript"):
        return True
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = attrs.get("class")
    if cls and not _HIDDEN_CLASSES.isdisjoint(cls.lower().split()):
        return True
    return False


def _chrome_self(node: LexborNode) -> bool:
    if node.tag in _CHROME_TAGS:
        return True
    attrs = node.attributes
    role = attrs.get("role")
    if role and role.lower() in _CHROME_ROLES:
        return True
    for value in (attrs.get("class"), attrs.get("id")):
        if not value:
            continue
        for token in value.split():
            # The BEM block only: "main--with-contextual-nav" is a main, "nav__item" a nav.
            block = token.split("__", 1)[0].split("--", 1)[0]
            if _CHROME_WORDS.match(block):
                return True
    return False


def hidden_or_chrome(node: LexborNode, *, self_may_be_box: bool = True) -> str | None:
    """Why ``node`` cannot carry evidence: "hidden", "chrome" (nav, header, footer, sidebar), or None.

    The node itself may be an ``<aside>`` paywall box (Zeit's ``aside.gate``): only its own
    hidden state counts, while any ancestor that is hidden or page chrome disqualifies it.
    """
    if _hidden_self(node):
        return "hidden"
    if not self_may_be_box and _chrome_self(node):
        return "chrome"
    current = node.parent
    depth = 0
    while current is not None and depth < _MAX_DEPTH:
        tag = current.tag
        if tag in ("body", "html", "-document", None):
            break
        if _hidden_self(current):
            return "hidden"
        if _chrome_self(current):
            return "chrome"
        current = current.parent
        depth += 1
    return None


def _ancestor_ids(node: LexborNode) -> list[int]:
    out = []
    current: LexborNode | None = node
    depth = 0
    while current is not None and depth < _MAX_DEPTH:
        out.append(current.mem_id)
        current = current.parent
        depth += 1
    return out


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def count_words(text: str) -> int:
    """Whitespace words; CJK characters count as half a word each (no spaces to split on)."""
    words = len(text.split())
    cjk = len(_CJK.findall(text)) if _CJK.search(text) else 0
    return words + cjk // 2


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def find_anchor(doc: Document, text: str, within: LexborNode | None = None) -> LexborNode | None:
    """The deepest element holding the end of the extracted body (its last prose paragraph).

    Searched in ``within`` first (the article container, a smaller subtree), then in <body>.
    """
    if within is not None:
        found = _find_anchor_in(within, text, "")
        if found is not None:
            return found
    return _find_anchor_in(doc.tree, text, "body ")


def _find_anchor_in(root: Any, text: str, scope: str) -> LexborNode | None:
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    for para in reversed(paragraphs[-6:]):
        words = para.split()
        if len(words) < 8 and len(_CJK.findall(para)) < 20:
            continue
        long_words = [w.strip(".,;:!?»«\"“”()") for w in words[-8:]]
        long_words = [w for w in long_words if len(w) >= 7]
        snippets = [" ".join(words[-4:]), " ".join(words[-2:])] if len(words) >= 4 else [para[-24:]]
        if long_words:
            snippets.append(long_words[-1])
        for snippet in snippets:
            if len(snippet) < 6:
                continue
            try:
                matches = root.css(f'{scope}:lexbor-contains("{_css_string(snippet)}")')
            except Exception:
                matches = []
            # Not the page's JSON-LD: an articleBody taken as the text is also in a <script>.
            matches = [m for m in matches if m.tag not in _NO_TEXT_TAGS]
            if matches:
                return matches[-1]
        break
    return None


@dataclass(frozen=True)
class BodyPlace:
    """Where the body sits in the DOM: the anchor, its ancestor chain, and the region around it."""

    anchor: LexborNode
    chain: tuple[int, ...]  # mem_ids from the anchor up
    chain_set: frozenset[int]
    region: LexborNode  # the ancestor whose subtree is searched for boxes


_REGION_LEVELS = 7


def _region(anchor: LexborNode) -> LexborNode:
    region = anchor
    current = anchor.parent
    level = 0
    while current is not None and level < _REGION_LEVELS and current.tag != "html":
        region = current
        current = current.parent
        level += 1
    return region


def body_place(doc: Document, text: str, body_node: LexborNode | None) -> BodyPlace | None:
    """Locate the body: the element holding the text's last paragraph, else ``body_node``.

    The text comes first because on the generic path ``body_node`` is only the page's article
    container (``<article>``, ``<main>``), which may hold more than the body or miss it.
    """
    anchor = find_anchor(doc, text, body_node) if text else None
    if anchor is None:
        anchor = body_node
    if anchor is None:
        return None
    chain = tuple(_ancestor_ids(anchor))
    return BodyPlace(anchor, chain, frozenset(chain), _region(anchor))


_SIBLING_STEPS = 25
_NO_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "link", "meta", "svg"})
_GAP_WORDS = 150  # visible words allowed between the body and a box "right after" it


def placed_after_body(node: LexborNode, place: BodyPlace) -> bool | None:
    """True if ``node`` is inside the body's container or follows it closely; None if it holds it.

    The box and the anchor meet at their lowest common ancestor; the box must sit in a later
    branch, at most ``_SIBLING_STEPS`` element siblings on, with fewer than ``_GAP_WORDS`` words
    between (so a box after the comments or the related articles does not count).
    """
    if node.mem_id in place.chain_set:
        return None  # the node contains the body: a container, not a box
    # Walk up from the box to the common ancestor, remembering the branch it came from.
    branch = node
    current = node.parent
    depth = 0
    while current is not None and depth < _MAX_DEPTH and current.mem_id not in place.chain_set:
        branch = current
        current = current.parent
        depth += 1
    if current is None or current.mem_id not in place.chain_set:
        return False
    lca = current.mem_id
    if lca == place.chain[0]:
        return True  # inside the anchor element itself
    # The anchor's branch under the common ancestor.
    index = place.chain.index(lca)
    anchor_branch_id = place.chain[index - 1]
    # Walk the siblings after the anchor's branch, looking for the box's branch.
    sibling = branch.prev
    seen_anchor = False
    # Search backwards from the box's branch: cheaper, and the gap is what lies between.
    gap = 0
    steps = 0
    while sibling is not None and steps < _SIBLING_STEPS * 2:
        if sibling.mem_id == anchor_branch_id:
            seen_anchor = True
            break
        if sibling.is_element_node:
            steps += 1
            if sibling.tag in _NO_TEXT_TAGS:
                pass
            elif not _hidden_self(sibling) and not _chrome_self(sibling):
                gap += len((sibling.text(deep=True) or "").split())
                if gap > _GAP_WORDS:
                    return False
        elif sibling.is_text_node:
            gap += len((sibling.text_content or "").split())
        sibling = sibling.prev
    return seen_anchor and steps <= _SIBLING_STEPS


# ---------------------------------------------------------------------------------------------
# hasPart cssSelector
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Paywall boxes and notices in the raw DOM
# ---------------------------------------------------------------------------------------------

# Vendor and CMS elements: visible in or right after the body, they mean this copy is cut.
# Server-side walls (the element is rendered only when the text is withheld) weigh H; client-side
# vendors render their box over a page that often still holds the whole text, so they weigh M.
# (vendor, weight, CSS selector, regex on "tag #id .class data-testid" telling which one matched)
VENDOR_BOXES: tuple[tuple[str, float, str, str], ...] = (
    ("piano", M, "#piano-premium, [id^=piano-paywall], [class*=piano-paywall], #piano_wrapper, "
                 "[class*=tp-paywall]", r"piano-premium|piano-paywall|piano_wrapper|tp-paywall"),
    ("poool", M, "#poool-widget, .poool-widget, #poool-paywall, #poool-fullscreen-widget, "
                 "[poool-access-preview], #poool-container", r"poool"),
    ("zephr", M, "[class*=zephr-paywall], [id*=zephr-paywall], [class*=zephr-registration]",
     r"zephr"),
    ("pelcro", M, "[class*=pelcro-paywall], [id*=pelcro-paywall]", r"pelcro"),
    ("laterpay", M, "[class*=lp_purchase], [class*=laterpay-paywall], amp-access-laterpay",
     r"lp_purchase|laterpay"),
    ("steady", H, ".steady-paywall-container, [class*=steady-paywall], [id*=steady-paywall]",
     r"steady-paywall"),
    ("memberful", M, "[class*=memberful-paywall], [class*=memberful-content-gate]", r"memberful"),
    ("leaky-paywall", H, ".leaky_paywall_message_wrap, #leaky_paywall_message", r"leaky_paywall"),
    ("arc", M, "[class*=arc-paywall], [id*=arc-paywall]", r"arc-paywall"),
    ("ghost", H, ".gh-post-upgrade-cta, .post-upgrade-cta", r"post-upgrade-cta"),
    ("substack", H, "[data-testid=paywall], .paywall-jump, [class*=paywall-cta]",
     r"testid=paywall|paywall-jump|paywall-cta"),
    ("memberpress", H, ".mepr-unauthorized-message, .mepr-unauthorized-excerpt, "
                       ".mepr-login-form-wrap", r"mepr-"),
)
_VENDOR_KIND = tuple((v, w, re.compile(rx, re.IGNORECASE)) for v, w, _, rx in VENDOR_BOXES)
# Generic class/id fragments of paywall boxes.
_GENERIC_BOX_SELECTOR = (
    "[class*=paywall i], [id*=paywall i], [class*=regwall i], [id*=regwall i], "
    "[class*=reg-wall i], [class*=registerwall i], [class*=registrationwall i], "
    "[class*=subscriber-only i], [class*=subscribers-only i], [class*=subscriberonly i], "
    "[class*=premium-wall i], [class*=premium-box i], [class*=premium-teaser i], "
    "[id*=premium-wall i], [class*=premium-barrier i], [class*=premium-content-gate i], "
    "[class*=subscription-wall i], [class*=metered-wall i], [class*=loginwall i], "
    "[class*=login-wall i], [class*=pay-wall i], [class*=offer-wall i], [class*=abo-wall i], "
    "[class*=plus-wall i], [class*=pay-barrier i], [id*=pay-barrier i]"
)
# Faded, reduced or obfuscated body paragraphs (Zeit, SZ, KStA, OÖN, GA/RP; trafilatura's list).
REDUCED_SELECTOR = (
    "[class*=paragraph--faded], [class*=paragraph--reduced], [class*=article--reduced], "
    "[class*=hide-paid-content], [class*=plusTextFadeout i], [class*=obfuscated], "
    "[class*=text-blurred], [class*=is-blurred], [class*=paywall-fade i]"
)
_REDUCED_KIND = re.compile(
    r"paragraph--faded|paragraph--reduced|article--reduced|hide-paid-content|plustextfadeout|"
    r"obfuscated|text-blurred|is-blurred|paywall-fade",
    re.IGNORECASE,
)
# One query for all three families, as few attribute tests as possible (lexbor walks the
# region once per test): "wall" and "only" stand for the many generic spellings, and the
# candidates are then sorted in Python by _GENERIC_KIND, the vendor regexes and _REDUCED_KIND.
_ALL_BOXES_SELECTOR = (
    "[class*=wall i], [id*=wall i], [class*=only i], [class*=premium- i], [id*=premium i], "
    "[id*=piano], [class*=poool], [id*=poool], [poool-access-preview], [class*=zephr], "
    "[class*=lp_purchase], amp-access-laterpay, [class*=memberful], [class*=upgrade-cta], "
    "[data-testid=paywall], [class*=mepr-], [class*=faded], [class*=reduced], "
    "[class*=hide-paid], [class*=Fadeout i], [class*=obfuscated], [class*=blurred], "
    "[class*=pay-barrier i], [id*=pay-barrier i]"
)
_GENERIC_KIND = re.compile(
    r"paywall|regwall|reg-wall|registerwall|registrationwall|subscribers?-?only|"
    r"premium-(?:wall|box|teaser|barrier|content-gate)|subscription-wall|metered-wall|"
    r"login-?wall|pay-wall|offer-wall|abo-wall|plus-wall|pay-?barrier",
    re.IGNORECASE,
)
# Class/id tokens that look like a paywall fragment but are not a box.
_NOT_BOX = re.compile(
    r"(?:^|[\s_-])(?:no|non|not|without|free|hide|after)[-_]?paywall|paywall[-_]?(?:free|off|none|"
    r"disabled|inactive|exempt|bypass|article|content|body|text)\b",
    re.IGNORECASE,
)
_SKIP_TAGS = frozenset(
    {"html", "body", "script", "style", "link", "meta", "svg", "path", "use", "img", "i",
     "input", "button", "a", "span", "symbol", "head", "title", "template", "noscript", "iframe"}
)
_MAX_BOX_WORDS = 1200
_MIN_BOX_WORDS = 6
_MAX_CANDIDATES = 80

# Words of a subscription offer; a generic box must hold one to count as a paywall box.
_OFFER_WORDS = re.compile(
    r"abonn|subscri|suscri|assin|abbon|prenumer|subskryp|member|mitglied|regist|sign ?in|log ?in|"
    r"anmelden|einloggen|connect|weiterlesen|continue reading|keep reading|read more|lire la suite|"
    r"seguir leyendo|continuar|continua|plus\b|premium|会員|購読|zugang|offre|offer|angebot|paywall",
    re.IGNORECASE,
)


def _names(node: LexborNode) -> str:
    attrs = node.attributes
    return " ".join(
        str(v) for v in (node.tag, attrs.get("id"), attrs.get("class"), attrs.get("data-testid"))
        if v
    )


def _box_name(node: LexborNode) -> str:
    attrs = node.attributes
    parts = [node.tag or "?"]
    if attrs.get("id"):
        parts.append("#" + str(attrs.get("id")))
    if attrs.get("class"):
        parts.append("." + ".".join(str(attrs.get("class")).split()[:3]))
    return "".join(parts)


def _box_check(node: LexborNode, place: BodyPlace | None, body_words: int) -> tuple[bool, str, str]:
    """(counts, reason, text) for a candidate box."""
    why = hidden_or_chrome(node)
    if why:
        return False, why, ""
    text = (node.text(deep=True, separator=" ") or "").strip()
    words = count_words(text)
    if place is None:
        return False, "no-body", text
    where = placed_after_body(node, place)
    if where is None:
        return False, "contains-body", text
    if not where:
        return False, "elsewhere", text
    if words > max(_MAX_BOX_WORDS, body_words):
        return False, "too-big", text
    if words < _MIN_BOX_WORDS:
        return False, "label", text  # empty placeholders (filled by a script) and labels
    return True, "", text


def dom_signals(
    doc: Document,
    place: BodyPlace | None,
    body_words: int,
    rules: SourceRules | None,
) -> tuple[list[Signal], str | None]:
    """Paywall boxes (rule selectors, vendors, generic classes) and reduced paragraphs placed in
    or right after the body, visible. At most one signal per family.

    Returns the signals and the text of the first box that counted (kept as the notice when the
    extracted text has none).
    """
    out: list[Signal] = []
    box_text: str | None = None

    if rules is not None:
        for sel in rules.paywall_boxes:
            hit = next((n for n in doc.css(sel)[:10] if hidden_or_chrome(n) is None), None)
            if hit is not None:
                out.append(Signal("rules:box", sel, H))
                box_text = (hit.text(deep=True, separator=" ") or "").strip() or None
                break

    if place is None:
        return out, box_text
    # Boxes only count in or right after the body, so only the body's neighbourhood is searched:
    # the subtree of its ancestor _REGION_LEVELS up.
    try:
        found = place.region.css(_ALL_BOXES_SELECTOR)
    except Exception:
        found = []
    vendor_done = generic_done = reduced_done = slot_done = False
    seen = 0
    for node in found:
        if node.tag in _SKIP_TAGS:
            continue
        names = _names(node)
        reduced = _REDUCED_KIND.search(names) is not None
        vendor = None if reduced else next(
            ((v, w) for v, w, rx in _VENDOR_KIND if rx.search(names)), None
        )
        if not reduced and vendor is None and _GENERIC_KIND.search(names) is None:
            continue
        seen += 1
        if seen > _MAX_CANDIDATES:
            break
        if reduced:
            if reduced_done or hidden_or_chrome(node) is not None:
                continue
            if node.mem_id in place.chain_set or placed_after_body(node, place) is not False:
                out.append(Signal("css:reduced-paragraph", _box_name(node), H))
                reduced_done = True
            continue
        if vendor is not None:
            if vendor_done:
                continue
            ok, why, text = _box_check(node, place, body_words)
            if ok:
                out.append(Signal(f"dom:vendor:{vendor[0]}", _box_name(node), vendor[1]))
                box_text = box_text or text or None
                vendor_done = True
            elif why == "label" and not slot_done:
                out.append(Signal("dom:paywall-slot", _box_name(node), INFO))
                slot_done = True
            continue
        if generic_done or vendor_done or _NOT_BOX.search(names):
            continue
        ok, why, text = _box_check(node, place, body_words)
        if ok and _OFFER_WORDS.search(text):
            out.append(Signal("dom:paywall-box", _box_name(node), M))
            box_text = box_text or text or None
            generic_done = True
        elif why == "label" and not slot_done:
            # An empty wall placeholder where the body stops: the site walls some articles, and
            # a script fills the slot on full and cut copies alike. Scored only with length
            # evidence (see verdict.PAID_AND_SHORT).
            out.append(Signal("dom:paywall-slot", _box_name(node), INFO))
            slot_done = True
    return out, box_text


def _chrome_names(node: LexborNode) -> bool:
    attrs = node.attributes
    role = attrs.get("role")
    if role and role.lower() in _CHROME_ROLES:
        return True
    for value in (attrs.get("class"), attrs.get("id")):
        for token in (value or "").split():
            if _CHROME_WORDS.match(token.split("__", 1)[0].split("--", 1)[0]):
                return True
    return False


def following_chunks(place: BodyPlace, limit_chars: int = 1500) -> list[str]:
    """Visible text right after the body anchor: its next siblings, then its ancestors' next ones.

    Stops at navigation, header and footer and after ``limit_chars``; hidden elements and
    sidebars are skipped (a plain ``<aside>`` may be the paywall box itself, as Zeit's is).
    """
    pieces: list[str] = []
    total = 0
    current: LexborNode | None = place.anchor
    levels = 0
    while current is not None and levels < 6 and total < limit_chars:
        sibling = current.next
        steps = 0
        while sibling is not None and steps < 12 and total < limit_chars:
            if sibling.is_element_node:
                steps += 1
                tag = sibling.tag
                if tag in ("nav", "header", "footer", "menu"):
                    return pieces
                skip = (
                    tag in _NO_TEXT_TAGS
                    or _hidden_self(sibling)
                    or _chrome_names(sibling)
                )
                if not skip:
                    chunk = " ".join((sibling.text(deep=True, separator=" ") or "").split())
                    if chunk:
                        pieces.append(chunk)
                        total += len(chunk)
            elif sibling.is_text_node:
                chunk = " ".join((sibling.text_content or "").split())
                if chunk:
                    pieces.append(chunk)
                    total += len(chunk)
            sibling = sibling.next
        current = current.parent
        if current is None or current.tag in ("body", "html"):
            break
        if _chrome_self(current) or _hidden_self(current):
            break
        levels += 1
    return pieces


def dom_notice_signals(place: BodyPlace | None, already: set[str]) -> tuple[list[Signal], str | None]:
    """Lexicon phrases in the visible text that follows the body (trafilatura may drop them).

    Returns the signals and the text of the element holding the first one (the notice).
    """
    if place is None:
        return [], None
    out: list[Signal] = []
    notice: str | None = None
    chunks = following_chunks(place)
    normalized = [unicodedata.normalize("NFC", chunk) for chunk in chunks]
    # One look for the lexicon's keys in all the chunks at once (no key holds a line break, so
    # none spans two chunks) before the phrase by phrase search of each.
    if not notices.may_hold_notice("\n".join(normalized)):
        return out, notice
    for chunk, text in zip(chunks, normalized, strict=True):
        for match in notices.search_notices(text):
            if match.name in already:
                continue
            already.add(match.name)
            out.append(Signal(match.name, f"after body: {match.matched}", match.tier))
            notice = notice or chunk[:500]
    return out, notice


# ---------------------------------------------------------------------------------------------
# Length and ending evidence
# ---------------------------------------------------------------------------------------------

_ELLIPSIS_END = re.compile(r"(?:\.{3}|…|\[…\]|\(…\)|\[\.\.\.\]|\(\.\.\.\))\s*[\"”»“']?\s*$")
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
    if not paragraphs:
        return []
    last = paragraphs[-1]
    cjk = len(_CJK.findall(last))
    words = len(last.split())
    if words < 12 and cjk < 15:
        return []
    if _ELLIPSIS_END.search(last):
        return [Signal("ending:ellipsis", last[-60:], M)]
    if not _TERMINAL_END.search(last):
        return [Signal("ending:mid-sentence", last[-60:], L)]
    return []


# ---------------------------------------------------------------------------------------------
# Vendor scripts: site-level facts, recorded with weight 0
# ---------------------------------------------------------------------------------------------

_VENDOR_SCRIPTS = re.compile(
    r"(?P<piano>tinypass\.com|piano\.io)|(?P<poool>poool\.fr)|(?P<zephr>zephr)|"
    r"(?P<pelcro>pelcro\.com)|(?P<laterpay>laterpay\.net)|(?P<steady>steadyhq\.com)|"
    r"(?P<memberful>memberful\.com)|(?P<leaky>leaky-paywall)|(?P<arc>/arc/subs/)|"
    r"(?P<memberpress>memberpress)",
    re.IGNORECASE,
)


# The literals of _VENDOR_SCRIPTS, lower case: on ASCII text the case-insensitive regex matches
# exactly where one of them is a substring of the lowered text.
_VENDOR_LITERALS = ("tinypass.com", "piano.io", "poool.fr", "zephr", "pelcro.com", "laterpay.net",
                    "steadyhq.com", "memberful.com", "leaky-paywall", "/arc/subs/", "memberpress")


def script_signals(doc: Document) -> list[Signal]:
    seen: set[str] = set()
    out: list[Signal] = []
    srcs = [node.attributes.get("src") or "" for node in doc.css("script[src]")[:200]]
    joined = "\n".join(srcs)
    if joined.isascii():
        # One lower() and a few C substring tests instead of a regex search per script; any
        # non-ASCII src (where IGNORECASE folds more than lower() does) takes the regex path.
        lowered = joined.lower()
        if not any(literal in lowered for literal in _VENDOR_LITERALS):
            return out
    for src in srcs:
        m = _VENDOR_SCRIPTS.search(src)
        if m and m.lastgroup and m.lastgroup not in seen:
            seen.add(m.lastgroup)
            out.append(Signal(f"script:vendor:{m.lastgroup}", src[:120], INFO))
    return out
