"""Parse a decoded page once: the selectolax tree, every JSON-LD node, every <meta> value.

Metadata, source rules and paywall signals all read this one ``Document`` (fundus's
``Precomputed``), so a page is parsed by lexbor once and its JSON-LD decoded once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

_JSONLD_TYPES = "script[type='application/ld+json'], script[type='application/json+ld']"
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
# Old-XHTML wrappers some CMSs put around a script's JSON (Krautreporter, Folha):
# "//<![CDATA[ ... //]]>", "<![CDATA[ ... ]]>", "/*<![CDATA[*/ ... /*]]>*/", "<!-- ... -->".
_WRAPPER_OPEN = re.compile(r"^\s*(?:/\*\s*|//\s*)?(?:<!\[CDATA\[|<!--)\s*(?:\*/)?")
_WRAPPER_CLOSE = re.compile(r"(?:/\*\s*|//\s*)?(?:\]\]>|-->)\s*(?:\*/)?\s*$")


@dataclass
class Document:
    html: str  # the decoded page
    tree: LexborHTMLParser
    url: str | None = None
    jsonld: list[dict[str, Any]] = field(default_factory=list)  # every node, @graph flattened
    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased key -> contents
    # The text of every JSON-LD script (stripped, non-empty), decodable or not; None when the
    # Document was not built by parse_document.
    jsonld_raw: list[str] | None = None
    _itemprops: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key.lower(), ()):
                value = value.strip()
                if value:
                    return value
        return None

    def may_have_itemprop(self, name: str) -> bool:
        """False when no element's ``itemprop`` can hold the token ``name``: then no
        ``[itemprop~=name]`` query can match, and its walk of the whole tree is spared. Every
        ``itemprop`` value is read by one walk, the first time (most pages have none)."""
        if self._itemprops is None:
            self._itemprops = [
                (node.attributes.get("itemprop") or "").lower() for node in self.css("[itemprop]")
            ]
        if not self._itemprops:
            return False
        name = name.lower()
        return any(name in value for value in self._itemprops)

    def css_first(self, selector: str) -> LexborNode | None:
        try:
            return self.tree.css_first(selector)
        except Exception:  # an invalid selector from a rule must not break extraction
            return None

    def css(self, selector: str) -> list[LexborNode]:
        try:
            return list(self.tree.css(selector))
        except Exception:
            return []


MAX_DEPTH = 5000  # nesting no real page approaches; lexbor's tree building is quadratic in it
_TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9-]{0,30})(?:\s[^>]*)?>")
# Elements that never nest (void) or that the parser closes implicitly: not counted as depth.
_FLAT = frozenset(
    b"area base br col embed hr img input link meta param source track wbr p li dt dd option "
    b"optgroup tr td th thead tbody tfoot rb rt rp colgroup caption html head body".split()
)


def nesting_depth(html: bytes, stop_at: int = MAX_DEPTH) -> int:
    """An upper estimate of how deep the elements of ``html`` nest (a cheap scan, no parse);
    stops counting at ``stop_at``. Used to refuse pages built to stall the parser."""
    depth = deepest = 0
    for match in _TAG.finditer(html):
        name = match.group(2).lower()
        if name in _FLAT:
            continue
        if match.group(1):
            depth = max(0, depth - 1)
        elif not match.group(0).endswith(b"/>"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    break
    return deepest


def parse_document(html: str, url: str | None = None, *, utf8: bytes | None = None) -> Document:
    """Parse ``html`` once. ``utf8``, when given, must be ``html`` encoded as UTF-8 (the response
    bytes themselves, see ``Decoded.utf8``): lexbor parses them, sparing the encoding of the text
    (~0.1 ms on a 200 KB page)."""
    tree = LexborHTMLParser(html if utf8 is None else utf8)
    doc = Document(html=html, tree=tree, url=url)
    doc.jsonld_raw = []
    doc.jsonld = list(_jsonld_nodes(tree, doc.jsonld_raw))
    doc.meta = _meta_values(tree)
    return doc


def _meta_values(tree: LexborHTMLParser) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                out.setdefault(key.strip().lower(), []).append(content)
    return out


def _jsonld_nodes(tree: LexborHTMLParser, raws: list[str]) -> Iterator[dict[str, Any]]:
    for script in tree.css(_JSONLD_TYPES):
        raw = (script.text(deep=True) or "").strip()
        if not raw:
            continue
        raws.append(raw)
        data = _loads_lenient(raw)
        if data is not None:
            yield from walk_jsonld(data)


def _loads_lenient(raw: str) -> Any:
    """The JSON in a script's text; tolerates a CDATA or comment wrapper, a trailing semicolon
    and trailing commas. None when it still does not decode."""
    if raw.startswith(("<", "/")):
        raw = _WRAPPER_CLOSE.sub("", _WRAPPER_OPEN.sub("", raw, count=1), count=1).strip()
    for candidate in (raw, _TRAILING_COMMA.sub(r"\1", raw.strip().rstrip(";"))):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def walk_jsonld(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict node in a JSON-LD document, top-level nodes first (breadth-first)."""
    queue: list[tuple[Any, int]] = [(data, depth)]
    while queue:
        item, level = queue.pop(0)
        if level > 12:
            continue
        if isinstance(item, list):
            queue.extend((x, level + 1) for x in item)
        elif isinstance(item, dict):
            yield item
            queue.extend((v, level + 1) for v in item.values() if isinstance(v, (dict, list)))


def jsonld_types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()
