"""Find an article's body paragraphs in the DOM, given the text the body is known to hold.

The reference text is a corpus's gold ``expected_text`` or, for corpora without one, the text
``scraper.extract_article`` gets. A block element (``p``, ``li``, ``blockquote``, ``h2``-``h4``,
``pre``, or a ``div`` without block children) is a body paragraph when its whitespace-normalised
text (25+ characters) occurs in the normalised reference. The body's container is the deepest
element holding 80% of them; the paragraphs are those inside it, in document order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Body", "ancestors", "count_words", "locate_body", "normalise"]

_BLOCKS = "p, li, blockquote, h2, h3, h4, pre, div"
_BLOCK_CHILDREN = "p, div, li, ul, ol, table, section, article, blockquote, h1, h2, h3, h4"
_SKIP_ANCESTORS = frozenset({"noscript", "template", "script", "style", "head", "nav", "footer"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MIN_CHARS = 25


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def count_words(text: str) -> int:
    """Whitespace tokens, with each 2 CJK characters counted as one word."""
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    return len(rest.split()) + (cjk + 1) // 2


@dataclass
class Body:
    container: LexborNode
    paragraphs: list[LexborNode]
    texts: list[str]  # normalised text of each paragraph

    @property
    def words(self) -> int:
        return sum(count_words(t) for t in self.texts)


def ancestors(node: LexborNode) -> list[LexborNode]:
    out = []
    parent = node.parent
    while parent is not None and parent.tag not in ("-undef", "#document", None):
        out.append(parent)
        parent = parent.parent
    return out


def locate_body(tree: LexborHTMLParser, reference: str, *, min_paragraphs: int = 4) -> Body | None:
    """The body paragraphs of ``tree`` matching ``reference``, or None when they cannot be found
    (fewer than ``min_paragraphs``, or covering less than 60% of the reference)."""
    ref = normalise(reference)
    if not ref or tree.body is None:
        return None
    matched: list[LexborNode] = []
    ids: set[int] = set()
    for node in tree.body.css(_BLOCKS):
        if node.tag == "div" and node.css_first(_BLOCK_CHILDREN) is not None:
            continue
        text = normalise(node.text(deep=True) or "")
        if len(text) < MIN_CHARS or text not in ref:
            continue
        chain = ancestors(node)
        if any(a.tag in _SKIP_ANCESTORS for a in chain):
            continue
        if any(a.mem_id in ids for a in chain):  # inside a paragraph already taken
            continue
        matched.append(node)
        ids.add(node.mem_id)
    if len(matched) < min_paragraphs:
        return None
    counts: dict[int, int] = {}
    nodes: dict[int, tuple[int, LexborNode]] = {}
    for node in matched:
        chain = ancestors(node)
        for depth, anc in enumerate(reversed(chain)):
            counts[anc.mem_id] = counts.get(anc.mem_id, 0) + 1
            nodes[anc.mem_id] = (depth, anc)
    need = 0.8 * len(matched)
    best = max((nodes[k] for k, c in counts.items() if c >= need), key=lambda dn: dn[0])
    container = best[1]
    inside = [n for n in matched if container.mem_id in {a.mem_id for a in ancestors(n)}]
    texts = [normalise(n.text(deep=True) or "") for n in inside]
    if len(inside) < min_paragraphs or sum(len(t) for t in texts) < 0.6 * len(ref):
        return None
    return Body(container=container, paragraphs=inside, texts=texts)
