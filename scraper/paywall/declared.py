"""What the publisher declares: is this article paid (``paywall_declared``), and which wall model.

``declared`` is True for ``isAccessibleForFree: false`` on the article (JSON-LD, microdata), for
a ``hasPart`` that is not free when no page node speaks, for ``article:content_tier=locked`` and
for source rules; False for an explicit free declaration; None otherwise.
``article:content_tier=metered`` is no paid declaration: a metered article is free up to a
limit (publishers' own ``isAccessibleForFree`` disagrees with "metered = paid" on most such
pages); it sets the wall model instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scraper.extract.document import Document, jsonld_types
from scraper.models import Signal, SourceRules

INFO = 0.0

_FALSE_VALUES = frozenset({"false", "0", "no", "n"})
_TRUE_VALUES = frozenset({"true", "1", "yes", "y"})
_KEY_FREE = "isaccessibleforfree"
_CONTENT_TIER_KEYS = ("article:content_tier", "og:article:content_tier", "article_content_tier")
_PAID_TIERS = frozenset({"locked"})  # "metered" is free up to a limit: not a paid declaration
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
       ``locked`` -> paid, ``free`` -> free, ``metered`` recorded only (free up to a limit). Weakest: The Nation says
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
        elif tier == "metered":
            found.append(Signal("meta:content_tier=metered", key, INFO))
        break

    return Declaration(verdicts[0] if verdicts else None, tuple(found))


MODELS = ("hard", "metered", "registration", "freemium")


def wall_model(found: list[Signal], concepts: frozenset[str], walled: bool) -> str | None:
    """The kind of wall, from the declarations, vendor markup and the notice's wording.

    ``registration`` when the notice asks for an account and not a subscription ("create a free
    account to keep reading"); ``metered`` for ``content_tier=metered`` or a metered vendor
    (Leaky Paywall counts free articles); ``hard`` when the source declares every article paid
    or ``content_tier=locked``; ``freemium`` for an article declared paid, or walled by a
    subscription notice, on a site that does not wall everything. None when nothing says.
    ``concepts`` are those of the paywall notice (see :mod:`scraper.paywall.lexicon`),
    ``walled`` whether the verdict found this copy truncated or locked.
    """
    names = {s.name for s in found}
    if concepts and "register" in concepts and "subscribe" not in concepts:
        return "registration"
    if "meta:content_tier=metered" in names or "dom:vendor:leaky-paywall" in names:
        return "metered"
    if "rules:declares-all-paid" in names or "meta:content_tier=locked" in names:
        return "hard"
    declared_paid = any(n.endswith("isAccessibleForFree=false") or n == "rules:paid-url"
                        for n in names)
    if declared_paid or (walled and concepts & {"subscribe", "unlock", "offer"}):
        return "freemium"
    return None
