"""Wall elements in the DOM: vendor boxes, generic paywall boxes, reduced paragraphs.

What a vendor's or CMS's wall element looks like is data (``vendors.yaml`` beside this file,
validated on load); this module finds those elements in or right after the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from selectolax.lexbor import LexborNode

from scraper.extract.words import count_words
from scraper.paywall.dom import BodyPlace, hidden_or_chrome, page_memo, placed_after_body, pruned

VENDORS_FILE = Path(__file__).with_name("vendors.yaml")
MIN_BOX_WORDS = 6  # under this, a box is a label or an empty placeholder a script fills
MAX_BOX_WORDS = 1200
MAX_CANDIDATES = 80
SKIP_TAGS = frozenset(
    {"html", "body", "script", "style", "link", "meta", "svg", "path", "use", "img", "i",
     "input", "button", "a", "span", "symbol", "head", "title", "template", "noscript", "iframe"}
)


class VendorsError(ValueError):
    pass


@dataclass(frozen=True)
class Vendor:
    name: str
    wall: str  # "server" or "client"
    boxes: str
    names: re.Pattern[str]
    scripts: tuple[str, ...]
    case: str


@dataclass(frozen=True)
class Markup:
    vendors: tuple[Vendor, ...]
    candidates: str  # one selector for every kind of candidate element
    boxes: re.Pattern[str]
    not_boxes: re.Pattern[str]
    reduced: re.Pattern[str]


def _regex(where: str, value: object) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise VendorsError(f"vendors.yaml: {where}: must be a non-empty regex string")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise VendorsError(f"vendors.yaml: {where}: {exc}") from None


def load_markup(path: Path = VENDORS_FILE) -> Markup:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    vendors = []
    for i, item in enumerate(data.get("vendors") or []):
        where = f"vendors[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise VendorsError(f"vendors.yaml: {where}: needs a name")
        if item.get("wall") not in ("server", "client"):
            raise VendorsError(f"vendors.yaml: {where}.wall: must be 'server' or 'client'")
        if not isinstance(item.get("boxes"), str) or not isinstance(item.get("case"), str):
            raise VendorsError(f"vendors.yaml: {where}: needs 'boxes' (a selector) and a 'case'")
        scripts = item.get("scripts") or []
        if not isinstance(scripts, list) or not all(isinstance(s, str) and s for s in scripts):
            raise VendorsError(f"vendors.yaml: {where}.scripts: must be a list of strings")
        vendors.append(Vendor(item["name"], item["wall"], item["boxes"],
                              _regex(f"{where}.names", item.get("names")),
                              tuple(s.lower() for s in scripts), item["case"]))
    generic = data.get("generic") or {}
    if not isinstance(generic.get("candidates"), str):
        raise VendorsError("vendors.yaml: generic.candidates: must be a CSS selector")
    return Markup(
        vendors=tuple(vendors),
        candidates=generic["candidates"],
        boxes=_regex("generic.boxes", generic.get("boxes")),
        not_boxes=_regex("generic.not_boxes", generic.get("not_boxes")),
        reduced=_regex("generic.reduced", generic.get("reduced")),
    )


@lru_cache(maxsize=1)
def markup() -> Markup:
    return load_markup()


def names(node: LexborNode) -> str:
    attrs = node.attributes
    testid = attrs.get("data-testid")
    return " ".join(
        str(v) for v in (node.tag, attrs.get("id"), attrs.get("class"),
                         f"testid={testid}" if testid else None)
        if v
    )


def box_name(node: LexborNode) -> str:
    attrs = node.attributes
    parts = [node.tag or "?"]
    if attrs.get("id"):
        parts.append("#" + str(attrs.get("id")))
    if attrs.get("class"):
        parts.append("." + ".".join(str(attrs.get("class")).split()[:3]))
    return "".join(parts)


@dataclass(frozen=True)
class BoxHit:
    kind: str  # "vendor", "generic", "reduced", "slot"
    node: LexborNode
    text: str
    vendor: Vendor | None = None


def _check(node: LexborNode, place: BodyPlace, body_words: int) -> tuple[bool, str, str]:
    why = hidden_or_chrome(node)
    if why:
        return False, why, ""
    text = " ".join((node.text(deep=True, separator=" ") or "").split())
    where = placed_after_body(node, place)
    if where is None:
        return False, "contains-body", text
    if not where:
        return False, "elsewhere", text
    words = count_words(text)
    if words > max(MAX_BOX_WORDS, body_words):
        return False, "too-big", text
    if words < MIN_BOX_WORDS:
        return False, "label", text
    return True, "", text


def find_boxes(place: BodyPlace | None, body_words: int) -> list[BoxHit]:
    """Wall elements in or right after the body, visible: the first of each kind.

    ``slot`` is an empty wall placeholder (under ``MIN_BOX_WORDS``) where the body stops: the
    site walls some articles, and a script fills the slot on full and cut copies alike.
    """
    if place is None:
        return []
    m = markup()
    found = _candidates(place.region, m.candidates)
    out: list[BoxHit] = []
    done: set[str] = set()
    seen = 0
    for node in found:
        if node.tag in SKIP_TAGS:
            continue
        label = names(node)
        reduced = m.reduced.search(label) is not None
        vendor = None if reduced else next((v for v in m.vendors if v.names.search(label)), None)
        if not reduced and vendor is None and (m.boxes.search(label) is None
                                               or m.not_boxes.search(label)):
            continue
        seen += 1
        if seen > MAX_CANDIDATES:
            break
        if reduced:
            if "reduced" in done or hidden_or_chrome(node) is not None:
                continue
            if node.mem_id in place.chain_set or placed_after_body(node, place) is not False:
                out.append(BoxHit("reduced", node, ""))
                done.add("reduced")
            continue
        kind = "vendor" if vendor is not None else "generic"
        if kind in done or "vendor" in done:
            continue
        ok, why, text = _check(node, place, body_words)
        if ok:
            out.append(BoxHit(kind, node, text, vendor))
            done.add(kind)
        elif why == "label" and "slot" not in done:
            out.append(BoxHit("slot", node, text, vendor))
            done.add("slot")
    return out


# The candidate query walks the whole region once per test of the selector (~0.4 ms a region);
# a page's verdict asks it of the same region, or of one inside it, two or three times (the body
# found from its last paragraph, then from the one before). The answers for the page last asked
# about are kept, by region: a parsed page is never changed (extract/body.py works on a copy).
_MAX_REGIONS = 8
# A list of compound selectors of tag names and attribute tests: whether an element matches
# depends on that element only, so the matches in a region are those of any enclosing region
# that lie inside it.
_COMPOUNDS = re.compile(r"\s*(?:[A-Za-z][\w-]*)?(?:\[[^\[\]]+\])*\s*")


@lru_cache(maxsize=16)
def _self_contained(selector: str) -> bool:
    return all(part.strip() and _COMPOUNDS.fullmatch(part) for part in selector.split(","))


def _candidates(region: LexborNode, selector: str) -> list[LexborNode]:
    """``region.css(selector)`` (no elements for a selector lexbor refuses), remembered for the
    page by region (:func:`~scraper.paywall.dom.page_memo`)."""
    regions: dict[int, list[LexborNode]] = page_memo(region.parser, f"box_candidates {selector}")
    found = regions.get(region.mem_id)
    if found is not None:
        return found
    found = _inside_asked(region, regions) if _self_contained(selector) else None
    if found is None:
        query = pruned(selector, region.parser)  # the same elements, for less
        try:
            found = region.css(query) if query else []
        except Exception:
            found = []
    if len(regions) < _MAX_REGIONS:
        regions[region.mem_id] = found
    return found


def _inside_asked(region: LexborNode, regions: dict[int, list[LexborNode]]
                  ) -> list[LexborNode] | None:
    """The matches in ``region`` taken from a region already asked that encloses it, if any."""
    if not regions:
        return None
    outer = region.parent
    while outer is not None and outer.mem_id not in regions:
        outer = outer.parent
    if outer is None:
        return None
    inner_id, outer_id = region.mem_id, outer.mem_id
    out = []
    for node in regions[outer_id]:
        current: LexborNode | None = node
        while current is not None and current.mem_id not in (inner_id, outer_id):
            current = current.parent
        if current is not None and current.mem_id == inner_id:
            out.append(node)
    return out


def vendor_scripts(srcs: list[str]) -> list[tuple[str, str]]:
    """(vendor, src) for the first script of each vendor among ``srcs``."""
    out: list[tuple[str, str]] = []
    lowered = [src.lower() for src in srcs]
    joined = "\n".join(lowered)
    for vendor in markup().vendors:
        if not any(s in joined for s in vendor.scripts):
            continue
        for src, low in zip(srcs, lowered, strict=True):
            if any(s in low for s in vendor.scripts):
                out.append((vendor.name, src))
                break
    return out
