"""Synthetic paywall variants of full real pages, for evaluation only.

    variants(corpora, split=None, seed=0, max_pages=None) -> Iterator[Variant]

From the pages of ``../shared/corpora`` labelled full (``truncation.jsonl``: access full,
truncated false) whose body paragraphs can be found in the DOM (:mod:`scraper.synth.locate`,
against the gold ``expected_text`` or else the text ``scraper.extract_article`` gets), each page
gives one variant of each KIND:

=============  ==========================================================  ===============
kind           what the page becomes                                       expected access
=============  ==========================================================  ===============
``box``        teaser (2-5 body paragraphs), rest removed, a paywall box   truncated
``sentence``   teaser, rest removed, one plain ``<p>`` with the notice     truncated
``lede``       first paragraph (or a lede < 40 words), then box/sentence   locked
``ellipsis``   teaser cut mid-sentence with "…"/"...", no notice; some     truncated
               with a reading-time label computed from the full length
``hidden``     teaser visible, rest in the HTML but hidden (display:none,  truncated
               ``hidden``, visibility, blur, clipped fade), mostly + box
``full``       the page's bytes unchanged                                  full
``full-promo`` the whole page plus promos that are not walls (newsletter,  full
               donation, "log in to comment", cookie banner, header,
               sidebar and footer subscribe / print promos)
=============  ==========================================================  ===============

Splits: notice families and languages have fixed halves (:mod:`scraper.synth.wordings`);
sites (URL host, else publisher) are halved by a hash. A variant's ``split`` is ``dev`` or
``heldout`` when all its parts are in that half, else ``mixed``; kinds without a notice split
by site only. A notice's family and language follow its site's half, except for about one
variant in five which takes one part from the other half (``mixed``). Within a half, languages
go round-robin over the variants and families are drawn at random. Everything is a function of
the seed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.synth import markup
from scraper.synth.locate import Body, ancestors, count_words, locate_body, normalise
from scraper.synth.wordings import (
    DEV_FAMILIES, DEV_LANGUAGES, HELDOUT_FAMILIES, HELDOUT_LANGUAGES, LANGUAGES, family_split,
    language_split, load,
)

__all__ = ["KINDS", "SourcePage", "Variant", "page_variants", "select_pages", "site_split",
           "variants"]

KINDS = ("box", "sentence", "lede", "ellipsis", "hidden", "full", "full-promo")
TRUNCATED_KINDS = ("box", "sentence", "lede", "hidden", "ellipsis")
EXPECTED = {"box": "truncated", "sentence": "truncated", "lede": "locked", "ellipsis": "truncated",
            "hidden": "truncated", "full": "full", "full-promo": "full"}
_NOTICE_SLOTS = {"box": 0, "sentence": 1, "lede": 2, "hidden": 3, "full-promo": 4}
MIXED_SHARE = 0.2
_SENTENCE_END = re.compile(r"[.!?。！？:;»\"”)]$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Variant:
    id: str
    corpus: str
    page_id: str
    url: str | None
    kind: str
    family: str | None
    language: str | None  # language of the notice (or promos); None for kinds without one
    style: str
    family_split: str | None
    language_split: str | None
    site_split: str
    split: str  # "dev" | "heldout" | "mixed"
    html: bytes
    expected_access: str
    notice: str | None  # the notice sentence placed in the page
    hidden_texts: tuple[str, ...] = ()  # hidden body paragraphs (kind hidden), normalised


@dataclass(frozen=True)
class SourcePage:
    corpus: str
    id: str
    url: str | None
    publisher: str | None
    language: str | None
    path: Path
    expected_text: str | None

    @property
    def site(self) -> str:
        host = urlsplit(self.url).hostname if self.url else None
        if host:
            return host.removeprefix("www.")
        return (self.publisher or self.corpus).lower()


def site_split(site: str) -> str:
    return "dev" if hashlib.sha256(site.encode()).digest()[0] % 2 == 0 else "heldout"


def _stable(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def select_pages(corpora: Path, *, seed: int = 0, max_pages: int | None = None) -> list[SourcePage]:
    """The full pages of every corpus, shuffled by ``seed`` within each corpus and taken in turn
    from each corpus (so a sample mixes them), at most ``max_pages``."""
    per_corpus: list[list[SourcePage]] = []
    for folder in sorted(p for p in corpora.iterdir() if (p / "index.jsonl").is_file()):
        labels = {str(r["id"]): r for r in _read_jsonl(folder / "truncation.jsonl")}
        pages = []
        for rec in _read_jsonl(folder / "index.jsonl"):
            label = labels.get(str(rec["id"]), {})
            if label.get("access") != "full" or label.get("truncated") is not False:
                continue
            pages.append(SourcePage(
                corpus=folder.name, id=str(rec["id"]), url=rec.get("url") or None,  # type: ignore[arg-type]
                publisher=rec.get("publisher") or None,  # type: ignore[arg-type]
                language=rec.get("language") or None,  # type: ignore[arg-type]
                path=folder / str(rec["html_file"]),
                expected_text=rec.get("expected_text") or None,  # type: ignore[arg-type]
            ))
        pages.sort(key=lambda p: _stable(seed, p.corpus, p.id))
        per_corpus.append(pages)
    out: list[SourcePage] = []
    for i in range(max((len(p) for p in per_corpus), default=0)):
        out.extend(pages[i] for pages in per_corpus if i < len(pages))
    return out[:max_pages] if max_pages is not None else out


# ---------------------------------------------------------------------------------------------
# DOM surgery
# ---------------------------------------------------------------------------------------------


def _fragment(html: str) -> list[LexborNode]:
    tree = LexborHTMLParser(f"<html><body>{html}</body></html>")
    assert tree.body is not None
    return list(tree.body.iter(include_text=False))


def _insert_after(anchor: LexborNode, html: str) -> LexborNode:
    """Insert ``html`` after ``anchor``; return the last node inserted."""
    last = anchor
    for node in _fragment(html):
        last.insert_after(node)
        assert last.next is not None
        last = last.next
    return last


def _insert_before(anchor: LexborNode, html: str) -> None:
    for node in _fragment(html):
        anchor.insert_before(node)


def _same(a: LexborNode | None, b: LexborNode | None) -> bool:
    return a is not None and b is not None and a.mem_id == b.mem_id


def _unit(node: LexborNode, container: LexborNode) -> LexborNode:
    """The child of ``container`` that holds ``node``."""
    while node.parent is not None and not _same(node.parent, container):
        node = node.parent
    return node


def _following(node: LexborNode) -> list[LexborNode]:
    out = []
    sib = node.next
    while sib is not None:
        out.append(sib)
        sib = sib.next
    return out


def _cut_after(para: LexborNode, container: LexborNode) -> None:
    """Remove everything after ``para`` inside ``container``."""
    node = para
    while not _same(node, container) and node.parent is not None:
        for sib in _following(node):
            sib.decompose()
        node = node.parent


def _apart(node: LexborNode, container: LexborNode) -> bool:
    """``node`` is neither inside ``container`` nor around it."""
    chain = {a.mem_id for a in ancestors(node)}
    return container.mem_id not in chain and node.mem_id not in \
        {a.mem_id for a in ancestors(container)} and not _same(node, container)


def _outer(node: LexborNode) -> str:
    if node.is_element_node:
        return node.html or ""
    if node.is_text_node:
        return escape(node.text(deep=False) or "")
    return ""


def _hide_after(para: LexborNode, container: LexborNode, wrap: Callable[[str], str]
                ) -> LexborNode:
    """Move everything after ``para`` inside ``container`` into hidden wrappers (one per level);
    return the outermost wrapper (or the unit holding ``para`` when nothing followed it)."""
    node = para
    outermost = _unit(para, container)
    while not _same(node, container) and node.parent is not None:
        sibs = _following(node)
        if any(s.is_element_node and (s.text(deep=True) or "").strip() for s in sibs):
            inner = "".join(_outer(s) for s in sibs)
            for sib in sibs:
                sib.decompose()
            wrapper = _insert_after(node, wrap(inner))
            if _same(node.parent, container):
                outermost = wrapper
        node = node.parent
    return outermost


def _set_text(node: LexborNode, text: str) -> None:
    node.inner_html = escape(text)


def _serialise(tree: LexborHTMLParser) -> bytes:
    for meta in tree.css("meta[charset]"):
        meta.attrs["charset"] = "utf-8"
    for meta in tree.css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").lower() == "content-type":
            meta.attrs["content"] = "text/html; charset=utf-8"
    return (tree.html or "").encode("utf-8")


def _teaser_size(rng: random.Random, body: Body) -> int:
    n = len(body.paragraphs)
    k = rng.randint(2, max(2, min(5, n - 2)))
    total = body.words
    while k > 2 and sum(count_words(t) for t in body.texts[:k]) > 0.7 * total:
        k -= 1
    return k


def _cut_mid_sentence(rng: random.Random, text: str) -> str | None:
    """``text`` cut mid-sentence, at 40-75% of its length, ending with an ellipsis."""
    ending = rng.choice(("…", " …", "...", " ..."))
    if len(_CJK.findall(text)) > 0.3 * len(text):
        pos = int(len(text) * rng.uniform(0.4, 0.75))
        while pos < len(text) - 2 and text[pos - 1] in "。！？、，":
            pos += 1
        return text[:pos].rstrip() + ending.strip()
    tokens = text.split()
    if len(tokens) < 12:
        return None
    cut = int(len(tokens) * rng.uniform(0.4, 0.75))
    while cut < len(tokens) - 2 and _SENTENCE_END.search(tokens[cut - 1]):
        cut += 1
    return " ".join(tokens[:cut]).rstrip(",;:—–-") + ending


def _short_lede(text: str) -> str:
    """The first sentence of ``text`` (under 40 words)."""
    first = re.split(r"(?<=[.!?。！？])\s+", text, maxsplit=1)[0]
    tokens = first.split()
    if len(tokens) >= 40:
        first = " ".join(tokens[:30]).rstrip(",;:") + "."
    if _CJK.search(first) and len(first) > 80:
        first = first[:60] + "。"
    return first


# ---------------------------------------------------------------------------------------------
# Variants of one page
# ---------------------------------------------------------------------------------------------


class _Page:
    """One source page: its bytes, decoded text and reference body text."""

    def __init__(self, page: SourcePage) -> None:
        from scraper.decode import decode_html

        self.page = page
        self.raw = gzip.decompress(page.path.read_bytes()) if page.path.suffix == ".gz" \
            else page.path.read_bytes()
        self.text = decode_html(self.raw, None).text
        if page.expected_text:
            self.reference = page.expected_text
        else:
            from scraper import extract_article

            self.reference = extract_article(self.raw, page.url).text

    def parse(self) -> tuple[LexborHTMLParser, Body] | None:
        tree = LexborHTMLParser(self.text)
        body = locate_body(tree, self.reference)
        return None if body is None else (tree, body)


def _notice_parts(rng: random.Random, index: int, kind: str, site_half: str) -> tuple[str, str]:
    """(family, language) of the notice of ``kind`` on the page at ``index``."""
    counter = index * len(_NOTICE_SLOTS) + _NOTICE_SLOTS[kind]
    fam_half = lang_half = site_half
    if rng.random() < MIXED_SHARE:
        other = "heldout" if site_half == "dev" else "dev"
        if rng.random() < 0.5:
            fam_half = other
        else:
            lang_half = other
    fams = DEV_FAMILIES if fam_half == "dev" else HELDOUT_FAMILIES
    langs = DEV_LANGUAGES if lang_half == "dev" else HELDOUT_LANGUAGES
    return fams[rng.randrange(len(fams))], langs[counter % len(langs)]


def _split(*halves: str | None) -> str:
    present = {h for h in halves if h is not None}
    return present.pop() if len(present) == 1 else "mixed"


def page_variants(page: SourcePage, index: int, seed: int = 0, split: str | None = None
                  ) -> list[Variant]:
    """Every kind of variant of ``page`` (the ``index``-th page drawn), only those of ``split``
    when given, or [] when its body cannot be found in the DOM."""
    try:
        src = _Page(page)
    except Exception:  # an unreadable page is skipped, not fatal
        return []
    first = src.parse()
    if first is None:
        return []
    site_half = site_split(page.site)
    out: list[Variant] = []
    for kind in KINDS:
        rng = random.Random(f"{seed}:{page.corpus}:{page.id}:{kind}")
        family = language = None
        if kind in _NOTICE_SLOTS and not (kind == "hidden" and rng.random() < 0.25):
            family, language = _notice_parts(rng, index, kind, site_half)
            if kind == "full-promo":
                family = None
        fsplit = family_split(family) if family else None
        lsplit = language_split(language) if language else None
        if split is not None and _split(fsplit, lsplit, site_half) != split:
            continue
        built = _build(kind, src, rng, family, language)
        if built is None:
            continue
        html, style, notice, hidden = built
        out.append(Variant(
            id=f"{page.corpus}/{page.id}/{kind}", corpus=page.corpus, page_id=page.id,
            url=page.url, kind=kind, family=family, language=language, style=style,
            family_split=fsplit, language_split=lsplit, site_split=site_half,
            split=_split(fsplit, lsplit, site_half), html=html,
            expected_access=EXPECTED[kind], notice=notice, hidden_texts=hidden,
        ))
    return out


def _wall(rng: random.Random, family: str, language: str, *, sentence_share: float
          ) -> tuple[str, str, str]:
    wording = load(language)
    if rng.random() < sentence_share:
        return markup.sentence(rng, wording, family)
    return markup.box(rng, wording, family, rng.choice(markup.BOX_STYLES))


def _place_box(rng: random.Random, para: LexborNode, body: Body, html: str) -> str:
    """Insert a box after the teaser: right after the paragraph, at the container's end, or
    after the container. Returns where."""
    where = rng.choices(("paragraph", "container", "after"), (0.5, 0.3, 0.2))[0]
    container = body.container
    if where == "after" and container.tag not in ("body", "html") and container.parent is not None:
        _insert_after(container, html)
    elif where == "container":
        _insert_after(_unit(para, container), html)
    else:
        where = "paragraph"
        _insert_after(para, html)
    return where


def _build(kind: str, src: _Page, rng: random.Random, family: str | None, language: str | None
           ) -> tuple[bytes, str, str | None, tuple[str, ...]] | None:
    if kind == "full":
        return src.raw, "unchanged", None, ()
    parsed = src.parse()
    if parsed is None:
        return None
    tree, body = parsed
    paras = body.paragraphs
    if kind in ("box", "sentence"):
        k = _teaser_size(rng, body)
        _cut_after(paras[k - 1], body.container)
        assert family and language
        if kind == "sentence":
            html, notice, style = markup.sentence(rng, load(language), family)
            _insert_after(paras[k - 1], html)
        else:
            html, notice, style = markup.box(rng, load(language), family,
                                             rng.choice(markup.BOX_STYLES))
            style += "@" + _place_box(rng, paras[k - 1], body, html)
        return _serialise(tree), style, notice, ()
    if kind == "lede":
        assert family and language
        lede = paras[0]
        style = "lede:paragraph"
        if count_words(body.texts[0]) > 60 or rng.random() < 0.3:
            _set_text(lede, _short_lede(body.texts[0]))
            style = "lede:short"
        _cut_after(lede, body.container)
        html, notice, wall = _wall(rng, family, language, sentence_share=0.4)
        if wall.startswith("sentence"):
            _insert_after(lede, html)
        else:
            _place_box(rng, lede, body, html)
        return _serialise(tree), f"{style}+{wall}", notice, ()
    if kind == "ellipsis":
        k = _teaser_size(rng, body)
        cut = _cut_mid_sentence(rng, body.texts[k - 1])
        if cut is None:
            k = next((i + 1 for i in range(1, len(paras) - 1)
                      if count_words(body.texts[i]) >= 12), 0)
            cut = _cut_mid_sentence(rng, body.texts[k - 1]) if k else None
        if cut is None:
            return None
        _cut_after(paras[k - 1], body.container)
        _set_text(paras[k - 1], cut)
        style = "ellipsis"
        if rng.random() < 0.5:
            page_lang = (src.page.language or "en").lower()
            page_lang = {"no": "nb", "nn": "nb"}.get(page_lang, page_lang)
            wording = load(page_lang if page_lang in LANGUAGES else "en")
            minutes = max(1, math.ceil(body.words / 230))
            label = rng.choice(wording.reading_time).replace("{n}", str(minutes))
            meta = (f'<div class="article-meta"><span class="reading-time">{escape(label)}'
                    "</span></div>")
            h1 = tree.body.css_first("h1") if tree.body is not None else None
            if h1 is not None:
                _insert_after(h1, meta)
            else:
                _insert_before(_unit(paras[0], body.container), meta)
            style += "+reading-time"
        return _serialise(tree), style, None, ()
    if kind == "hidden":
        k = _teaser_size(rng, body)
        method = rng.choice(markup.HIDE_METHODS)
        hidden = tuple(body.texts[k:])
        outer = _hide_after(paras[k - 1], body.container,
                            lambda inner: markup.hidden_wrapper(rng, method, inner))
        style, notice = f"hidden:{method}", None
        if family and language:
            html, notice, wall = markup.box(rng, load(language), family,
                                            rng.choice(markup.BOX_STYLES))
            _insert_after(outer, html)
            style += f"+{wall}"
        return _serialise(tree), style, notice, hidden
    # full-promo
    assert language
    wording = load(language)
    styles = []
    after = rng.sample(markup.PROMO_KINDS, rng.randint(1, 2))
    container = body.container
    outside = container.tag not in ("body", "html") and rng.random() < 0.4
    anchor = container if outside else container.last_child
    for promo_kind in reversed(after):
        html = markup.promo(rng, wording, promo_kind)
        if anchor is None:
            container.insert_child(_fragment(html)[0])
        else:
            _insert_after(anchor, html)
    styles.extend(f"{k}@{'after' if outside else 'end'}" for k in after)
    doc_body = tree.body
    assert doc_body is not None
    if rng.random() < 0.6:
        first_child = doc_body.child
        cookie = markup.promo(rng, wording, "cookie")
        if first_child is not None:
            _insert_before(first_child, cookie)
        styles.append("cookie")
    for region in rng.sample(("header", "aside", "footer"), rng.randint(1, 2)):
        promo_kind = rng.choice(("subscribe_promo", "print"))
        html = markup.promo(rng, wording, promo_kind)
        target = next((n for n in doc_body.css(region) if _apart(n, body.container)), None)
        if target is not None:
            last = target.last_child
            if last is not None:
                _insert_after(last, html)
            else:
                target.insert_child(_fragment(html)[0])
        elif region == "footer":
            last = doc_body.last_child
            if last is not None:
                _insert_after(last, html)
        elif doc_body.child is not None:
            _insert_before(doc_body.child, html)
        styles.append(f"{promo_kind}@{region}")
    return _serialise(tree), "+".join(styles), None, ()


def variants(corpora: Path, *, split: str | None = None, seed: int = 0,
             max_pages: int | None = None) -> Iterator[Variant]:
    """The variants of the full pages of ``corpora`` (at most ``max_pages`` pages drawn;
    pages whose body cannot be found are skipped), only those of ``split`` when given."""
    for index, page in enumerate(select_pages(corpora, seed=seed, max_pages=max_pages)):
        yield from page_variants(page, index, seed, split)
