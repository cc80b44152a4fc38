from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from scraper.errors import ContentError
from scraper.extract.article import extract_article
from scraper.models import SourceRules

PARAGRAPHS = [
    "Les experts s’inquiètent de l’usage de l’IA dans l’industrie américaine, où les modèles "
    "génératifs s’installent au cœur des chaînes de production.",
    "« C’est une révolution », estime une ingénieure qui travaille depuis dix ans sur ces outils "
    "— et qui reste prudente quant aux promesses des éditeurs.",
    "Les entreprises doivent désormais certifier qu’elles n’utilisent pas de données protégées.",
]
CP1252 = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS).encode("cp1252")
JSONLD = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "L’IA inquiète l’industrie",'
    ' "author": {"@type": "Person", "name": "Hélène Dupont"}, "datePublished": "2024-11-05T09:30:00+01:00"}'
    "</script>"
)


def page(head: bytes, body: bytes) -> bytes:
    return (
        b"<!DOCTYPE html><html lang=\"fr\"><head>" + head + b"<title>Titre</title>" + JSONLD.encode()
        + b"</head><body><header><a href=\"/\">Accueil</a></header><article><h1>Titre</h1>"
        + body + b"</article><footer>Pied</footer></body></html>"
    )


ENCODING_CASES = {
    "header-only": ("text/html; charset=iso-8859-1", page(b"", CP1252)),
    "meta-only": ("text/html", page(b'<meta charset="iso-8859-1">', CP1252)),
    "http-equiv-only": (None, page(b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', CP1252)),
    "header-and-meta": ("text/html; charset=ISO-8859-1", page(b'<meta charset="iso-8859-1">', CP1252)),
    "no-label": (None, page(b"", CP1252)),
    "mixed": (
        "text/html; charset=iso-8859-1",
        page(b'<meta charset="iso-8859-1">', f"<p>{PARAGRAPHS[0]}</p>".encode() + CP1252[CP1252.index(b"</p>") + 4 :]),
    ),
    "utf8-wrong-meta": ("text/html", page(b'<meta charset="iso-8859-15">', "".join(f"<p>{p}</p>" for p in PARAGRAPHS).encode())),
    "utf8-bom": (None, b"\xef\xbb\xbf" + page(b'<meta charset="iso-8859-1">', "".join(f"<p>{p}</p>" for p in PARAGRAPHS).encode())),
}


@pytest.mark.parametrize("case", list(ENCODING_CASES))
def test_encoding_cases_end_to_end(case: str) -> None:
    content_type, content = ENCODING_CASES[case]
    art = extract_article(content, "https://www.example.com/actu/1/", content_type)
    assert "l’industrie" in art.text and "s’inquiètent" in art.text and "au cœur" in art.text
    assert "lindustrie" not in art.text
    assert not any("\x80" <= ch <= "\x9f" for ch in art.text)
    assert art.title == "L’IA inquiète l’industrie"
    assert art.authors == ("Hélène Dupont",)


def test_article_fields() -> None:
    content_type, content = ENCODING_CASES["header-only"]
    art = extract_article(content, "https://www.example.com/actu/1/?utm_source=rss", content_type)
    assert art.text.split("\n\n")[-3:] == PARAGRAPHS
    assert art.word_count == len(art.text.split())
    assert art.published_at == "2024-11-05T09:30:00+01:00"
    assert art.language == "fr"
    assert art.canonical_url == "https://www.example.com/actu/1/"
    assert art.encoding == "windows-1252"
    assert art.extractor == "trafilatura" and art.rules_version is None
    assert art.access in ("full", "truncated", "locked")
    data = art.to_dict()
    assert json.loads(json.dumps(data))["authors"] == ["Hélène Dupont"]
    assert isinstance(data["paywall_signals"], list)


def test_rules_select_body_and_override_metadata() -> None:
    html = page(
        b"",
        b'<div class="byline"><span class="who">Jean Martin</span><span class="who">Ana Li</span></div>'
        b'<time class="when" datetime="2024-01-02T03:04:05+01:00">2 janvier</time>'
        b'<h2 class="headline">Titre de la r\xe8gle</h2><div class="content">' + CP1252
        + b'<div class="pub">Publicit\xe9</div></div>',
    )
    rules = SourceRules(
        name="devlike", rules_version="3", body=(".content",), remove=(".pub",),
        title=(".headline",), authors=(".who",), date=(".when",), encoding="windows-1252",
    )
    art = extract_article(html, "https://www.example.com/actu/2/", "text/html; charset=utf-8", rules=rules)
    assert art.text == "\n\n".join(PARAGRAPHS)
    assert (art.extractor, art.rules_version) == ("rules:devlike", "3")
    assert art.title == "Titre de la règle"
    assert art.authors == ("Jean Martin", "Ana Li")
    assert art.published_at == "2024-01-02T03:04:05+01:00"
    assert art.encoding == "windows-1252"  # the source's override beat the HTTP label


def test_text_is_cleaned() -> None:
    body = "<p>Caf\u0065\u0301 \u200bzéro\u200d largeur et trait\u00ad d’union, assez de mots pour un article.</p>"
    art = extract_article(page(b'<meta charset="utf-8">', body.encode()), None, None)
    assert "Café zéro largeur et trait d’union" in art.text


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"<html>\x00\x00\x00\x00" + b"\x00\x01\x02" * 300,
    ],
)
def test_not_html_raises_content_error(content: bytes) -> None:
    with pytest.raises(ContentError) as info:
        extract_article(content, "https://www.example.com/file")
    assert info.value.code == "content:not-html"
    assert "not an HTML page" in str(info.value) and "\n" not in str(info.value)


def test_str_is_refused() -> None:
    with pytest.raises(TypeError):
        extract_article("<html></html>")  # type: ignore[arg-type]


def test_empty_page_is_no_article() -> None:
    with pytest.raises(ContentError) as err:
        extract_article(b"")
    assert err.value.code == "extract:no-article" and err.value.exit_code == 5


def _f1(got: str, expected: str) -> float:
    g, e = Counter(got.split()), Counter(expected.split())
    common = sum((g & e).values())
    if not common:
        return 0.0
    precision, recall = common / sum(g.values()), common / sum(e.values())
    return 2 * precision * recall / (precision + recall)


def _text_or_nothing(content: bytes, url: str) -> str:
    try:
        return extract_article(content, url).text
    except ContentError as exc:  # no article text found: scored as an empty extraction
        assert exc.code == "extract:no-article"
        return ""


@pytest.mark.slow
def test_fundus_f1_not_below_plain_trafilatura(corpora: Path) -> None:
    import trafilatura

    rows = [json.loads(line) for line in (corpora / "fundus" / "index.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r.get("expected_text")]
    ours: list[float] = []
    plain: list[float] = []
    for row in rows:
        content = gzip.decompress((corpora / "fundus" / row["html_file"]).read_bytes())
        ours.append(_f1(_text_or_nothing(content, row["url"]), row["expected_text"]))
        plain.append(_f1(trafilatura.extract(content, url=row["url"]) or "", row["expected_text"]))
    mean_ours, mean_plain = sum(ours) / len(ours), sum(plain) / len(plain)
    assert mean_ours >= mean_plain - 0.005, f"extract_article F1 {mean_ours:.4f} vs trafilatura {mean_plain:.4f}"


# -- only articles are articles ---------------------------------------------------------------


NAV_ONLY = (
    b"<html><head><title>The Daily Ledger</title></head><body><header><h1>The Daily Ledger</h1>"
    b"<nav><a href='/'>Home</a> <a href='/politics/'>Politics</a> <a href='/business/'>Business</a>"
    b"</nav></header><main><ul>"
    + b"".join(b"<li><a href='/2024/06/%d/story/'>City council weighs a new budget for story %d "
               b"after the long debate</a></li>" % (i, i) for i in range(8))
    + b"</ul></main><footer><a href='/about/'>About us</a> <a href='/contact/'>Contact</a></footer>"
    b"</body></html>"
)
SHORT_ARTICLE = (  # 12 words: a brief is still an article
    b"<html><head><title>Brief</title></head><body><article><h1>Brief</h1>"
    b"<p>The bridge on Main Street reopens on Monday after two weeks of repairs.</p>"
    b"</article></body></html>"
)
JAPANESE = (  # no spaces: 1 "word", 60 letters
    "<html lang='ja'><head><title>速報</title></head><body><article><h1>速報</h1><p>"
    "東京都は十二日、新しい交通計画を発表した。計画では今後五年間で路線を拡大し、駅の数を増やす。"
    "住民の意見を聞きながら進めるという。"
    "</p></article></body></html>"
).encode()


@pytest.mark.parametrize("html", [b"", b"<html><body></body></html>", NAV_ONLY,
                                  b"<html><body><article><h1>Only a headline here</h1></article></body></html>"],
                         ids=["empty", "no-body", "navigation-only", "headline-only"])
def test_a_page_without_article_text_is_no_article(html: bytes) -> None:
    with pytest.raises(ContentError) as err:
        extract_article(html, "https://news.test/")
    assert err.value.code == "extract:no-article"
    assert str(err.value).startswith("no article text at https://news.test/: ")


@pytest.mark.parametrize("html", [SHORT_ARTICLE, JAPANESE], ids=["12-word-brief", "japanese"])
def test_a_short_article_is_an_article(html: bytes) -> None:
    art = extract_article(html, "https://news.test/brief")
    assert art.access == "full" and art.text


def test_a_locked_page_keeps_its_verdict_without_text() -> None:
    """The check comes after the paywall verdict: a wall may leave nothing but its notice."""
    locked = (b"<html><head><title>Paid</title></head><body><article><h1>Paid</h1>"
              b"<div class='paywall'>Cet article est r\xc3\xa9serv\xc3\xa9 aux abonn\xc3\xa9s.</div>"
              b"</article></body></html>")
    rules = SourceRules(name="news", paywall_boxes=("div.paywall",), declares_all_paid=True)
    art = extract_article(locked, "https://news.test/paid", "text/html; charset=utf-8", rules=rules)
    assert art.access in ("locked", "truncated")
