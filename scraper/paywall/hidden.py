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

from scraper.extract.words import count_words, has_words
from scraper.paywall.dom import HIDDEN_STYLE, BodyPlace, in_chrome, page_memo, pruned

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
    prose: int = 0  # paragraph elements (p, li, h2, h3, blockquote) of 12+ words; 0 in a form

    @property
    def continues_prose(self) -> bool:
        """Paragraphs of an article (two or more of 12+ words, in paragraph elements, no form
        inside): not a template, a copyright note, a microdata copy in one block, or a sign-up
        widget."""
        return self.prose >= 2


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


def _paragraphs(node: LexborNode) -> tuple[tuple[str, ...], int]:
    """(the node's paragraphs, how many are paragraph elements of 12+ words)."""
    found = [" ".join((p.text(deep=True) or "").split()) for p in node.css(_PROSE_TAGS)[:200]]
    prose = sum(1 for p in found if has_words(p, 12))
    if not found:
        found = [" ".join((node.text(deep=True, separator=" ") or "").split())]
    elif node.css_first("form, input, textarea") is not None:
        prose = 0
    return tuple(unicodedata.normalize("NFC", p) for p in found if p), prose


def _hidden_elements(root: LexborNode) -> list[LexborNode]:
    """``root.css(_CANDIDATES)``, remembered for the page (:func:`~scraper.paywall.dom.page_memo`;
    callers do not change the list): the body's region is often the body itself, which
    :func:`find_hidden_in_text` searches after :func:`find_hidden_body`."""
    memo = page_memo(root.parser, "hidden_elements")
    nodes = memo.get(root.mem_id)
    if nodes is None:
        body = root.parser.body
        if body is not None and root.mem_id != body.mem_id and _inside(root, body):
            # An element of the body: its matches are those of the body's (asked for anyway by
            # find_hidden_in_text) that lie inside it, a run in document order.
            nodes = _run_inside(root, body, _hidden_elements(body))
        else:
            query = pruned(_CANDIDATES, root.parser)  # the same elements, for less
            nodes = root.css(query) if query else []
        memo[root.mem_id] = nodes
    return nodes


def _inside(node: LexborNode, root: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None and current.mem_id != root.mem_id:
        current = current.parent
    return current is not None


def _run_inside(root: LexborNode, body: LexborNode, nodes: list[LexborNode]) -> list[LexborNode]:
    """The ``nodes`` (in document order, all in ``body``) that are ``root`` or inside it."""
    known = {root.mem_id: True, body.mem_id: False}  # element -> inside root (ancestors seen)
    out: list[LexborNode] = []
    for node in nodes:
        path = []
        current = node
        while current.mem_id not in known:  # every node's walk up ends at body or root
            path.append(current.mem_id)
            current = current.parent
        inside = known[current.mem_id]
        known.update(dict.fromkeys(path, inside))
        if inside:
            out.append(node)
        elif out:
            break  # past root's subtree: the rest of the nodes follow it
    return out


def find_hidden_body(place: BodyPlace | None) -> HiddenBody | None:
    """The first element in the body's region that holds hidden prose of ``MIN_HIDDEN_WORDS``
    or more (two paragraphs of 12+ words): right after the body's end, around it (the end of the
    extracted text is itself inside hidden or blurred markup, when the extractor kept it), or
    before text the extractor kept past the body (a byline, an author's bio)."""
    if place is None:
        return None
    try:
        candidates = _hidden_elements(place.region)
    except Exception:
        return None
    for node in candidates[:60]:
        found = _hidden_candidate(node)
        if found is not None:
            return found
    return None


# Dialogs, tab panels and the slides of a gallery or carousel ("simple2Tab", "tab-content",
# "gallery-slide"); "tab" as a word's end, so "table" and "stable" are not tabs.
_DIALOG = re.compile(r"modal|popup|pop-up|lightbox|dialog|tab(?:s|panel|pane)?(?![a-z])|carousel|"
                     r"slider?(?![a-z])|slides|gallery", re.IGNORECASE)
_DIALOG_ROLES = frozenset({"dialog", "alertdialog", "tabpanel"})


def _dialog(node: LexborNode) -> bool:
    """A dialog waiting to be opened (a sign-in or newsletter modal, a lightbox), a tab panel or
    a slide: hidden until clicked, never the rest of an article."""
    attrs = node.attributes
    if (attrs.get("role") or "").lower() in _DIALOG_ROLES or "aria-modal" in attrs:
        return True
    return any(_DIALOG.search(attrs.get(name) or "") for name in ("class", "id"))


_NOT_PROSE = frozenset({"script", "style", "template", "noscript", "svg", "iframe", "img"})


def _hidden_candidate(node: LexborNode, *, chrome_ok: bool = False) -> HiddenBody | None:
    if node.tag in _NOT_PROSE:
        return None
    if node.tag == "dialog" or _dialog(node):
        return None
    how = _how(node)
    if how is None or count_words(node.text(deep=True, separator=" ") or "") < MIN_HIDDEN_WORDS:
        return None  # (most hidden elements are icons, menus and templates: a cheap look first)
    if not chrome_ok and in_chrome(node):
        return None
    paragraphs, prose = _paragraphs(node)
    words = sum(count_words(p) for p in paragraphs)
    if words < MIN_HIDDEN_WORDS:
        return None
    long_ones = sum(1 for p in paragraphs if has_words(p, 12))
    if long_ones < 2 and words < 2 * MIN_HIDDEN_WORDS:
        return None  # a box or a template, not paragraphs of an article
    return HiddenBody(how, node, words, paragraphs, prose)


def find_hidden_in_text(root: LexborNode | None, text: str) -> HiddenBody | None:
    """Hidden prose that the extractor took into ``text``, wherever it is in the page: at least
    two of the hidden element's paragraphs of 12+ words are lines of the text. Used when the
    body could not be placed near it (the text ends with a list the extractor kept, and its
    last prose paragraph was found elsewhere). The extractor took these lines for the article:
    page-chrome names around them (a layout's "widget-area" column) do not disqualify them."""
    if root is None or not text:
        return None
    long_lines = _long_lines(text)
    if len(long_lines) < 2:
        return None
    try:
        candidates = _hidden_elements(root)
    except Exception:
        return None
    for node in candidates[:200]:
        if node.tag in _NOT_PROSE or _how(node) is None:
            continue
        # A cheap look first: two long lines of the text inside the element's text at all.
        flat = unicodedata.normalize("NFC", " ".join((node.text(deep=True) or "").split()))
        if sum(1 for line in long_lines if line in flat) < 2:
            continue
        found = _hidden_candidate(node, chrome_ok=True)
        if found is None:
            continue
        # (A paragraph of 12+ words equal to a line of the text is one of its long lines.)
        shared = sum(1 for p in found.paragraphs if has_words(p, 12) and p in long_lines)
        if shared >= 2:
            return found
    return None


def _long_lines(text: str) -> set[str]:
    """The distinct lines of ``text`` of 12+ words (CJK-aware), spaces collapsed."""
    out = set()
    for line in text.split("\n"):
        if has_words(line, 12):
            out.add(" ".join(line.split()))
    return out


MIN_LINE_CHARS = 20  # a shorter line ("Share", "Photo: AFP") may be anywhere: never cut by this


def hidden_blob(hidden: HiddenBody, region: LexborNode | None) -> str:
    """All hidden text around the body, spaces collapsed, NFC: the hidden element's own, and
    that of the other hidden elements in the body's region (a wall that hides the rest level by
    level, one wrapper per enclosing element), dialogs and page chrome left out."""
    parts = [" ".join((hidden.node.text(deep=True, separator=" ") or "").split())]
    if region is not None:
        try:
            candidates = _hidden_elements(region)
        except Exception:
            candidates = []
        for node in candidates[:60]:
            if node.mem_id == hidden.node.mem_id or node.tag in _NOT_PROSE or _dialog(node):
                continue
            if _how(node) is None or in_chrome(node):
                continue
            words = " ".join((node.text(deep=True, separator=" ") or "").split())
            if has_words(words, 12):
                parts.append(words)
    return unicodedata.normalize("NFC", "\n".join(parts))


_LIST_MARK = re.compile(r"^[-*•]\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")


def _mostly_in(line: str, blob: str) -> bool:
    """Half or more of the line's sentences (of ``MIN_LINE_CHARS`` or more) are hidden text: the
    extractor's copy of a paragraph may differ from the page's (a sentence more or less, taken
    from the page's structured data), and it is still the hidden paragraph."""
    sentences = [s for s in _SENTENCE_END.split(line) if len(s) >= MIN_LINE_CHARS]
    if len(sentences) < 2:
        return False
    return 2 * sum(1 for s in sentences if s in blob) >= len(sentences)


def is_hidden_line(line: str, hidden_set: set[str], blob: str, least: int = MIN_LINE_CHARS) -> bool:
    """A line of the extracted text is hidden text: one of the hidden element's paragraphs
    (``hidden_set``, spaces collapsed), or a line of ``least`` characters or more found in
    ``blob``, whole or by half its sentences; a list item's "- " mark aside."""
    key = _LIST_MARK.sub("", " ".join(line.split()))  # "- item": the extractor marks list items
    return bool(key) and (key in hidden_set or (
        len(key) >= least and (key in blob or _mostly_in(key, blob))))


def visible_text(text: str, hidden: HiddenBody, blob: str | None = None) -> str:
    """``text`` without the lines that are hidden: paragraphs of the hidden element, and any
    line of ``MIN_LINE_CHARS`` or more found in ``blob`` (:func:`hidden_blob`; the hidden
    element's paragraphs when not given).

    A clipped container shows its first lines: its first paragraph stays when the container
    holds the whole body, so a reader's teaser is kept.
    """
    hidden_set = {" ".join(p.split()) for p in hidden.paragraphs}
    least = 40 if blob is None else MIN_LINE_CHARS
    if blob is None:
        blob = "\n".join(hidden_set)
    kept: list[str] = []
    dropped = 0
    for line in text.split("\n"):
        if is_hidden_line(line, hidden_set, blob, least):
            if hidden.how == "clipped" and not any(k.strip() for k in kept) and dropped == 0:
                kept.append(line)  # the first lines of a clipped container are seen
                dropped += 1
                continue
            dropped += 1
            continue
        kept.append(line)
    return "\n".join(kept).strip()
