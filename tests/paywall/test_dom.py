"""Paywall boxes in the raw DOM: vendors, generic classes, rule selectors, reduced paragraphs."""

from __future__ import annotations

import pytest

from scraper.extract.document import parse_document
from scraper.models import SourceRules

from .conftest import FIXTURES, PROSE, judge, names, page, scored

OFFER = "<h3>Subscribe today</h3><p>Get unlimited access for 1 € the first month.</p>"


LONG = "".join(f"<p>{i}: The council approved the budget after a long debate about schools, roads and "
               "the new library, and the mayor thanked everyone who took part in the meeting.</p>"
               for i in range(30))


def test_generic_box_after_body_counts(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article><div class='paywall-box'>{OFFER}</div>")
    verdict, _ = judge(doc, article_text)
    assert "dom:paywall-box" in scored(verdict)
    plain, _ = judge(page(f"<article>{article_html}</article>"), article_text)
    assert plain.access == "full"
    # an offer box where a short body stops is evidence of a wall, if not always enough alone
    assert verdict.access != "full" or verdict.confidence < plain.confidence


def test_box_over_a_long_body_is_drawn_over_the_whole_text() -> None:
    # Client-side walls put their box after a body they then hide in the browser: with 600+
    # words served, the copy is whole.
    doc = page(f"<article>{LONG}</article><div id='poool-widget'>{OFFER}</div>")
    text = "\n\n".join(p.text() for p in doc.css("article p"))
    verdict, _ = judge(doc, text)
    assert {"dom:vendor:poool", "body:long"} <= names(verdict)
    assert verdict.access == "full"


def test_generic_box_plus_ellipsis_truncates(article_html: str, article_text: str) -> None:
    cut = article_html.replace("took part.</p>", "took part and then …</p>")
    doc = page(f"<article>{cut}</article><div class='paywall-box'>{OFFER}</div>")
    verdict, _ = judge(doc, article_text.rsplit(".", 1)[0] + " and then …")
    assert {"dom:paywall-box", "ending:ellipsis"} <= scored(verdict)
    assert verdict.access == "truncated"


@pytest.mark.parametrize(
    "wrapper",
    [
        "<aside class='sidebar'><div class='paywall-box'>{}</div></aside>",
        "<footer><div class='regwall'>{}</div></footer>",
        "<nav><div class='paywall'>{}</div></nav>",
        "<div class='paywall' style='display: none'>{}</div>",
        "<div class='paywall' hidden>{}</div>",
        "<template><div class='paywall'>{}</div></template>",
        "<div class='paywall hidden'>{}</div>",
    ],
)
def test_box_in_chrome_or_hidden_does_not_count(wrapper: str, article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article>" + wrapper.format(OFFER))
    verdict, _ = judge(doc, article_text)
    assert not {n for n in names(verdict) if n.startswith("dom:")}


def test_sidebar_subscribe_box_next_to_full_article() -> None:
    html = (FIXTURES / "sidebar-subscribe-box-full-article.html").read_text(encoding="utf-8")
    doc = parse_document(html, "https://news.example/a")
    text = "\n\n".join(p.text() for p in doc.css("article p"))
    verdict, out = judge(doc, text)
    assert verdict.access == "full"
    assert not {n for n in scored(verdict) if n.startswith(("dom:", "notice:"))}
    assert out == text


def test_box_before_the_body_does_not_count(article_html: str, article_text: str) -> None:
    doc = page(f"<div class='paywall-teaser-box'>{OFFER}</div><article>{article_html}</article>")
    verdict, _ = judge(doc, article_text)
    assert "dom:paywall-box" not in names(verdict)


def test_container_holding_the_body_is_not_a_box(article_html: str, article_text: str) -> None:
    doc = page(f"<section class='article__wrapper--premium paywall-wrapper'>{article_html}<p>Subscribe</p></section>")
    verdict, _ = judge(doc, article_text)
    assert "dom:paywall-box" not in names(verdict)


def test_ghost_upgrade_cta_is_high(article_html: str, article_text: str) -> None:
    doc = page(
        f"<article>{article_html}<aside class='gh-post-upgrade-cta'><h2>This post is for subscribers only</h2>"
        "<a href='#/portal/signup'>Subscribe now</a></aside></article>"
    )
    verdict, _ = judge(doc, article_text)
    assert "dom:vendor:ghost" in scored(verdict)
    assert verdict.access == "truncated"


def test_empty_vendor_placeholder_and_script_are_site_level(article_html: str, article_text: str) -> None:
    doc = page(
        f"<article>{article_html}</article><div id='poool-widget'></div>",
        "<script src='https://assets.poool.fr/access.min.js'></script>",
    )
    verdict, _ = judge(doc, article_text)
    assert verdict.access == "full"
    assert "script:vendor:poool" in names(verdict)
    assert "script:vendor:poool" not in scored(verdict)
    assert "dom:vendor:poool" not in names(verdict)


def test_vendor_box_with_offer_after_a_short_body(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article><div id='poool-widget'>{OFFER}</div>")
    verdict, _ = judge(doc, article_text)
    assert "dom:vendor:poool" in scored(verdict)
    assert verdict.access == "truncated"


def test_rules_paywall_box(article_html: str, article_text: str) -> None:
    rules = SourceRules(name="x", paywall_boxes=(".mur",))
    doc = page(f"<article>{article_html}<div class='mur'>Lisez la suite de l'article</div></article>")
    verdict, _ = judge(doc, article_text, rules=rules)
    assert "rules:box" in scored(verdict)
    assert verdict.access == "truncated"
    assert verdict.notice == "Lisez la suite de l'article"


def test_reduced_paragraph(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}<p class='paragraph paragraph--faded'>And then the</p></article>")
    verdict, _ = judge(doc, article_text)
    assert "css:reduced-paragraph" in scored(verdict)
    assert verdict.access == "truncated"


def test_no_reduced_paragraph_on_plain_page(article_html: str, article_text: str) -> None:
    verdict, _ = judge(page(f"<article>{article_html}</article>"), article_text)
    assert "css:reduced-paragraph" not in names(verdict)
    assert verdict.access == "full"


def test_notice_after_the_page_prose_when_the_extractor_took_something_else() -> None:
    # The extractor took a caption block for the body of a short teaser: the wall is found where
    # the page's own paragraphs stop.
    teaser = "".join(f"<p>Teaser {i}: {PROSE}</p>" for i in range(3))
    doc = page(f"<article><div class='body'>{teaser}<div class='wall'><p>The rest of this "
               "article is for subscribers only. Subscribe to continue reading.</p></div></div>"
               "</article><div class='gallery'><p>Photo: a long caption of the harbour at dawn "
               "with boats and the old lighthouse</p></div>")
    caption = "Photo: a long caption of the harbour at dawn with boats and the old lighthouse"
    verdict, _ = judge(doc, caption)
    assert verdict.access in ("truncated", "locked")
    assert verdict.notice and "for subscribers only" in verdict.notice


RELATED = "".join(f"<p>Related story {i}: the harbour commission met on Tuesday and heard the "
                  "fishermen, the ferry company and the port authority.</p>" for i in range(30))
LABEL = ("<div class='label'><p>The rest of this story is for subscribers only. Subscribe to "
         "continue reading.</p></div>")


@pytest.mark.parametrize("sections", [1, 10])
def test_prose_elsewhere_is_not_looked_at_after_a_long_body(sections: int) -> None:
    # A long extracted body is a body the extractor did find (in one container, or in ten
    # sections of two paragraphs each): a subscriber label after a list of teasers elsewhere on
    # the page says nothing about it.
    per = 20 // sections
    body = "".join("<div>" + "".join(f"<p>{PROSE} {PROSE} {PROSE}</p>" for _ in range(per))
                   + "</div>" for _ in range(sections))
    doc = page(f"<article>{body}</article><section class='more'>{RELATED}{LABEL}</section>")
    text = "\n\n".join(f"{PROSE} {PROSE} {PROSE}" for _ in range(20))
    verdict, _ = judge(doc, text)
    assert verdict.access == "full"


def test_block_text_leaves_out_scripts() -> None:
    from scraper.paywall.dom import shown_text

    node = page("<div id='b'>Read later <script>let c = `only for registered users`;</script>"
                "<style>.x{}</style>saved</div>").tree.css_first("#b")
    assert " ".join(shown_text(node).split()) == "Read later saved"


def test_notice_as_the_last_paragraph_of_the_declared_body() -> None:
    # The extractor took a cookie note for the body; the publisher's declared body holds a
    # one-paragraph teaser and the notice as its last paragraph.
    cookie = ("We use cookies on our website. Some are essential for it to work, others help us "
              "improve this site and your experience of it.")
    doc = page(f"<main><div itemprop='articleBody'><p>{PROSE}</p><p>Unlock this article: your "
               f"first month for 1 €.</p></div></main><footer>© Courier</footer>"
               f"<div class='cookies'><p>{cookie}</p></div>")
    verdict, _ = judge(doc, cookie)
    assert verdict.access in ("truncated", "locked")
    assert verdict.notice == "Unlock this article: your first month for 1 €."


COOKIE = ("We use cookies on our website. Some are essential for it to work, others help us "
          "improve this site and your experience of it.")


def test_a_box_in_the_declared_body_is_read_after_its_last_prose_paragraph() -> None:
    # The declared body ends with the wall box, whose own lines are <p>s: the body's last
    # paragraph is its last prose one, and the box after it (an article's own footer, named
    # "article-footer-cta", is no page footer) reads as the notice.
    doc = page(f"<main><div itemprop='articleBody'><p>{PROSE}</p><aside class='article-footer-cta'>"
               "<p>Subscribe to continue reading.</p><p>Free for 30 days.</p></aside></div></main>"
               f"<footer>© Courier</footer><div class='cookies'><p>{COOKIE}</p></div>")
    verdict, _ = judge(doc, COOKIE)
    assert verdict.access in ("truncated", "locked")
    assert verdict.notice and "Subscribe to continue reading" in verdict.notice


def test_the_wall_after_a_named_body_container() -> None:
    # No articleBody, no lone <article>: the publisher names its body container
    # ("article__content", BEM); the extractor took another block for the body.
    other = "".join(f"<p>Other story {i}: the ferry company answered the fishermen's "
                    f"objections one by one in a long letter.</p>" for i in range(4))
    doc = page(f"<div class='article'><div class='article__content'><p>{PROSE}</p>"
               "<p>You've reached your limit of free articles this month.</p></div></div>"
               f"<div class='more'><article>{other}</article><article><p>x</p></article></div>")
    text = "\n".join(f"Other story {i}: the ferry company answered the fishermen's objections "
                     f"one by one in a long letter." for i in range(4))
    verdict, _ = judge(doc, text)
    assert verdict.access in ("truncated", "locked")
    assert verdict.notice == "You've reached your limit of free articles this month."



def test_the_short_box_a_prose_place_closes_is_read_whole() -> None:
    # The page's last prose paragraph is the offer line of a wall box ("Special offer: 50% off
    # the first year"): alone it says nothing, the box it closes reads as the notice.
    prompt = "To comment you have to sign in with your Courier account, and accept our rules."
    # The lede is one short sentence (no prose of its own to place the body after).
    doc = page("<article><p>The council approved the budget.</p>"
               "<div class='panel'><p>Exclusive content for "
               "subscribers. Subscribe to keep reading this article.</p><p>Special offer: 50% "
               "off your first year of the digital edition.</p></div></article>"
               f"<section class='comments'><div>{prompt}</div></section>")
    verdict, _ = judge(doc, prompt)
    assert verdict.access in ("truncated", "locked")
    assert verdict.notice and "Subscribe to keep reading" in verdict.notice
