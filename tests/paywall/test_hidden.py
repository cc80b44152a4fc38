"""Hidden text is not article text: hidden, blurred and clipped rests of an article."""

from __future__ import annotations

import pytest

from scraper.extract.article import extract_article

from .conftest import PROSE

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
