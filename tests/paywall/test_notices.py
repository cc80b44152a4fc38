"""Subscriber notices: the lexicon, the tail, visibility, removal from the text."""

from __future__ import annotations

import re

import pytest

from scraper.extract.article import extract_article
from scraper.extract.document import parse_document
from scraper.models import SourceRules
from scraper.paywall.blocks import find_tail_notice

from .conftest import FIXTURES, PROSE, judge, names, page, scored

DEVELOPPEZ = (
    "La fin de cet article est réservée aux abonnés. Soutenez le Club Developpez.com en prenant "
    "un abonnement pour que nous puissions continuer à vous proposer des publications."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",
        "La fin de cet article est réservée aux abonnés.",
        "Pour lire la suite et accéder gratuitement à 3 articles, créez votre compte.",
        "Create a free account to continue reading.",
        "The rest of this post is for paid subscribers.",
        "To view the full story, please subscribe to The Times.",
        "Kostenlos registrieren und weiterlesen.",
        "Suscríbete para seguir leyendo.",
        "Questo articolo è riservato agli abbonati. Abbonati per continuare a leggere.",
        "Assine para continuar lendo.",
    ],
)
def test_notice_sentence_is_cut_by_meaning(sentence: str) -> None:
    found = find_tail_notice(PROSE + "\n\n" + sentence)
    assert found is not None
    assert found.notice == sentence
    assert found.text == PROSE


@pytest.mark.parametrize(
    "line",
    [
        "Abonnez-vous à notre newsletter.",
        "Article réservé aux abonnés",  # a label in related-article lists
        "Subscribe",
        "Dieser Artikel gehört zum Angebot von SPIEGEL+. Sie können ihn lesen, weil er Ihnen geschenkt wurde.",
        "Log in to comment. Only subscribers can join the conversation.",
    ],
)
def test_everyday_labels_are_not_notices(line: str) -> None:
    assert find_tail_notice(PROSE + "\n\n" + line) is None


def test_notice_in_the_last_paragraph_is_cut_at_its_sentence() -> None:
    text = PROSE + "\n\n" + PROSE + " The rest of this article is reserved for subscribers."
    found = find_tail_notice(text)
    assert found is not None
    assert found.notice == "The rest of this article is reserved for subscribers."
    assert found.text == PROSE + "\n\n" + PROSE


def test_box_lines_after_the_notice_go_with_it() -> None:
    text = PROSE + "\n\nSubscribe to keep reading.\n\nAlready a subscriber? Log in\n\nSee offers"
    found = find_tail_notice(text)
    assert found is not None
    assert found.text == PROSE
    assert found.notice.endswith("See offers")


def test_percentage_gives_expected_fraction() -> None:
    found = find_tail_notice(PROSE + "\n\nIl vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.")
    assert found is not None
    assert found.expected_fraction == pytest.approx(0.4291)


def test_notice_far_from_the_tail_is_ignored() -> None:
    text = "La suite est réservée aux abonnés.\n\n" + "\n\n".join([PROSE] * 20)
    assert find_tail_notice(text) is None


def test_developpez_notice_removed_and_kept(article_html: str, article_text: str) -> None:
    doc = page(f"<div class='content'>{article_html}<p>{DEVELOPPEZ}</p></div>")
    verdict, text = judge(doc, article_text + "\n\n" + DEVELOPPEZ)
    assert verdict.access == "truncated"
    assert "notice:meaning" in scored(verdict)
    assert verdict.notice == DEVELOPPEZ
    assert text == article_text
    assert "abonnés" not in text


def test_developpez_page_end_to_end() -> None:
    raw = (FIXTURES / "developpez-fin-reservee-cp1252.html").read_bytes()
    art = extract_article(raw, "https://www.developpez.com/actu/1/x/", "text/html; charset=iso-8859-1")
    assert art.access == "truncated"
    assert art.paywall_notice is not None and art.paywall_notice.startswith("La fin de cet article")
    assert "Soutenez le Club" in art.paywall_notice
    assert "réservée aux abonnés" not in art.text
    assert "s’inquiètent de l’usage de l’IA" in art.text
    assert "notice:meaning" in art.paywall_signals


def test_le_monde_pattern() -> None:
    html = (FIXTURES / "lemonde-reste-x-pourcent.html").read_text(encoding="utf-8")
    doc = parse_document(html, "https://www.lemonde.fr/politique/article/x.html")
    body = doc.css("article p")
    text = "\n\n".join(p.text() for p in body)
    verdict, out = judge(doc, text)
    assert verdict.access == "truncated"
    assert verdict.declared is True
    assert "notice:meaning" in scored(verdict)
    assert "haspart:selector-offer" in names(verdict)
    assert verdict.expected_fraction == pytest.approx(0.4291)
    assert verdict.notice is not None and verdict.notice.startswith("Il vous reste 57.09%")
    assert "Il vous reste" not in out
    assert verdict.confidence >= 0.75


def test_related_list_labels_do_not_count(article_html: str, article_text: str) -> None:
    related = "".join(
        f"<li><a href='/{i}'>Another story {i}</a> <span>Réservé aux abonnés</span></li>" for i in range(5)
    )
    doc = page(f"<article>{article_html}</article><ul class='related'>{related}</ul>")
    text = article_text + "\n\n" + "\n\n".join(f"Another story {i} Réservé aux abonnés" for i in range(5))
    verdict, out = judge(doc, text)
    assert verdict.access == "full"
    assert out == text


def test_postmedia_hidden_template_is_not_a_notice() -> None:
    html = (FIXTURES / "postmedia-hidden-subscribers-template.html").read_text(encoding="utf-8")
    doc = parse_document(html, "https://ottawacitizen.com/news/x")
    # An extractor that keeps hidden elements puts the template's text into the body.
    text = "\n\n".join(p.text() for p in doc.css("article p"))
    text = text.replace(
        "This content is reserved", "\n\nThis content is reserved", 1
    )
    hidden = doc.css_first(".intro-body__premium p").text()
    verdict, out = judge(doc, text + "\n\n" + hidden)
    assert verdict.access == "full"
    assert "notice:hidden" in names(verdict)
    assert not {n for n in scored(verdict) if n.startswith("notice:")}


def test_notice_only_in_footer_does_not_count(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article><footer><p>Subscribe now to continue reading.</p></footer>")
    verdict, _ = judge(doc, article_text + "\n\nSubscribe now to continue reading.")
    assert verdict.access == "full"


def test_notice_in_dom_after_body_counts(article_html: str, article_text: str) -> None:
    # trafilatura dropped the notice; it is still in the DOM right after the body.
    doc = page(f"<article>{article_html}<div class='cta'><p>Create a free account to continue reading.</p></div></article>")
    verdict, out = judge(doc, article_text)
    assert "notice:meaning" in scored(verdict)
    assert verdict.access == "truncated"
    assert verdict.notice == "Create a free account to continue reading."
    assert out == article_text


def test_rules_notice_phrases(article_html: str, article_text: str) -> None:
    rules = SourceRules(name="x", notice_phrases=(r"lisez la suite dans notre (?:magazine|journal)",))
    doc = page(f"<article>{article_html}<p>Lisez la suite dans notre magazine.</p></article>")
    verdict, out = judge(doc, article_text + "\n\nLisez la suite dans notre magazine.", rules=rules)
    assert "rules:notice" in scored(verdict)
    assert verdict.access == "truncated"
    assert out == article_text


def test_notice_with_little_text_is_locked() -> None:
    doc = page("<article><h1>Title</h1><p>A short lede only.</p><p>Create a free account to continue reading.</p></article>")
    verdict, out = judge(doc, "A short lede only.\n\nCreate a free account to continue reading.")
    assert verdict.access == "locked"
    assert out == "A short lede only."


def test_long_text_after_a_rule_notice_is_kept() -> None:
    rules = (re.compile("lisez la suite dans notre magazine", re.IGNORECASE),)
    tail = "\n\n".join([PROSE] * 8)
    text = PROSE + "\n\nLisez la suite dans notre magazine.\n\n" + tail
    found = find_tail_notice(text, rules)
    assert found is not None and found.rule is not None
    assert found.text == PROSE + "\n" + tail


def test_notice_followed_by_prose_is_not_cut() -> None:
    text = PROSE + "\n\nCreate a free account to continue reading.\n\n" + "\n\n".join([PROSE] * 8)
    assert find_tail_notice(text) is None


def test_a_box_heading_above_its_notice_sentence_is_part_of_the_notice() -> None:
    # The heading says "subscribers only" and the sentence says so again without naming "the
    # rest": one box, one notice (two such labels used to read as a list of teaser labels).
    from scraper.paywall.blocks import find_tail_notice

    heading = "Exclusivo para suscriptores"
    sentence = ("Esta información solo está disponible para nuestros suscriptores. Únete y lee "
                "todo nuestro periodismo.")
    found = find_tail_notice("\n\n".join([PROSE, PROSE, heading, sentence, "Suscríbete"]))
    assert found is not None
    assert found.notice == "\n\n".join([heading, sentence, "Suscríbete"])
    assert found.text == "\n\n".join([PROSE, PROSE])


def test_a_copyright_line_after_the_notice_stays_text() -> None:
    from scraper.paywall.blocks import find_tail_notice

    notice = "Dit is een plusartikel. Word abonnee om de rest van dit artikel te lezen."
    footer = "Copyright © 2026 Media Group. All Rights Reserved"
    found = find_tail_notice("\n\n".join([PROSE, PROSE, notice, footer]))
    assert found is not None and found.notice == notice
    assert found.text == "\n\n".join([PROSE, PROSE, footer])
