"""Hidden text is not article text: hidden, blurred and clipped rests of an article."""

from __future__ import annotations

import pytest

from scraper.extract.article import extract_article

from .conftest import PROSE, judge, names
from .conftest import page as cpage

REST = "".join(
    f"<p>Paragraph {i} of the rest: the committee heard witnesses on the harbour plan, the "
    f"costs of dredging and the fishermen's objections, and adjourned until the spring.</p>"
    for i in range(6)
)
BOX = ("<div class='offer'><h3>Subscribe to continue reading</h3>"
       "<a href='/subscribe'>See our offers</a></div>")


def page(hidden_rest: str, box: str = BOX) -> bytes:
    teaser = "".join(f"<p>Teaser {i}: {PROSE}</p>" for i in range(2))
    return (f"<html><body><article><h1>Harbour plan</h1>{teaser}{hidden_rest}{box}</article>"
            "</body></html>").encode()


@pytest.mark.parametrize(
    "wrapper",
    [
        "<div style='display:none'>{}</div>",
        "<div hidden>{}</div>",
        "<div style='visibility: hidden'>{}</div>",
        "<div style='filter: blur(4px)'>{}</div>",
        "<div class='article-rest is-blurred'>{}</div>",
        "<div style='max-height: 120px; overflow: hidden'>{}</div><div class='fade'></div>",
    ],
)
def test_hidden_rest_is_truncated_and_left_out(wrapper: str) -> None:
    art = extract_article(page(wrapper.format(REST)), "https://news.example/a/1")
    assert art.access == "truncated"
    assert {"dom:hidden-body", "dom:hidden-rest", "dom:blurred-rest"} & set(art.paywall_signals)
    assert "Paragraph 3 of the rest" not in art.text
    assert "Teaser 1" in art.text


def test_hidden_template_is_not_a_body() -> None:
    # A hidden element with a line or two (a template, a modal) is no article part.
    art = extract_article(page("<div hidden><p>Thanks for signing up!</p></div>", box=""),
                          "https://news.example/a/1")
    assert not {"dom:hidden-body", "dom:hidden-rest", "dom:blurred-rest"} & set(art.paywall_signals)
    assert art.access == "full"


def test_visible_rest_is_full() -> None:
    art = extract_article(page(REST, box=""), "https://news.example/a/1")
    assert art.access == "full"
    assert "Paragraph 5 of the rest" in art.text


def test_hidden_rest_without_a_wall_is_still_not_text() -> None:
    # No notice, no box: whatever the verdict says, a reader does not see the hidden rest.
    art = extract_article(page("<div style='display:none'>{}</div>".format(REST), box=""),
                          "https://news.example/a/1")
    assert "dom:hidden-rest" in art.paywall_signals or "dom:hidden-body" in art.paywall_signals
    assert "Paragraph 3 of the rest" not in art.text
    assert "Teaser 1" in art.text


def test_body_hidden_whole_without_a_wall_is_kept() -> None:
    # A page that hides its whole body until a script reveals it is no wall: nothing visible
    # would be left, and the article would be lost.
    html = (f"<html><body><article><h1>Harbour plan</h1><div style='display:none'>{REST}</div>"
            "</article></body></html>").encode()
    art = extract_article(html, "https://news.example/a/1")
    assert art.access == "full"
    assert "Paragraph 3 of the rest" in art.text


def test_hidden_rest_right_after_the_teaser_is_the_next_thing() -> None:
    art = extract_article(page("<div style='display:none'>{}</div>".format(REST), box=""),
                          "https://news.example/a/1")
    assert "dom:hidden-next" in art.paywall_signals


def test_hidden_rest_far_from_the_body_is_not_the_next_thing() -> None:
    # The same hidden prose after the comments and a list of links: no continuation.
    comments = "".join(f"<p>Comment {i}: {PROSE}</p>" for i in range(3))
    html = page("", box="").replace(
        b"</article>", f"</article><section class='comments'>{comments}</section>"
                       f"<div style='display:none'>{REST}</div>".encode())
    art = extract_article(html, "https://news.example/a/1")
    assert "dom:hidden-next" not in art.paywall_signals


@pytest.mark.parametrize("opening", [
    "<div class='newsletter-modal' style='display:none'>",
    "<div role='dialog' hidden>",
    "<div id='signin-popup' style='display:none'>",
])
def test_a_dialog_waiting_to_be_opened_is_no_hidden_rest(opening: str) -> None:
    art = extract_article(page(f"{opening}{REST}</div>", box=""), "https://news.example/a/1")
    assert not {"dom:hidden-rest", "dom:hidden-next", "dom:hidden-body"} & set(art.paywall_signals)


def test_hidden_prose_in_a_form_or_one_block_is_no_continuation() -> None:
    # A sign-up widget or a microdata copy of the article in one block: hidden, not a rest.
    form = f"<div style='display:none'><form action='/join'>{REST}<input name='q'></form></div>"
    art = extract_article(page(form, box=""), "https://news.example/a/1")
    assert "dom:hidden-next" not in art.paywall_signals
    one_block = "<div style='display:none'>" + " ".join(
        f"Sentence {i} of a copy kept for search engines about the harbour plan." for i in range(20)
    ) + "</div>"
    art = extract_article(page(one_block, box=""), "https://news.example/a/1")
    assert "dom:hidden-next" not in art.paywall_signals


def test_hidden_prose_the_extractor_took_is_found_by_its_lines() -> None:
    # The extracted text ends with links the extractor kept from a list far from the body, so the
    # body is placed there, not near the hidden rest; its paragraphs are still lines of the
    # text, found wherever they are, and cut from it.
    rest = [f"Paragraph {i} of the rest: the committee heard witnesses on the harbour plan, the "
            f"costs of dredging and the fishermen's objections, and adjourned until the spring."
            for i in range(6)]
    related = [f"Read next: the council votes on the harbour plan budget for year {y}"
               for y in range(2019, 2024)]
    teaser = [f"Teaser {i}: {PROSE}" for i in range(2)]
    far = "".join(f"<div><div><div><div><div><div><div><div><a href='/r/{i}'>{t}</a>"
                  "</div></div></div></div></div></div></div></div>" for i, t in enumerate(related))
    doc = cpage("<article><h1>Harbour plan</h1>" + "".join(f"<p>{t}</p>" for t in teaser)
                + "<div style='display:none'>" + "".join(f"<p>{t}</p>" for t in rest)
                + "</div></article>" + "<footer>x</footer>" * 3 + far)
    verdict, text = judge(doc, "\n".join(teaser + rest + related))
    assert "dom:hidden-rest" in names(verdict)
    assert "dom:hidden-next" in names(verdict)  # the text goes on from visible prose into it
    assert "Paragraph 3 of the rest" not in text
    assert "Teaser 1" in text


def test_a_rest_hidden_level_by_level_is_all_left_out() -> None:
    # One hidden wrapper per enclosing element: the rest of the section, then the later sections.
    section = "".join(f"<p>Section one, paragraph {i}: the harbour board met the fishermen and "
                      f"the ferry company to hear their objections to the plan.</p>" for i in range(3))
    later = "".join(f"<p>Section two, paragraph {i}: the dredging would start in the spring and "
                    f"cost the city more than the budget had set aside for it.</p>" for i in range(3))
    html = (f"<html><body><article><h1>Harbour plan</h1><div class='s1'><p>Teaser 0: {PROSE}</p>"
            f"<p>Teaser 1: {PROSE}</p><div style='display:none'>{section}</div></div>"
            f"<div style='display:none'><div class='s2'><h2>Costs</h2>{later}</div></div>"
            f"{BOX}</article></body></html>").encode()
    art = extract_article(html, "https://news.example/a/1")
    assert art.access == "truncated"
    assert "Teaser 1" in art.text
    assert "Section one" not in art.text and "Section two" not in art.text


def _rest_then(after_html: str, after_lines: list[str]) -> tuple[object, str]:
    """A teaser, its hidden rest, then what the extractor kept past the article."""
    rest = [f"Paragraph {i} of the rest: the committee heard witnesses on the harbour plan, the "
            f"costs of dredging and the fishermen's objections, and adjourned until the spring."
            for i in range(6)]
    teaser = [f"Teaser {i}: {PROSE}" for i in range(2)]
    doc = cpage("<article><h1>Harbour plan</h1>" + "".join(f"<p>{t}</p>" for t in teaser)
                + "<div style='display:none'>" + "".join(f"<p>{t}</p>" for t in rest)
                + "</div></article>" + after_html)
    return judge(doc, "\n".join(teaser + rest + after_lines))


def test_the_visible_end_is_before_hidden_lines_the_extractor_took() -> None:
    # The extractor kept an author's bio after the hidden rest: the body's visible end is the
    # teaser's last paragraph, so the hidden part is the rest of it, and it is cut.
    bio = ("Anna Berg has covered the harbour, the port authority and the city's budget for the "
           "Gazette since 2009.")
    verdict, text = _rest_then(f"<div class='author'><p>{bio}</p></div>", [bio])
    assert "dom:hidden-rest" in names(verdict)
    assert "Paragraph 3 of the rest" not in text
    assert "Teaser 1" in text and bio in text


def test_article_prose_after_the_hidden_lines_keeps_them_a_collapsed_part() -> None:
    # A long article goes on after the hidden lines: a part collapsed in the middle, not a rest.
    more = [f"Later paragraph {i}: the mayor answered the objections one by one and promised "
            f"a second hearing before the works begin next year." for i in range(12)]
    verdict, text = _rest_then("<div>" + "".join(f"<p>{m}</p>" for m in more) + "</div>", more)
    assert "dom:hidden-rest" not in names(verdict)


@pytest.mark.parametrize("opening", [
    "<div role='tabpanel' hidden>",
    "<div class='tab-content hidden'>",
    "<li id='simple2Tab' style='display:none'>",
    "<div class='gallery-slide' style='display:none'>",
])
def test_a_tab_panel_or_a_slide_is_no_hidden_rest(opening: str) -> None:
    closing = "</li>" if opening.startswith("<li") else "</div>"
    art = extract_article(page(f"{opening}{REST}{closing}", box=""), "https://news.example/a/1")
    assert not {"dom:hidden-rest", "dom:hidden-next", "dom:hidden-body"} & set(art.paywall_signals)


def test_a_chinese_teaser_and_its_hidden_rest() -> None:
    # Chinese writes no spaces: a paragraph's words are counted as count_words does (half a
    # word per character), or the teaser would never be prose and the rest never a rest.
    teaser = "".join(f"<p>第{i}段：市议会在学校、道路和新图书馆问题上进行了长时间辩论后批准了预算，市长感谢所有参与的人。</p>"
                     for i in range(2))
    rest = "".join(f"<p>其余第{i}段：委员会听取了关于港口计划、疏浚费用和渔民反对意见的证词，并休会至春季再议。</p>"
                   for i in range(6))
    html = (f"<html><body><article><h1>港口计划</h1>{teaser}<div hidden>{rest}</div>"
            "</article></body></html>").encode()
    art = extract_article(html, "https://news.example/a/1")
    assert {"dom:hidden-rest", "dom:hidden-next"} <= set(art.paywall_signals)
    assert "其余第3段" not in art.text and "第1段" in art.text


def test_has_words_counts_like_count_words() -> None:
    from scraper.extract.words import count_words, has_words

    for text in ["one two three", "市议会在学校和道路问题上进行了辩论", "Le maire a dit « oui » hier soir", ""]:
        for least in (1, 3, 5, 8):
            assert has_words(text, least) == (count_words(text) >= least)


def test_a_hidden_paragraph_the_extractor_took_in_another_version_is_cut() -> None:
    # The extractor's copy of a hidden paragraph has a sentence the page's copy lacks (taken
    # from structured data): most of its sentences are hidden text, so it is hidden text.
    from scraper.paywall.hidden import HiddenBody, visible_text

    hidden_para = ("The committee heard the witnesses on Monday. The costs of dredging were "
                   "discussed at length. The fishermen objected to the plan again.")
    text_para = ("The committee heard the witnesses on Monday. The costs of dredging were "
                 "discussed at length. A sentence only the structured copy has, about the ferry.")
    other = ("The fishermen objected to the plan again. Nobody else spoke at the hearing that day. "
             "The mayor said nothing at all about it.")
    hidden = HiddenBody("hidden", None, 30, (hidden_para,), 2)  # type: ignore[arg-type]
    kept = visible_text("\n".join([PROSE, text_para, other]), hidden, hidden_para)
    assert text_para not in kept
    assert other in kept  # one sentence of three is hidden: a visible paragraph
    assert PROSE in kept


def test_hidden_list_items_leave_the_text_with_their_marks() -> None:
    # The extracted text marks list items "- item"; the hidden element's items are the same
    # lines without the mark.
    from scraper.paywall.hidden import HiddenBody, visible_text

    items = ("The UK must stay in the EU to have influence on the world stage",
             "Syria needs a political solution in order to defeat the Islamic State group")
    hidden = HiddenBody("hidden", None, 30, items, 2)  # type: ignore[arg-type]
    kept = visible_text("\n".join([PROSE] + [f"- {i}" for i in items]), hidden, "\n".join(items))
    assert kept == PROSE
