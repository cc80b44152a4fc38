"""The paywall stage's speed-ups give the answers of the plain computations they replace.

The lexicon scan is checked against a reference written the simple way (every candidate entry
tried at every token, in the matcher's order); the box candidates against ``region.css``;
``chrome_self``'s remembered answers against a fresh computation on another page.
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.paywall import blocks, boxes, dom, hidden
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
