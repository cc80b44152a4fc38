"""scraper.synth.generate: each kind of variant is what it says, deterministically, split right."""

from __future__ import annotations

import gzip
import json
import re
from html import escape
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.decode import decode_html
from scraper.synth.generate import KINDS, SourcePage, Variant, select_pages, site_split, variants
from scraper.synth.locate import locate_body, normalise
from scraper.synth.wordings import (
    DEV_FAMILIES, DEV_LANGUAGES, HELDOUT_FAMILIES, HELDOUT_LANGUAGES, load_all,
)

_HIDDEN_STYLE = re.compile(r"display:\s*none|visibility:\s*hidden|filter:\s*blur|max-height:[^;]*;\s*"
                           r"overflow:\s*hidden")


def _tree(html: bytes) -> LexborHTMLParser:
    tree = LexborHTMLParser(html.decode("utf-8"))
    tree.strip_tags(["script", "style", "noscript", "template"])
    return tree


def _hidden(node: LexborNode) -> bool:
    while node is not None and node.tag not in ("html", None):
        if "hidden" in node.attributes or _HIDDEN_STYLE.search(node.attributes.get("style") or ""):
            return True
        node = node.parent
    return False


def _visible_text(html: bytes) -> str:
    tree = _tree(html)
    for node in tree.css("[hidden], [style]"):
        if _hidden(node):
            node.decompose()
    assert tree.body is not None
    return normalise(tree.body.text(deep=True))


def _source(v: Variant, corpora: Path) -> tuple[bytes, list[str]]:
    """The source page's bytes and its body paragraphs."""
    folder = corpora / v.corpus
    rec = next(json.loads(line) for line in (folder / "index.jsonl").read_text("utf-8").splitlines()
               if json.loads(line)["id"] == v.page_id)
    raw = gzip.decompress((folder / rec["html_file"]).read_bytes())
    reference = rec["expected_text"]
    if reference is None:
        from scraper import extract_article

        reference = extract_article(raw, rec["url"]).text
    body = locate_body(LexborHTMLParser(decode_html(raw, None).text), reference)
    assert body is not None
    return raw, body.texts


def _of(all_variants: list[Variant], kind: str) -> list[Variant]:
    found = [v for v in all_variants if v.kind == kind]
    assert found
    return found


def test_every_page_gives_every_kind_and_truncated_pages_are_never_used(
        all_variants: list[Variant]) -> None:
    pages = {v.page_id for v in all_variants}
    assert pages == {"fundus-at-ORF-2024_11_22", "newspaper4k-chinese_article_002",
                     "written-river-survey"}
    for page in pages:
        assert sorted(v.kind for v in all_variants if v.page_id == page) == sorted(KINDS)


@pytest.mark.parametrize("kind", ["box", "sentence"])
def test_teaser_then_notice_once_and_the_rest_removed(
        all_variants: list[Variant], corpora: Path, kind: str) -> None:
    for v in _of(all_variants, kind):
        _, paras = _source(v, corpora)
        text = _visible_text(v.html)
        kept = [p in text for p in paras]
        k = kept.index(False)
        assert 2 <= k <= 5 and not any(kept[k:]), (v.id, kept)
        assert v.notice and text.count(normalise(v.notice)) == 1
        assert text.index(normalise(v.notice)) > text.index(paras[k - 1])
        assert v.expected_access == "truncated"
        tree = _tree(v.html)
        holder = next(n for n in tree.css(f'[lang="{v.language}"]')
                      if normalise(v.notice) in normalise(n.text(deep=True)))
        assert holder.tag != "html"


def test_sentence_is_one_plain_paragraph(all_variants: list[Variant]) -> None:
    for v in _of(all_variants, "sentence"):
        tree = _tree(v.html)
        holders = [p for p in tree.css("p") if normalise(v.notice or "") in normalise(p.text(deep=True))]
        assert len(holders) == 1 and holders[0].attributes.get("class") is None


def test_lede_keeps_one_short_paragraph(all_variants: list[Variant], corpora: Path) -> None:
    for v in _of(all_variants, "lede"):
        _, paras = _source(v, corpora)
        text = _visible_text(v.html)
        assert not any(p in text for p in paras[1:]), v.id
        assert v.notice and normalise(v.notice) in text
        assert v.expected_access == "locked"


def test_hidden_rest_is_in_the_html_but_inside_a_hidden_element(
        all_variants: list[Variant], corpora: Path) -> None:
    for v in _of(all_variants, "hidden"):
        _, paras = _source(v, corpora)
        assert v.hidden_texts and list(v.hidden_texts) == paras[len(paras) - len(v.hidden_texts):]
        tree = _tree(v.html)
        nodes = [n for n in tree.css("p, li, div, blockquote, h2, h3")
                 if normalise(n.text(deep=True)) in v.hidden_texts]
        assert nodes and all(_hidden(n) for n in nodes), v.id
        visible = _visible_text(v.html)
        assert paras[0] in visible and not any(h in visible for h in v.hidden_texts)
        assert v.expected_access == "truncated"


def test_ellipsis_cut_mid_sentence_without_any_notice(all_variants: list[Variant], corpora: Path) -> None:
    wordings = load_all()
    notices = {t for w in wordings.values() for n in w.notices.values() for t in n.text}
    for v in _of(all_variants, "ellipsis"):
        _, paras = _source(v, corpora)
        text = _visible_text(v.html)
        kept = [p for p in paras if p in text]
        cut = paras[len(kept)]
        last_end = max(text.find("…", text.find(kept[-1])), text.find("...", text.find(kept[-1])))
        assert last_end > 0 and cut[:15] in text and cut not in text
        assert v.notice is None and v.family is None and v.language is None
        html = v.html.decode("utf-8")
        assert not any(escape(n) in html for n in notices)
        if "reading-time" in v.style:
            assert re.search(r'class="reading-time">[^<]*\d', html)


def test_full_is_the_page_unchanged(all_variants: list[Variant], corpora: Path) -> None:
    for v in _of(all_variants, "full"):
        raw, _ = _source(v, corpora)
        assert v.html == raw and v.expected_access == "full" and v.notice is None


def test_full_promo_keeps_the_body_and_puts_promos_outside_it(
        all_variants: list[Variant], corpora: Path) -> None:
    wordings = load_all()
    notices = {t for w in wordings.values() for n in w.notices.values() for t in n.text}
    for v in _of(all_variants, "full-promo"):
        _, paras = _source(v, corpora)
        text = _visible_text(v.html)
        assert all(p in text for p in paras)
        promos = wordings[v.language or ""].promos
        placed = [t for kind in ("newsletter", "donation", "comment_login") for t in promos[kind]
                  if normalise(t) in text]
        assert placed and all(text.index(normalise(t)) > text.index(paras[-1]) for t in placed)
        start, end = text.index(paras[0]), text.index(paras[-1])
        chrome = [text.index(normalise(t)) for kind in ("subscribe_promo", "print", "cookie")
                  for t in promos[kind] if normalise(t) in text]
        assert chrome and not any(start < i < end for i in chrome), v.id
        html = v.html.decode("utf-8")
        assert not any(escape(n) in html for n in notices)
        assert v.expected_access == "full"


def test_deterministic_for_a_seed(corpora: Path, all_variants: list[Variant]) -> None:
    again = list(variants(corpora, seed=0))
    assert [(v.id, v.html, v.style, v.language) for v in again] == \
        [(v.id, v.html, v.style, v.language) for v in all_variants]
    other = list(variants(corpora, seed=1))
    assert [v.html for v in other] != [v.html for v in all_variants]


def test_halves_are_disjoint_and_cover_everything() -> None:
    assert not set(DEV_FAMILIES) & set(HELDOUT_FAMILIES)
    assert len(DEV_FAMILIES) == len(HELDOUT_FAMILIES) == 5
    assert not set(DEV_LANGUAGES) & set(HELDOUT_LANGUAGES)
    assert len(DEV_LANGUAGES + HELDOUT_LANGUAGES) == 26
    assert {site_split(f"site{i}.test") for i in range(20)} == {"dev", "heldout"}


def test_split_follows_the_parts(all_variants: list[Variant]) -> None:
    for v in all_variants:
        parts = {p for p in (v.family_split, v.language_split, v.site_split) if p}
        assert v.split == (parts.pop() if len(parts) == 1 else "mixed")
        if v.family:
            assert v.family_split == ("dev" if v.family in DEV_FAMILIES else "heldout")
        if v.language:
            assert v.language_split == ("dev" if v.language in DEV_LANGUAGES else "heldout")
        if v.kind in ("ellipsis", "full") or (v.kind == "hidden" and v.notice is None):
            assert v.family is None and v.language is None and v.split == v.site_split


def test_split_filter(corpora: Path, all_variants: list[Variant]) -> None:
    for half in ("dev", "heldout", "mixed"):
        got = list(variants(corpora, seed=0, split=half))
        assert [v.id for v in got] == [v.id for v in all_variants if v.split == half]


def test_select_pages_max_pages_and_mix(corpora: Path) -> None:
    pages = select_pages(corpora)
    assert len(pages) == 3 and all(isinstance(p, SourcePage) for p in pages)
    assert len({p.corpus for p in pages[:3]}) == 3  # taken in turn from each corpus
    assert len(select_pages(corpora, max_pages=2)) == 2
    assert len(list(variants(corpora, max_pages=1))) == len(KINDS)
