"""Notices never stay in ``text``: a notice inside the text, and a notice block found in the DOM."""

from __future__ import annotations

from scraper.extract.article import extract_article
from scraper.paywall.blocks import cut_block, find_inner_notice, own_text

from .conftest import PROSE

BIO = ("Jane Doe covers city hall for the Courier. She joined the paper in 2015 after ten years "
       "at the Evening Post, where she wrote about transport and housing.")


def test_inner_notice_is_cut_and_what_follows_stays() -> None:
    text = "\n".join([PROSE, PROSE, "The rest of this article is for subscribers only.",
                      "Subscribe now", BIO])
    found = find_inner_notice(text)
    assert found is not None and found.inside
    assert found.notice == "The rest of this article is for subscribers only.\nSubscribe now"
    assert found.text == "\n".join([PROSE, PROSE, BIO])


def test_inner_notice_needs_a_notice_and_little_text_after_it() -> None:
    promo = "Subscribe to read the rest of this article."
    assert find_inner_notice("\n".join([PROSE, promo, BIO])) is not None
    long_after = "\n".join([PROSE] + [promo] + [PROSE] * 30)  # an inline promo mid-article
    assert find_inner_notice(long_after) is None
    assert find_inner_notice("\n".join([PROSE, "Sign up for our newsletter to read more.", BIO])) is None
    assert find_inner_notice("\n".join([PROSE, PROSE, BIO])) is None


def test_own_text_leaves_out_the_teaser_a_block_encloses() -> None:
    text = "\n".join([PROSE, "Subscriber-only story", "Start your subscription"])
    block = f"{PROSE} Subscriber-only story Start your subscription Already a subscriber? Sign in"
    assert own_text(block, text) == "Subscriber-only story Start your subscription Already a subscriber? Sign in"
    assert own_text("Subscribe to keep reading", PROSE) == "Subscribe to keep reading"


def test_cut_block_removes_only_the_block_lines() -> None:
    text = "\n".join([PROSE, "Subscribe to keep reading.", "See our offers", "© 2024 The Courier"])
    assert cut_block(text, "Subscribe to keep reading. See our offers") == \
        "\n".join([PROSE, "© 2024 The Courier"])
    assert cut_block(PROSE, PROSE) == PROSE  # never the whole text


def test_notice_kept_before_a_bio_leaves_the_text() -> None:
    html = (f"<html><body><article><h1>Budget</h1><p>{PROSE}</p><p>{PROSE} Again.</p>"
            "<p><b>The rest of this article is reserved for subscribers.</b> "
            "<a href='/subscribe'>Subscribe now</a></p>"
            f"<p>{BIO}</p></article></body></html>").encode()
    art = extract_article(html, "https://news.example/a/1")
    assert "reserved for subscribers" not in art.text
    assert "reserved for subscribers" in (art.paywall_notice or "")
    assert "Jane Doe covers city hall" in art.text


def test_inner_notice_counts_prose_after_it_not_list_items() -> None:
    # The extractor kept share buttons and a list of links after the wall: many short lines,
    # little prose. The notice is still found.
    chrome = [f"- Share on network {i}" for i in range(40)]
    text = "\n".join([PROSE, PROSE, "Subscribe to read the rest of this article.", BIO, *chrome])
    found = find_inner_notice(text)
    assert found is not None
    assert found.notice == "Subscribe to read the rest of this article."


def test_near_end_notice_must_stand_near_the_end() -> None:
    from scraper.paywall.blocks import near_end_notice
    from scraper.paywall.dom import body_place

    from .conftest import page

    notice = "This feature is available to subscribers only. Subscribe to read the full story."
    middle = [f"Paragraph {i}: {PROSE}" for i in range(12)]
    doc = page("<article>" + "".join(f"<p>{p}</p>" for p in middle[:2]) + f"<p>{notice}</p>"
               + "".join(f"<p>{p}</p>" for p in middle[2:]) + "</article>")
    place = body_place(doc, "\n".join(middle), None)
    assert place is not None
    # In the middle of the body (over 150 words of it after the sentence): prose, not a wall.
    assert near_end_notice(place.region, middle[0], lambda n: True, middle[-1]) is None
    # Right before the body's last paragraph: where a wall puts it.
    doc = page("<article>" + "".join(f"<p>{p}</p>" for p in middle[:-1]) + f"<p>{notice}</p>"
               f"<p>{middle[-1]}</p></article>")
    place = body_place(doc, "\n".join(middle), None)
    assert place is not None
    block = near_end_notice(place.region, middle[0], lambda n: True, middle[-1])
    assert block is not None and "subscribers only" in block.text


def test_chrome_named_layout_around_the_body_does_not_hide_a_notice() -> None:
    # A layout whose main column is named like a widget area: the article body inside it is
    # not page chrome, and a notice in it is cut from the text.
    html = ("<html><body><div class='widget-area col-8'><article><div class='article-body'>"
            f"<h1>Harbour plan</h1><p>{PROSE}</p><p>{PROSE}</p>"
            "<p>The rest of this article is for subscribers only.</p>"
            f"<p>{BIO}</p></div></article></div></body></html>").encode()
    art = extract_article(html, "https://news.example/a/1")
    assert "for subscribers only" not in art.text
    assert art.paywall_notice and "for subscribers only" in art.paywall_notice


def test_an_articles_own_header_is_not_page_chrome() -> None:
    # An <article>'s <header> (title and lede) is part of the article: a wall notice placed right
    # after a lede there is visible. The page's own <header> stays chrome.
    from scraper.extract.document import parse_document
    from scraper.paywall.dom import hidden_or_chrome

    doc = parse_document(
        "<html><body><header class='site'><p>Subscribe to the Courier today</p></header>"
        f"<article><header><h1>Harbour plan</h1><p>{PROSE}</p><p>The rest of this article is "
        f"reserved for subscribers.</p></header><p>{BIO}</p></article></body></html>")
    notice = next(n for n in doc.css("p") if "reserved" in (n.text() or ""))
    site = next(n for n in doc.css("p") if "Courier today" in (n.text() or ""))
    assert hidden_or_chrome(notice, self_may_be_box=False) is None
    assert hidden_or_chrome(site, self_may_be_box=False) == "chrome"


def test_an_inner_notice_that_withholds_and_one_that_only_sells_access_are_apart() -> None:
    # "The rest is for subscribers" says this copy is cut; "unlimited articles, 1 € a month" is
    # what a campaign box at the end of a full article says too: two features, fitted apart.
    from .conftest import judge, names, page

    def signals_for(notice: str) -> set[str]:
        doc = page(f"<article><p>{PROSE}</p><p>{PROSE} Again.</p><p>{notice}</p>"
                   f"<p>{BIO}</p></article>")
        verdict, text = judge(doc, "\n".join([PROSE, PROSE + " Again.", notice, BIO]))
        assert notice not in text
        return names(verdict)

    assert "notice:inside" in signals_for("The rest of this article is for subscribers only.")
    assert "notice:inside" in signals_for("You have read all your free articles this month.")
    sells = signals_for("Unlock this article and all our journalism: 1 € for the first month.")
    assert "notice:inside-offer" in sells and "notice:inside" not in sells


def test_a_second_notice_right_before_the_first_is_cut_too() -> None:
    # The wall's own sentence, then a campaign box: both leave the text, in the order they
    # stood; the verdict weighs the one where the text stops.
    from .conftest import judge, page

    wall = "The rest of this article is for subscribers only."
    campaign = "Unlock this article and all our journalism: 1 € for the first month."
    doc = page(f"<article><p>{PROSE}</p><p>{PROSE} Again.</p><p>{wall}</p><p>{campaign}</p>"
               f"<p>{BIO}</p></article>")
    verdict, text = judge(doc, "\n".join([PROSE, PROSE + " Again.", wall, campaign, BIO]))
    assert wall not in text and campaign not in text and BIO in text
    assert verdict.notice == f"{wall}\n{campaign}"


def test_an_earlier_paragraph_of_prose_is_never_a_second_notice() -> None:
    from scraper.paywall.blocks import find_inner_notice, notice_before

    campaign = "Unlock this article and all our journalism: 1 € for the first month."
    text = "\n".join([PROSE, PROSE + " Again.", campaign, BIO])
    first = find_inner_notice(text)
    assert first is not None and notice_before(text, first) is None


def test_a_notice_paragraph_is_cut_whole_with_its_short_opening_sentence() -> None:
    # "Quality journalism costs." opens the notice's own paragraph: it is the notice's, not a
    # sentence of the article left behind. A long sentence before a notice in the article's
    # last paragraph stays text.
    from scraper.paywall.blocks import find_tail_notice

    notice = ("Quality journalism costs. To keep reading this article, choose a digital "
              "subscription: 1 € the first month.")
    found = find_tail_notice("\n".join([PROSE, PROSE, notice]))
    assert found is not None and found.notice == notice and found.text == f"{PROSE}\n{PROSE}"
    appended = f"{PROSE} To keep reading this article, choose a digital subscription."
    found = find_tail_notice("\n".join([PROSE, appended]))
    assert found is not None and found.text == f"{PROSE}\n{PROSE}"


PART_LINE = ("Subscribers can read this report in print and online, written by our own reporters, "
             "and it is part of a series on the city's budget that runs all week.")
LOGIN_BOX = ('<div class="box"><form action="/login"><input type="password" name="pw">'
             "<button>Log in</button></form></div>")


def test_closing_lines_read_in_part_are_weighed_and_cut_only_behind_a_wall() -> None:
    # A closing paragraph in which the vocabulary reads a wall's words (a subscriber, the
    # article) but no notice: its groups are signals; the text keeps it on a full verdict and
    # loses it to the notice when the page shows a wall (here a login form after the body).
    from scraper.paywall.blocks import find_tail_part

    from .conftest import judge, page, scored

    teaser = "".join(f"<p>{PROSE}</p>" for _ in range(3))
    text = "\n\n".join([PROSE] * 3 + [PART_LINE])
    part = find_tail_part(text)
    assert part is not None and not part.strong and part.notice == PART_LINE
    full, kept = judge(page(teaser + f"<p>{PART_LINE}</p>"), text)
    assert full.access == "full" and {"part:access", "part:article"} <= scored(full)
    assert PART_LINE in kept and full.notice is None
    walled, cut = judge(page(teaser + f"<p>{PART_LINE}</p>" + LOGIN_BOX), text)
    assert walled.access == "truncated" and "part:access" in scored(walled)
    assert PART_LINE not in cut and walled.notice == PART_LINE


def test_a_part_reading_needs_a_short_closing_paragraph_without_a_promo() -> None:
    from scraper.paywall.blocks import PART_MAX_WORDS, find_tail_part, part_groups

    assert part_groups(frozenset({"subscribe", "article"})) == ("access", "article")
    assert part_groups(frozenset({"article", "free"})) == ("article", "free")  # a free read
    assert part_groups(frozenset({"article"})) == ()  # no wall word
    assert part_groups(frozenset({"subscribe", "newsletter"})) == ()  # a promo
    base = "\n\n".join([PROSE] * 3)
    assert find_tail_part(base) is None  # plain prose
    long_line = PART_LINE + " " + " ".join(["More words of the report follow here."] * 3)
    assert len(long_line.split()) > PART_MAX_WORDS
    assert find_tail_part(base + "\n\n" + long_line) is None
    promo = "Subscribers get our newsletter every morning with the best stories of the day and more."
    assert find_tail_part(base + "\n\n" + promo) is None
    # a line that reads whole is a notice's business: refused there (a label), it is no part
    assert find_tail_part(base + "\n\nAnother story Réservé aux abonnés") is None
    # a button under the paragraph is skipped, the paragraph is read
    found = find_tail_part(base + "\n\n" + PART_LINE + "\n\nMore")
    assert found is not None and found.notice == PART_LINE + "\n\nMore"


def test_no_part_reading_on_a_long_body() -> None:
    from .conftest import judge, page, scored

    body = "".join(f"<p>{PROSE}</p>" for _ in range(16))
    text = "\n\n".join([PROSE] * 16 + [PART_LINE])
    verdict, kept = judge(page(body + f"<p>{PART_LINE}</p>"), text)
    assert not any(n.startswith("part:") for n in scored(verdict)) and PART_LINE in kept


def test_a_wall_block_is_cut_from_above_the_closing_lines_only_where_it_reads_as_a_notice() -> None:
    # The extractor kept 20 short lines (a bio, related links) after the wall's sentence: the
    # sentence goes, as a line that reads as a notice; the teaser's own line, though the block
    # holds it too, stays.
    notice = "The rest of this article is reserved for subscribers."
    links = [f"Related story number {i} about the council" for i in range(20)]
    text = "\n".join([PROSE, notice] + links)
    cut = cut_block(text, f"{PROSE} {notice} Subscribe now")
    assert notice not in cut and PROSE in cut and all(line in cut for line in links)


def test_a_wall_block_run_into_a_line_of_text_is_taken_out_of_it() -> None:
    notice = "The rest of this article is reserved for subscribers. Subscribe now"
    line = f"{PROSE} {notice} Join our free plant care club for tips."
    cut = cut_block("\n".join([PROSE, line]), notice)
    assert notice not in cut
    assert cut == f"{PROSE}\n{PROSE} Join our free plant care club for tips."
    # ... only a block that reads as a notice, and only its whole text
    offer = "Special offer: 50% off your first year of the print edition"
    assert cut_block(f"{PROSE} {offer} and more.", offer) == f"{PROSE} {offer} and more."
