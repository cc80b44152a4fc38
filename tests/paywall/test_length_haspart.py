"""hasPart cssSelector, length and ending evidence."""

from __future__ import annotations

import json

import pytest

from scraper.paywall.length import ending_signals

from .conftest import PROSE, judge, names, page, scored


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def haspart(selector: str) -> str:
    return ld({"@type": "NewsArticle", "isAccessibleForFree": False,
               "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": selector}})


def test_haspart_selector_holding_the_body_is_evidence_of_full(article_html: str, article_text: str) -> None:
    doc = page(f"<article class='meteredContent'>{article_html}</article>", haspart(".meteredContent"))
    verdict, _ = judge(doc, article_text)
    evidence = {s.name: s.weight for s in verdict.signals}
    assert evidence["haspart:selector-full"] < 0
    assert verdict.access == "full"
    assert verdict.confidence >= 0.95


def test_haspart_selector_missing(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article>", haspart(".paywall"))
    verdict, _ = judge(doc, article_text)
    assert "haspart:selector-missing" in scored(verdict)
    assert verdict.access == "full"  # medium alone


def test_haspart_selector_offer_box(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article><section class='paywall'>La suite est réservée à nos abonnés.</section>",
               haspart(".paywall"))
    verdict, _ = judge(doc, article_text)
    assert "haspart:selector-offer" in scored(verdict)


def test_below_wordcount(article_text: str, article_html: str) -> None:
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "wordCount": 900}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-wordcount" in scored(verdict)


def test_not_below_wordcount(article_text: str, article_html: str) -> None:
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "wordCount": 120}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-wordcount" not in names(verdict)


def test_below_articlebody(article_text: str, article_html: str) -> None:
    body = " ".join([PROSE] * 20)
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "articleBody": body}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-articlebody" in scored(verdict)


def test_short_articlebody_is_ignored(article_text: str, article_html: str) -> None:
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "articleBody": PROSE}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-articlebody" not in names(verdict)


def test_near_description() -> None:
    doc = page(f"<article><p>{PROSE}</p></article>")
    verdict, _ = judge(doc, PROSE, description=PROSE[:-1])
    assert "length:near-description" in scored(verdict)


def test_not_near_description(article_text: str, article_html: str) -> None:
    verdict, _ = judge(page(f"<article>{article_html}</article>"), article_text, description=PROSE)
    assert "length:near-description" not in names(verdict)


@pytest.mark.parametrize(
    ("last", "name"),
    [
        (PROSE[:-1] + " …", "ending:ellipsis"),
        (PROSE[:-1] + "...", "ending:ellipsis"),
        (PROSE[:-1] + " [...]", "ending:ellipsis"),
        (PROSE[:-30], "ending:mid-sentence"),
        (PROSE, None),
        (PROSE[:-1] + " »", None),
        ("Photo: AP", None),  # too short to be prose
        # a short paragraph cut mid-sentence right after the body's prose
        ("Our sources say she told the police it was taken from…", "ending:ellipsis"),
        ("- Why the council voted to close the library on…", None),  # a related link's title
        ("Read more…", None),
    ],
)
def test_endings(last: str, name: str | None) -> None:
    found = {s.name for s in ending_signals(PROSE + "\n\n" + last)}
    assert found == ({name} if name else set())


def test_two_medium_signals_truncate(article_html: str) -> None:
    text = "\n\n".join([PROSE] * 2) + "\n\n" + PROSE[:-1] + " …"
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "wordCount": 900}))
    verdict, _ = judge(doc, text)
    assert {"length:below-wordcount", "ending:ellipsis"} <= scored(verdict)
    assert verdict.access == "truncated"


def test_markup_articlebody_is_not_a_length(article_text: str, article_html: str) -> None:
    body = " ".join(f"[{PROSE}](https://x.example/{i}){{: target=\"_blank\"}}" for i in range(20))
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "articleBody": body}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-articlebody" not in names(verdict)


# combo:paid-and-short: a paywall fact AND a body under 30% of the publisher's own length.
LEDE = "The council met on Tuesday night to vote on the budget for the coming year, officials said."


def _walled_probability(verdict) -> float:  # type: ignore[no-untyped-def]
    return verdict.confidence if verdict.access != "full" else 1.0 - verdict.confidence


@pytest.mark.parametrize(
    ("data", "slot", "combo"),
    [
        ({"isAccessibleForFree": False, "wordCount": 900}, "", True),  # declared + far below
        ({"wordCount": 900}, "<div id='inline-paywall-container'></div>", True),  # empty slot
        ({"isAccessibleForFree": False}, "", False),  # the declaration alone never is
        ({"wordCount": 900}, "", False),  # the length alone
        ({"isAccessibleForFree": False, "wordCount": 120}, "", False),  # short articles prove nothing
    ],
)
def test_paid_and_short(data: dict[str, object], slot: str, combo: bool) -> None:
    doc = page(f"<article><h1>Budget</h1><p>{LEDE}</p>{slot}</article>",
               ld({"@type": "NewsArticle", **data}))
    verdict, _ = judge(doc, f"Budget\n\n{LEDE}")
    assert ("combo:paid-and-short" in names(verdict)) is combo
    length_alone, _ = judge(page(f"<article><h1>Budget</h1><p>{LEDE}</p></article>",
                                 ld({"@type": "NewsArticle", "wordCount": 900})), f"Budget\n\n{LEDE}")
    if combo:  # the combination is more evidence of a wall than the length alone
        assert _walled_probability(verdict) > _walled_probability(length_alone)
    if "wordCount" not in data:
        assert verdict.access == "full"  # a declaration alone never makes a copy cut


def test_empty_slot_after_a_full_body_is_only_recorded(article_text: str, article_html: str) -> None:
    doc = page(f"<article>{article_html}<div class='paywall'></div></article>",
               ld({"@type": "NewsArticle", "wordCount": 200}))
    verdict, _ = judge(doc, article_text)
    assert "dom:paywall-slot" in names(verdict) and verdict.access == "full"


@pytest.mark.parametrize(
    ("label", "fires"),
    [
        ("<span class='reading-time'>8 min read</span>", True),
        ("<span class='lesezeit'>Lesezeit: 9 Min.</span>", True),
        ("<span class='meta'><span>Temps de lecture : 7 min</span></span>", True),
        ("<span class='reading-time'>2 min read</span>", False),  # too short to tell
        ("<span class='meta'><span>posted 12 min ago</span></span>", False),
    ],
)
def test_reading_time_label(label: str, fires: bool, article_html: str, article_text: str) -> None:
    doc = page(f"<article>{label}{article_html}</article>")
    verdict, _ = judge(doc, article_text)
    assert ("length:below-reading-time" in names(verdict)) is fires


def test_time_required_in_jsonld(article_html: str, article_text: str) -> None:
    doc = page(f"<article>{article_html}</article>", ld({"@type": "NewsArticle", "timeRequired": "PT12M"}))
    verdict, _ = judge(doc, article_text)
    assert "length:below-reading-time" in names(verdict)
