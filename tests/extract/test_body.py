from __future__ import annotations

import pytest

from scraper.extract.body import MIN_RULE_WORDS, extract_body, node_text
from scraper.extract.document import parse_document
from scraper.models import SourceRules

LOREM = (
    "Les experts s’inquiètent de l’usage de l’intelligence artificielle dans l’industrie "
    "française, où les nouveaux outils changent la façon de concevoir, tester et livrer le logiciel."
)

PAGE = f"""<html><head><title>T</title></head><body>
<nav><a href="/">Accueil</a> <a href="/actu">Actualités</a></nav>
<div class="content">
  <h2>Un   sous-titre</h2>
  <p>{LOREM}</p>
  <div class="share">Partager sur Twitter</div>
  <p>Deuxième <b>paragraphe</b>,
     sur deux lignes.</p>
  Ligne une<br>Ligne deux<br/>
  <ul><li>point un</li><li>point deux</li></ul>
  <blockquote>Une citation.</blockquote>
  <script>var x = "no";</script><style>.a{{}}</style>
  <p>\u200bsans espace\u200d invisible</p>
</div>
<article><p>{LOREM}</p><p>{LOREM}</p></article>
</body></html>"""

RULES = SourceRules(name="devlike", rules_version="2", body=(".missing", ".content"), remove=(".share",))


def test_rules_body_paragraphs() -> None:
    doc = parse_document(PAGE, "https://example.com/a")
    body = extract_body(doc, RULES)
    assert body.extractor == "rules:devlike" and body.rules_version == "2"
    assert body.text.split("\n\n") == [
        "Un sous-titre",
        LOREM,
        "Deuxième paragraphe, sur deux lignes.",
        "Ligne une",
        "Ligne deux",
        "point un",
        "point deux",
        "Une citation.",
        "sans espace invisible",
    ]
    assert body.node is not None and body.node.attributes.get("class") == "content"


def test_rules_do_not_mutate_the_document() -> None:
    doc = parse_document(PAGE)
    extract_body(doc, RULES)
    assert doc.css_first(".share") is not None and doc.css_first(".content script") is not None


def test_first_matching_selector_wins() -> None:
    doc = parse_document(PAGE)
    rules = SourceRules(name="s", body=("article", ".content"))
    body = extract_body(doc, rules)
    assert body.text == f"{LOREM}\n\n{LOREM}"


@pytest.mark.parametrize(
    "rules",
    [
        SourceRules(name="nomatch", body=(".nothing-here",)),
        SourceRules(name="short", body=("nav",)),  # under MIN_RULE_WORDS words
        SourceRules(name="invalid", body=("div[[[",)),
    ],
)
def test_falls_back_to_trafilatura(rules: SourceRules) -> None:
    body = extract_body(parse_document(PAGE), rules)
    assert body.extractor == "trafilatura" and body.rules_version is None
    assert LOREM in body.text


def test_generic_path_paragraphs_and_container() -> None:
    html = f"""<html><body><header><a href="/">Site</a></header>
    <main><article><h1>Titre</h1><p>{LOREM}</p><p>Second {LOREM}</p></article>
    <section class="comments"><p>Un commentaire de lecteur qui ne fait pas partie de l’article.</p></section></main>
    <footer>© Site</footer></body></html>"""
    body = extract_body(parse_document(html), None)
    assert body.extractor == "trafilatura"
    assert f"{LOREM}\n\nSecond {LOREM}" in body.text
    assert "\n\n\n" not in body.text
    assert body.node is not None and body.node.tag == "article"


def test_generic_container_prefers_article_body() -> None:
    html = f'<html><body><article><div itemprop="articleBody"><p>{LOREM}</p></div></article></body></html>'
    body = extract_body(parse_document(html), None)
    assert body.node is not None and body.node.attributes.get("itemprop") == "articleBody"


def test_node_text_with_bad_remove_selector() -> None:
    doc = parse_document("<div id=x><p>one</p><p>two</p></div>")
    node = doc.css_first("#x")
    assert node is not None
    assert node_text(node, remove=("p[[[",)) == "one\n\ntwo"
    assert MIN_RULE_WORDS == 20


def _ld_page(article_body: str, visible: str) -> str:
    import json

    data = json.dumps({"@type": "NewsArticle", "articleBody": article_body})
    return (f'<html><head><script type="application/ld+json">{data}</script></head>'
            f"<body><article>{visible}</article></body></html>")


WORDS = "minister defended plan before parliament citing new figures housing costs rents rose".split()


def sentences(n: int, seed: int = 0) -> list[str]:
    """n distinct sentences (trafilatura drops repeated paragraphs and would read a short page's
    JSON-LD itself, so the pages below are not built from one repeated sentence)."""
    out = []
    for i in range(n):
        words = [WORDS[(i * 7 + j * 3 + seed) % len(WORDS)] for j in range(12)]
        out.append(f"In {1900 + i + seed} the " + " ".join(words) + ".")
    return out


@pytest.fixture
def caption_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura finds only a caption (SCMP); on a tiny page it would read the JSON-LD itself."""
    from scraper.extract import body

    monkeypatch.setattr(body, "_trafilatura_text", lambda doc: "A photo caption. Photo: AP")


@pytest.mark.usefixtures("caption_only")
def test_far_longer_articlebody_replaces_a_caption() -> None:
    article_body = " ".join(sentences(20))  # 300 words, no line breaks
    doc = parse_document(_ld_page(article_body, "<p>A photo caption. Photo: AP</p>"))
    body = extract_body(doc, None)
    assert body.extractor == "jsonld-articlebody"
    assert body.text.split() == article_body.split()
    paragraphs = body.text.split("\n\n")
    assert len(paragraphs) > 1 and all(p.endswith(".") for p in paragraphs)  # split at sentences


@pytest.mark.usefixtures("caption_only")
def test_articlebody_line_breaks_are_paragraphs() -> None:
    lines = sentences(15)
    article_body = "\n".join(" ".join(lines[i : i + 3]) for i in range(0, 15, 3)) + " &amp; more"
    doc = parse_document(_ld_page(article_body, "<p>Short.</p>"))
    body = extract_body(doc, None)
    assert body.extractor == "jsonld-articlebody"
    assert len(body.text.split("\n\n")) == 5 and body.text.endswith("& more")


def test_articlebody_kept_out_when_the_text_has_half_of_it_or_it_is_markup() -> None:
    visible = "".join(f"<p>{s}</p>" for s in sentences(12, seed=50))  # 180 words
    doc = parse_document(_ld_page(" ".join(sentences(20)), visible))
    assert extract_body(doc, None).extractor == "trafilatura"


@pytest.mark.usefixtures("caption_only")
def test_markup_articlebody_is_refused() -> None:
    markdown = " ".join(f"[{s}](https://x.example/{i})" for i, s in enumerate(sentences(20)))
    doc = parse_document(_ld_page(markdown, "<p>A photo caption.</p>"))
    assert extract_body(doc, None).extractor == "trafilatura"
