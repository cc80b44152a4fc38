"""The paywall stage's speed-ups give the answers of the plain computations they replace.

The lexicon scan is checked against a reference written the simple way (every candidate entry
tried at every token, in the matcher's order); the box candidates against ``region.css``;
``chrome_self``'s remembered answers against a fresh computation on another page; the pruned
selectors (class tests no class attribute of the page passes, left out) against the whole ones,
on pages that write class values in every way HTML allows.
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.extract.words import count_words
from scraper.paywall import blocks, boxes, dom, hidden, length
from scraper.paywall.lexicon import Entry, _has_wide, load_languages, matcher, tokens


def _word_matches(token: str, word: str, head: bool, tail: bool) -> bool:
    if head and tail:
        return word in token
    if head:
        return token.endswith(word)
    if tail:
        return token.startswith(word)
    return token == word


def _reference_hits(text: str) -> list[tuple[str, str]]:
    """concept -> first matching words, trying every candidate at every token in order: the
    exact and stem entries of the token, the phrases of the token and the next, the infixes."""
    m = matcher()
    found: dict[str, str] = {}
    toks = tokens(text)
    lowered = " ".join(toks)
    wide = _has_wide(lowered)
    infixes = [e for e in (m.infixes if wide else m.narrow_infixes) if e.words[0] in lowered]
    for i, tok in enumerate(toks):
        candidates: list[Entry] = list(m.exact.get(tok, ()))
        for n in m.stem_lengths:
            if n <= len(tok):
                candidates += m.stems.get(tok[:n], ())
        if i + 1 < len(toks):
            candidates += m.pairs.get((tok, toks[i + 1]), ())
        for e in candidates + infixes:
            size = len(e.words)
            if e.concept in found or i + size > len(toks):
                continue
            if all(_word_matches(toks[i + k], w, e.head and k == 0, e.tail and k == size - 1)
                   for k, w in enumerate(e.words)):
                found[e.concept] = " ".join(toks[i:i + size])
    substrings = m.substrings if wide else m.narrow_substrings
    flat = unicodedata.normalize("NFC", text).lower()
    for concept, sub in substrings:
        if concept not in found and sub in flat:
            found[concept] = sub
    return list(found.items())


def _texts() -> list[str]:
    out = []
    for lang in load_languages():
        out += list(lang.notices) + list(lang.ordinary)
        entries = [e.strip("*") for es in lang.concepts.values() for e in es]
        out.append(" ".join(entries))
        out.append(" - ".join("x" + e + "s" for e in entries))  # infix and stem positions
    rnd = random.Random(7)
    words = " ".join(out).split() + ["-", "abo", "€", "$", "plus", "the", "rest", "of"]
    out += [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 25))) for _ in range(3000)]
    return out


def test_lexicon_scan_matches_the_reference() -> None:
    m = matcher()
    for text in _texts():
        assert list(m._scan(text).items()) == _reference_hits(text), text
        assert list(m._scan(text).items()) == _reference_hits(text), text  # with warm caches


def test_lexicon_hits_keep_the_first_match_of_each_concept() -> None:
    hits = matcher().hits(
        "Il vous reste 57% de cet article à lire. La suite est réservée aux abonnés.")
    assert {"rest", "subscribe", "exclusive"} <= set(hits)
    assert matcher().hits("") == {}


def test_subscription_url_words_as_a_trie() -> None:
    m = matcher()
    assert m.subscription_url("https://example.com/abo/angebote")
    assert m.subscription_url("https://example.com/account/log-in?next=/a")
    assert m.subscription_url("https://example.com/x?page=SUBSCRIBE")
    assert not m.subscription_url("https://example.com/about-us")
    assert not m.subscription_url("https://example.com/subscribers-news")
    assert not m.subscription_url("")


PAGE = """<html><body><div id="outer"><div class="story"><p>Text of the story.</p>
<div class="paywall-box"><p>Subscribe to read on.</p></div></div>
<aside class="premium-teaser">More</aside></div>
<div class="wall-of-fame">Elsewhere</div></body></html>"""


def _ids(nodes: list) -> list[int]:
    return [n.mem_id for n in nodes]


def test_box_candidates_equal_the_query_also_when_remembered() -> None:
    selector = boxes.markup().candidates
    tree = LexborHTMLParser(PAGE)
    outer, story, body = tree.css_first("#outer"), tree.css_first(".story"), tree.body
    for region in (outer, story, outer, body, story):
        assert _ids(boxes._candidates(region, selector)) == _ids(region.css(selector))
    found = boxes._candidates(story, selector)
    assert [n.attributes.get("class") for n in found] == ["paywall-box"]
    # another page: its own answers, never the last page's
    other = LexborHTMLParser("<html><body><div id='outer'><p>plain</p></div></body></html>")
    assert boxes._candidates(other.css_first("#outer"), selector) == []


def test_box_candidates_with_a_selector_of_combinators_are_queried() -> None:
    tree = LexborHTMLParser(PAGE)
    outer, story = tree.css_first("#outer"), tree.css_first(".story")
    selector = "#outer .paywall-box, div > aside"
    assert not boxes._self_contained(selector)
    assert _ids(boxes._candidates(outer, selector)) == _ids(outer.css(selector))
    assert _ids(boxes._candidates(story, selector)) == _ids(story.css(selector))


@pytest.mark.parametrize("markup", ["<nav><p>x</p></nav>", "<div class='sidebar'><p>x</p></div>"])
def test_chrome_answers_belong_to_their_page(markup: str) -> None:
    chrome = LexborHTMLParser(f"<html><body>{markup}</body></html>")
    plain = LexborHTMLParser("<html><body><div class='story'><p>x</p></div></body></html>")
    for _ in range(2):
        assert dom.chrome_self(chrome.body.child) is True
        assert dom.chrome_self(plain.body.child) is False
        assert dom.in_chrome(chrome.css_first("p")) and not dom.in_chrome(plain.css_first("p"))


def test_hidden_elements_are_the_query_and_belong_to_their_page() -> None:
    hidden_page = LexborHTMLParser(
        "<html><body><div id='story'><p>shown</p><div hidden><p>rest</p></div></div>"
        "<span aria-hidden='true'>icon</span></body></html>")
    plain = LexborHTMLParser("<html><body><div id='story'><p>shown</p></div></body></html>")
    for _ in range(2):  # asked again: the remembered answer is the same
        for tree in (hidden_page, plain):
            for root in (tree.body, tree.css_first("#story")):
                assert _ids(hidden._hidden_elements(root)) == _ids(root.css(hidden._CANDIDATES))
    assert hidden._hidden_elements(plain.body) == []
    assert len(hidden._hidden_elements(hidden_page.body)) == 2


def test_long_lines_are_the_texts_lines_of_twelve_words() -> None:
    long = "one two three four five six seven eight nine ten eleven twelve"
    text = f"{long}\n  {long.replace(' ', '   ')} \nshort line\n{long} thirteen\n"
    assert hidden._long_lines(text) == {long, long + " thirteen"}


def test_page_memo_is_per_page_and_per_name() -> None:
    one, two = LexborHTMLParser("<p>1</p>"), LexborHTMLParser("<p>2</p>")
    dom.page_memo(one, "a")["k"] = 1
    assert dom.page_memo(one, "a") == {"k": 1} and dom.page_memo(one, "b") == {}
    assert dom.page_memo(two, "a") == {}  # another page: nothing remembered
    assert dom.page_memo(one, "a") == {}  # the first page asked again: answers recomputed


def test_shown_text_and_read_block_answer_for_their_own_page() -> None:
    walled = LexborHTMLParser(
        "<html><body><div id='box'>Subscribe to read the rest of this article."
        "<a href='/abonnement'>Subscribe</a><input type='password'><script>x=1</script>"
        "</div></body></html>")
    plain = LexborHTMLParser("<html><body><div id='box'>Photo: AFP</div></body></html>")
    for _ in range(2):  # asked again (remembered), and alternating between the two pages
        box = walled.css_first("#box")
        text = " ".join(dom.shown_text(box).split())
        assert text == "Subscribe to read the rest of this article. Subscribe"
        block = blocks.read_block(box, text)
        assert block.login_form and block.subscription_links == 1 and block.reads_as_notice
        other = plain.css_first("#box")
        assert dom.shown_text(other) == "Photo: AFP"
        quiet = blocks.read_block(other, "Photo: AFP")
        assert not quiet.login_form and quiet.subscription_links == 0
        assert blocks.read_block(other, text).concepts == block.concepts  # the text is read too


def test_contains_queries_answer_for_their_own_page_and_root() -> None:
    query = 'body :lexbor-contains("the closing words")'
    one = LexborHTMLParser("<html><body><div><p>Here are the closing words.</p></div></body></html>")
    two = LexborHTMLParser("<html><body><p>Other words.</p></body></html>")
    for _ in range(2):
        assert [n.tag for n in dom._containing(one, query)] == ["p"]
        assert _ids(dom._containing(one, query)) == _ids(one.css(query))
        assert dom._containing(two, query) == []
        div = one.css_first("div")
        assert _ids(dom._containing(div, ':lexbor-contains("closing")')) == \
            _ids(div.css(':lexbor-contains("closing")'))
        assert dom._containing(one, ':lexbor-contains("unclosed') == []  # refused: no elements


def test_hidden_elements_of_a_region_are_the_bodys_inside_it() -> None:
    tree = LexborHTMLParser(
        "<html><body><header><i aria-hidden='true'>*</i><nav hidden>menu</nav></header>"
        "<main><div id='region' class='is-hidden'><p>a</p><span aria-hidden='true'>b</span>"
        "<div><div style='display: none'>deep</div></div></div>"
        "<aside style='filter: blur(4px)'>side</aside></main>"
        "<footer><span class='visually-hidden'>x</span></footer></body></html>")
    for selector in ("#region", "main", "header", "footer", "#region div div"):
        region = tree.css_first(selector)
        expected = _ids(region.css(hidden._CANDIDATES))
        assert _ids(hidden._hidden_elements(region)) == expected, selector
    assert len(hidden._hidden_elements(tree.css_first("#region"))) == 3  # itself, span, div


# --- Pruned selectors: a class test that no class attribute of the page can pass is left out ---

_PRUNED_SELECTORS = (boxes.markup().candidates, hidden._CANDIDATES, length._LABEL_SELECTOR)
# Class values as pages write them: odd case, single quotes, no quotes, character references,
# tabs and line breaks between names, inside <noscript> and <template>, on <html>, in <head>,
# on SVG, a name that holds the value inside it.
ODD_PAGE = """<!DOCTYPE html><html class="PayWall-Root"><head>
<link class='Reading-Time' rel=x><title>t</title></head><body>
<div id="story" CLASS="article	SUBSCRIBERS-ONLY
 x"><p class=Piano-Premium-box>one</p>
<section class="pay&#119;all-box"><p class='is-&#x42;lurred'>two</p></section>
<div class="meta-line"><span>5 min read</span></div>
<noscript><div class="premium-wall">three</div></noscript>
<template><div class="Locked-Content">four</div></template>
<svg class="ObFuscated"><text class="hiddenText">5</text></svg>
<aside class="NotAPayWALLatAll reading-duration"><time>6</time></aside>
<div style="DISPLAY:NONE" aria-hidden=true class="js-HIDDEN">seven</div>
</div><footer class="site-footer"><p class="lesezeit">Lesezeit 4 Minuten</p></footer>
</body></html>"""
PLAIN_PAGE = "<html><body><div class='story'><p class='lede'>Text.</p><p>More.</p></div></body></html>"


def _regions(tree: LexborHTMLParser) -> list:
    out = [tree.root, tree.body] + tree.css("div, section, aside, svg, footer")
    return [node for node in out if node is not None]


@pytest.mark.parametrize("markup", [ODD_PAGE, PLAIN_PAGE, PAGE])
def test_pruned_selectors_find_what_the_whole_selectors_find(markup: str) -> None:
    tree = LexborHTMLParser(markup)
    for selector in _PRUNED_SELECTORS:
        query = dom.pruned(selector, tree)
        for region in _regions(tree):
            expected = _ids(region.css(selector))
            assert (_ids(region.css(query)) if query else []) == expected, (selector, region.tag)


def test_pruned_selectors_leave_out_only_class_tests_that_find_nothing() -> None:
    plain = LexborHTMLParser(PLAIN_PAGE)
    assert dom.pruned(boxes.markup().candidates, plain).count(",") < \
        boxes.markup().candidates.count(",")  # most of its class tests are left out
    assert "[class*=wall i]" not in dom.pruned(boxes.markup().candidates, plain)
    odd = LexborHTMLParser(ODD_PAGE)
    kept = dom.pruned(boxes.markup().candidates, odd)
    # paywall (a character reference), subscri (CLASS=, upper case), blurred (&#x42;), piano
    for part in ("[class*=wall i]", "[class*=subscri i]", "[class*=blurred]", "[class*=premium i]",
                 "[class*=obfuscated]"):
        assert part in kept, part
    assert dom.pruned(length._LABEL_SELECTOR, plain) == "time"  # no class holds its words
    assert dom.pruned("[class*=zzz i]", plain) == ""  # nothing can match: no query at all
    assert boxes._candidates(plain.body, "[class*=zzz i]") == []


@pytest.mark.parametrize("selector", [
    "div:not([class*=zzz]), p",  # a functional pseudo-class: not read
    "[class*=\\7a zz]",  # an escape: not read
    '[class*="zz,z"], p',  # a comma inside a value
    "[class*='zz z'], p",  # a space inside a value (no such test is read)
    "[class*=zzz s], p",  # another flag
])
def test_selectors_not_read_simply_are_kept_whole(selector: str) -> None:
    tree = LexborHTMLParser("<html><body><p class='zz z zzz'>x</p><div>y</div></body></html>")
    query = dom.pruned(selector, tree)
    assert query in (selector, ", ".join(p.strip() for p in selector.split(",")))
    assert _ids(tree.css(query)) == _ids(tree.css(selector))


def test_pruned_selectors_on_random_pages_find_the_same() -> None:
    rnd = random.Random(11)
    words = ["Paywall", "pay&#119;all", "SUBSCRI", "subscriber", "premium-box", "ONLY", "gate",
             "locked", "Fadeout", "faded", "blurred", "poool", "zephr", "mepr-x", "meta",
             "read", "TIME", "reading", "duration", "hidden", "blur", "plain", "story", "x"]
    quotes = ['"{}"', "'{}'", "{}"]
    for _ in range(150):
        parts = []
        for _ in range(rnd.randint(1, 12)):
            value = "\t".join(rnd.choice(words) for _ in range(rnd.randint(1, 3)))
            quoted = rnd.choice(quotes).format(value) if "\t" not in value else f'"{value}"'
            tag = rnd.choice(["div", "p", "span", "section", "time", "noscript", "template"])
            attr = rnd.choice(["class", "CLASS", "Class", "id", "data-x"])
            parts.append(f"<{tag} {attr}={quoted}><span>in</span></{tag}>")
        tree = LexborHTMLParser("<html><body><div>" + "".join(parts) + "</div></body></html>")
        for selector in _PRUNED_SELECTORS:
            query = dom.pruned(selector, tree)
            for region in (tree.root, tree.body):
                assert (_ids(region.css(query)) if query else []) == _ids(region.css(selector))


def test_page_classes_belong_to_their_page() -> None:
    one = LexborHTMLParser("<html><body><p class='Paywall'>x</p></body></html>")
    two = LexborHTMLParser("<html><body><p class='story'>x</p></body></html>")
    for _ in range(2):
        assert "paywall" in dom.page_classes(one).split()
        assert dom.page_classes(two) == "story"
        assert "[class*=wall i]" in dom.pruned(boxes.markup().candidates, one)
        assert "[class*=wall i]" not in dom.pruned(boxes.markup().candidates, two)


@pytest.mark.parametrize("text", [
    "", "plain words here", "Ünïcödé wörds — “quoted” text", "東京で会議が開かれた。 and more",
    "ひらがな カタカナ 漢字", "\u303f\u3040 edge \u30ff\u3400 \u9fff\uf900\ufaff\ufb00",
    "Ελληνικά κείμενα", "mixed 中文 text\nwith lines\t\tand tabs", "한국어 문장 입니다",
])
def test_count_words_adds_half_the_kana_and_han_letters(text: str) -> None:
    # One regex scan (no max() over the text): spaced words, plus half the kana/Han letters.
    cjk = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff"
              or "\uf900" <= ch <= "\ufaff")
    assert count_words(text) == len(text.split()) + cjk // 2
    assert count_words(text * 50) == len((text * 50).split()) + (cjk * 50) // 2


@pytest.mark.parametrize("fields", [
    "<input type=password>", "<input TYPE='PassWord'>", "<input type='pa\u017fsword'>",
    "<input type=Email>", "<input name='E-MAIL'>", "<input name='your_Mail_address'>",
    "<input type='text' name='q'>", "<input type>", "<input name='m\u0430il'>",
    "<input type=email><input type=password>", "",
])
def test_read_block_tells_fields_apart_as_the_selectors_do(fields: str) -> None:
    tree = LexborHTMLParser(
        f"<html><body><div id='box'>Subscribe to read the rest. {fields}"
        "<a href='/abo'>Abo</a><form action='/subscribe'></form><a>no href</a></div></body></html>")
    box = tree.css_first("#box")
    block = blocks.read_block(box, "Subscribe to read the rest.")
    password = box.css_first("input[type=password i]") is not None
    email = box.css_first("input[type=email i], input[name*=mail i]") is not None
    assert block.login_form == password
    assert ("newsletter" in block.concepts) == (email and not password)
    assert block.subscription_links == 2
