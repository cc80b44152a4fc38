"""Where things sit in the DOM: visibility, page chrome, the body's place, what follows it.

Every paywall question about position ("is this box right after the body?", "is this notice
hidden?") is answered here, with CSS selectors run by lexbor and bounded Python walks.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborNode

from scraper.extract.document import Document
from scraper.extract.words import CJK as _CJK


_HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "is-hidden", "hide", "visually-hidden", "sr-only", "invisible",
     "u-hidden", "display-none", "hidden-all", "js-hidden"}
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "menu"})
_CHROME_WORDS = re.compile(
    r"(?:^|.*[_-])(?:sidebar|side-bar|rail|nav|navbar|navigation|menu|footer|site-header|"
    r"masthead|related|recommend\w*|teaser-?list|most-?read|widget-area)(?:$|[_-].*)",
    re.IGNORECASE,
)
MAX_DEPTH = 60


def hidden_self(node: LexborNode) -> bool:
    if node.tag in ("template", "noscript"):
        return True
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    if style and HIDDEN_STYLE.search(style):
        return True
    cls = attrs.get("class")
    if cls and not _HIDDEN_CLASSES.isdisjoint(cls.lower().split()):
        return True
    return False


_CONTENT_WORDS = re.compile(r"article|content|entry|story|post-body|main", re.IGNORECASE)


def _in_article(node: LexborNode) -> bool:
    current = node.parent
    depth = 0
    while current is not None and depth < MAX_DEPTH and current.tag not in ("body", "html"):
        if current.tag == "article":
            return True
        current = current.parent
        depth += 1
    return False


_CHROME_SEEN_MAX = 50_000


def chrome_self(node: LexborNode) -> bool:
    """Whether ``node`` itself is page chrome; asked for the same ancestors again and again
    (every candidate's walk up to <body>), so remembered for the page (:func:`page_memo`)."""
    answers: dict[int, bool] = page_memo(node.parser, "chrome_self")
    key = node.mem_id
    answer = answers.get(key)
    if answer is None:
        answer = _chrome_self(node)
        if len(answers) < _CHROME_SEEN_MAX:
            answers[key] = answer
    return answer


def _chrome_self(node: LexborNode) -> bool:
    if node.tag in _CHROME_TAGS:
        # An <article>'s own <header> holds its title and lede: part of the article.
        return not (node.tag == "header" and _in_article(node))
    attrs = node.attributes
    role = attrs.get("role")
    if role and role.lower() in _CHROME_ROLES:
        return True
    chrome = False
    for value in (attrs.get("class"), attrs.get("id")):
        if not value:
            continue
        for token in value.split():
            # The BEM block only: "main--with-contextual-nav" is a main, "nav__item" a nav.
            block = token.split("__", 1)[0].split("--", 1)[0]
            if _CONTENT_WORDS.search(block):
                # "article-content", "content-sidebar-wrap" (content and sidebar together):
                # a container of the article, whatever else its names say
                return False
            if _CHROME_WORDS.match(block):
                chrome = True
    return chrome


# The article's own body container: chrome named further up (a layout's "widget-area" column
# around it) does not make what is inside it page chrome.
_BODY_NAMES = re.compile(
    r"(?:^|[_-])(?:article|story|entry|post)[_-]{0,2}(?:body|content|text)(?:$|[_-])|articlebody",
    re.IGNORECASE)


def body_container(node: LexborNode) -> bool:
    attrs = node.attributes
    if (attrs.get("itemprop") or "").lower() == "articlebody":
        return True
    return any(_BODY_NAMES.search(token) for name in ("class", "id")
               for token in (attrs.get(name) or "").split())


def hidden_or_chrome(node: LexborNode, *, self_may_be_box: bool = True) -> str | None:
    """Why ``node`` cannot carry evidence: "hidden", "chrome" (nav, header, footer, sidebar), or None.

    The node itself may be an ``<aside>`` paywall box (Zeit's ``aside.gate``): only its own
    hidden state counts, while any ancestor that is hidden or page chrome disqualifies it.
    """
    if hidden_self(node):
        return "hidden"
    if not self_may_be_box and chrome_self(node):
        return "chrome"
    current = node.parent
    depth = 0
    in_body = False
    while current is not None and depth < MAX_DEPTH:
        tag = current.tag
        if tag in ("body", "html", "-document", None):
            break
        if hidden_self(current):
            return "hidden"
        if not in_body and chrome_self(current):
            return "chrome"
        in_body = in_body or body_container(current)
        current = current.parent
        depth += 1
    return None


def in_chrome(node: LexborNode) -> bool:
    """True when ``node`` or an ancestor below the article's body container is page chrome
    (nav, header, footer, sidebar...)."""
    current: LexborNode | None = node
    depth = 0
    while current is not None and depth < MAX_DEPTH:
        if current.tag in ("body", "html", "-document", None):
            return False
        if chrome_self(current):
            return True
        if body_container(current):
            return False  # inside the article's body: chrome named around it does not count
        current = current.parent
        depth += 1
    return False


def _ancestor_ids(node: LexborNode) -> list[int]:
    out = []
    current: LexborNode | None = node
    depth = 0
    while current is not None and depth < MAX_DEPTH:
        out.append(current.mem_id)
        current = current.parent
        depth += 1
    return out


def css_string(text: str) -> str:
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
    tried = 0
    for para in reversed(paragraphs[-40:]):
        words = para.split()
        if len(words) < 8 and len(_CJK.findall(para)) < 20:
            continue
        if tried == 3:
            break  # the last three prose paragraphs: one of them is found in the DOM
        tried += 1
        long_words = [w.strip(".,;:!?»«\"“”()") for w in words[-8:]]
        long_words = [w for w in long_words if len(w) >= 7]
        snippets = [" ".join(words[-4:]), " ".join(words[-2:])] if len(words) >= 4 else [para[-24:]]
        if long_words:
            snippets.append(long_words[-1])
        for snippet in snippets:
            if len(snippet) < 6:
                continue
            matches = _containing(root, f'{scope}:lexbor-contains("{css_string(snippet)}")')
            # Not the page's JSON-LD: an articleBody taken as the text is also in a <script>.
            matches = [m for m in matches if m.tag not in NO_TEXT_TAGS]
            if matches:
                return matches[-1]
    return None


def _containing(root: Any, query: str) -> list[LexborNode]:
    """``root.css(query)`` (no elements for a query lexbor refuses), remembered for the page
    (:func:`page_memo`): the body is placed again from texts that share paragraphs (the text
    without its notice, its hidden part or its last paragraph)."""
    tree = root.parser if isinstance(root, LexborNode) else root
    memo = page_memo(tree, "containing")
    key = (root.mem_id if isinstance(root, LexborNode) else None, query)
    matches = memo.get(key)
    if matches is None:
        try:
            matches = root.css(query)
        except Exception:
            matches = []
        memo[key] = matches
    return matches


@dataclass(frozen=True)
class BodyPlace:
    """Where the body sits in the DOM: the anchor, its ancestor chain, and the region around it."""

    anchor: LexborNode
    chain: tuple[int, ...]  # mem_ids from the anchor up
    chain_set: frozenset[int]
    region: LexborNode  # the ancestor whose subtree is searched for boxes


_REGION_LEVELS = 7


def region_of(anchor: LexborNode) -> LexborNode:
    """The ancestor ``_REGION_LEVELS`` levels up (or below <html>): where boxes are looked for."""
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
    return place_at(anchor)


def place_at(anchor: LexborNode) -> BodyPlace:
    """The body's place when it ends at ``anchor``."""
    chain = tuple(_ancestor_ids(anchor))
    return BodyPlace(anchor, chain, frozenset(chain), region_of(anchor))


def _prose(text: str) -> bool:
    """A paragraph of prose: 8+ words, or 20+ CJK characters."""
    return len(text.split(None, 7)) >= 8 or len(_CJK.findall(text)) >= 20


PROSE_PLACE_PARAGRAPHS = 1500  # <p> elements read to find where the page's prose is


PROSE_PLACES = 3


def prose_places(doc: Document, current: LexborNode | None) -> list[BodyPlace]:
    """Where the page's prose stops, whatever the extractor took: the last paragraph (8+
    words) of each of the ``PROSE_PLACES`` visible elements whose ``<p>`` children hold the most
    words, and more words than the element holding ``current`` (the body's anchor as found
    from the extracted text); before them, the last paragraph of the publisher's declared body
    (``[itemprop=articleBody]``, or the page's only ``<article>``). An extractor may take a
    slideshow caption, a cookie note or a comment for the body of a short teaser; a wall is
    placed where the publisher's own paragraphs stop."""
    body = doc.tree.body
    if body is None:
        return []
    totals: dict[int, list[Any]] = {}  # parent mem_id -> [words, last paragraph, parent]
    named: dict[int, LexborNode | None] = {}  # ancestor mem_id -> it, if named a body container
    for para in body.css("p")[:PROSE_PLACE_PARAGRAPHS]:
        parent = para.parent
        if parent is None:
            continue
        text = para.text(deep=True) or ""
        words = len(text.split())
        if not _prose(text):
            continue
        entry = totals.setdefault(parent.mem_id, [0, para, parent])
        entry[0] += words if words >= 8 else len(_CJK.findall(text)) // 2
        entry[1] = para
        _note_body_containers(parent, named)
    places = []
    # The publisher's own marks of its body first, whatever their size: the last paragraph of
    # [itemprop=articleBody], else of the body containers ("article-body", "article__content",
    # "entry-content"; a page with more than a few is a list), else of its only <article>.
    for declared, most in ((body.css("[itemprop=articleBody]"), 1),
                           (_outermost([n for n in named.values() if n is not None]), PROSE_PLACES),
                           (body.css("article"), 1)):
        if not declared:
            continue
        for container in declared if len(declared) <= most else ():
            # Its last paragraph of prose that a reader sees (a wall box's lines are no prose).
            last = next((p for p in reversed(container.css("p"))
                         if _prose(p.text(deep=True) or "") and hidden_or_chrome(p) is None), None)
            if last is not None and (current is None or last.mem_id != current.mem_id):
                places.append(place_at(last))
        break
    here = current.parent if current is not None else None
    floor = totals[here.mem_id][0] if here is not None and here.mem_id in totals else 0
    for words, anchor, parent in sorted(totals.values(), key=lambda e: -e[0])[:PROSE_PLACES]:
        if words <= floor:
            break
        if hidden_or_chrome(anchor) is None and not hidden_self(parent):
            places.append(place_at(anchor))
    return places


_CONTAINER_LEVELS = 4  # a body container holds its paragraphs at most this many levels down


def _note_body_containers(node: LexborNode, named: dict[int, LexborNode | None]) -> None:
    """Remember which of ``node`` and its nearest ancestors are named as an article's body
    container (:func:`body_container`), each asked once (a page-wide attribute query costs
    more than the paragraphs' own few ancestors)."""
    current: LexborNode | None = node
    for _ in range(_CONTAINER_LEVELS):
        if current is None or current.tag in ("body", "html"):
            return
        if current.mem_id not in named:
            named[current.mem_id] = current if body_container(current) else None
        current = current.parent


def _outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """``nodes`` without those inside another of them."""
    ids = {n.mem_id for n in nodes}
    return [n for n in nodes if not any(a in ids for a in _ancestor_ids(n)[1:])]


_SIBLING_STEPS = 25
NO_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "link", "meta", "svg"})
_GAP_WORDS = 150  # visible words allowed between the body and a box "right after" it


NEXT_STEPS = 3  # "the very next thing after the body": at most this many element siblings on
NEXT_GAP_WORDS = 20  # ... with at most this many visible words between
NEXT_LEVELS = 3  # ... in the body's own container: at most this many levels above its last paragraph


def placed_after_body(node: LexborNode, place: BodyPlace, *, steps_at_most: int = _SIBLING_STEPS,
                      gap_at_most: int = _GAP_WORDS, levels_at_most: int = MAX_DEPTH
                      ) -> bool | None:
    """True if ``node`` is inside the body's container or follows it closely; None if it holds it.

    The box and the anchor meet at their lowest common ancestor; the box must sit in a later
    branch, at most ``steps_at_most`` element siblings on, with at most ``gap_at_most`` visible
    words between (so a box after the comments or the related articles does not count), and the
    common ancestor at most ``levels_at_most`` levels above the anchor.
    """
    if node.mem_id in place.chain_set:
        return None  # the node contains the body: a container, not a box
    # Walk up from the box to the common ancestor, remembering the branch it came from.
    branch = node
    current = node.parent
    depth = 0
    while current is not None and depth < MAX_DEPTH and current.mem_id not in place.chain_set:
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
    if index > levels_at_most:
        return False
    anchor_branch_id = place.chain[index - 1]
    # Walk the siblings after the anchor's branch, looking for the box's branch.
    sibling = branch.prev
    seen_anchor = False
    # Search backwards from the box's branch: cheaper, and the gap is what lies between.
    gap = 0
    steps = 0
    while sibling is not None and steps < steps_at_most * 2:
        if sibling.mem_id == anchor_branch_id:
            seen_anchor = True
            break
        if sibling.is_element_node:
            steps += 1
            if sibling.tag in NO_TEXT_TAGS:
                pass
            elif not hidden_self(sibling) and not chrome_self(sibling):
                gap += len((sibling.text(deep=True) or "").split())
                if gap > gap_at_most:
                    return False
        elif sibling.is_text_node:
            gap += len((sibling.text_content or "").split())
        sibling = sibling.prev
    return seen_anchor and steps <= steps_at_most and gap <= gap_at_most



# An article's own footer ("article-footer-cta", "entry-footer") is part of the article: where
# publishers put the wall's call to subscribe, as much as tags and share buttons.
_OWN_FOOTER = re.compile(r"(?:article|entry|story|post)[_-]?footer", re.IGNORECASE)


def _chrome_names(node: LexborNode) -> bool:
    attrs = node.attributes
    role = attrs.get("role")
    if role and role.lower() in _CHROME_ROLES:
        return True
    for value in (attrs.get("class"), attrs.get("id")):
        for token in (value or "").split():
            block = token.split("__", 1)[0].split("--", 1)[0]
            if _CHROME_WORDS.match(block) and not _OWN_FOOTER.search(block):
                return True
    return False


_SCRIPTED = ", ".join(sorted(NO_TEXT_TAGS))


# Answers about one page's elements, kept while the same page is asked about (per thread, the
# page last asked about only). A verdict asks some questions of the same element several times
# (the blocks after the body's end, then after the paragraph before it); a parsed page is never
# changed (extract/body.py works on a copy), so an answer stays true for the page's lifetime.
_page = threading.local()


def page_memo(tree: Any, name: str) -> dict[Any, Any]:
    """The dict of ``name``'s remembered answers about the page ``tree`` (empty for a new page)."""
    if getattr(_page, "tree", None) is not tree:
        _page.tree, _page.memos = tree, {}
    memos: dict[str, dict[Any, Any]] = _page.memos
    return memos.setdefault(name, {})


# A class test of a selector: [class*=value] or [class*=value i], the value bare or quoted.
_CLASS_TEST = re.compile(r"""\[class\*=(["']?)([^\]"'\s]+)\1(?:\s+i)?\]""")


@lru_cache(maxsize=64)
def _class_needs(selector: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The selectors of ``selector``'s list, each with the values its class tests look for
    (case-folded); None for a selector not split that simply (it is then never pruned)."""
    if "(" in selector or "\\" in selector or not selector.strip():
        return None  # a functional pseudo-class or an escape: not read here
    parts = [part.strip() for part in selector.split(",")]
    if not all(parts) or any(part.count("[") != part.count("]") for part in parts):
        return None
    return tuple((part, tuple(m.group(2).casefold() for m in _CLASS_TEST.finditer(part)))
                 for part in parts)


def page_classes(tree: Any) -> str:
    """The class names of the page (every distinct word of its ``class`` attributes), joined by
    spaces and case-folded: one query of the whole page, remembered for it."""
    memo = page_memo(tree, "page_classes")
    text = memo.get(None)
    if text is None:
        names = " ".join([n.attrs.get("class") or "" for n in tree.css("[class]")]).split()
        text = memo[None] = " ".join(set(names)).casefold()
    return text


def pruned(selector: str, tree: Any) -> str:
    """``selector`` without the selectors of its list that test a class for a value no ``class``
    attribute of the page ``tree`` holds ("" when none is left): it finds the same elements, in
    the same order and as many times, at a fraction of the cost (lexbor tests each element of
    the searched subtree against each selector of a list, 0.03 ms per selector on an average
    page's body; most of a box or label query's class tests find nothing on most pages).

    Sound: lexbor's ``i`` compares ASCII letters without case, and a value it finds in an
    attribute is found in the attribute's case-folded text; the page's parsed values are read
    (character references decoded, whatever the quoting); a value found across two joined
    attributes only keeps a selector; a value holds no space, so it lies in one class name."""
    needs = _class_needs(selector)
    if needs is None or not any(values for _, values in needs):
        return selector
    memo = page_memo(tree, "pruned")
    query = memo.get(selector)
    if query is None:
        classes = page_classes(tree)
        query = memo[selector] = ", ".join(
            part for part, values in needs if all(v in classes for v in values))
    return query


def shown_text(node: LexborNode) -> str:
    """``node``'s text without what its scripts, styles and templates hold (code is no text)."""
    memo = page_memo(node.parser, "shown_text")
    text = memo.get(node.mem_id)
    if text is None:
        text = memo[node.mem_id] = _shown_text(node)
    return text


def _shown_text(node: LexborNode) -> str:
    if node.css_first(_SCRIPTED) is None:
        return node.text(deep=True, separator=" ") or ""
    return " ".join(
        t.text_content or "" for t in node.traverse(include_text=True)
        if t.is_text_node and t.parent is not None and t.parent.tag not in NO_TEXT_TAGS)


def following_blocks(place: BodyPlace, limit_chars: int = 2000) -> list[tuple[LexborNode | None, str]]:
    """Visible blocks right after the body anchor: its next siblings, then its ancestors' next
    ones, as (element or None for bare text, its text with spaces collapsed).

    Stops at navigation, header and footer and after ``limit_chars``; hidden elements and
    sidebars are skipped (a plain ``<aside>`` may be the paywall box itself, as Zeit's is).
    """
    pieces: list[tuple[LexborNode | None, str]] = []
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
                skip = tag in NO_TEXT_TAGS or hidden_self(sibling) or _chrome_names(sibling)
                if not skip:
                    chunk = " ".join(shown_text(sibling).split())
                    if chunk or sibling.css_first("a[href], form, button") is not None:
                        pieces.append((sibling, chunk))
                        total += len(chunk)
            elif sibling.is_text_node:
                chunk = " ".join((sibling.text_content or "").split())
                if chunk:
                    pieces.append((None, chunk))
                    total += len(chunk)
            sibling = sibling.next
        current = current.parent
        if current is None or current.tag in ("body", "html"):
            break
        if chrome_self(current) or hidden_self(current):
            break
        levels += 1
    return pieces
