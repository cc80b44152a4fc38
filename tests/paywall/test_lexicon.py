"""The paywall vocabulary: every language file loads, validates and passes its own cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.paywall.lexicon import (
    ACCESS,
    CONCEPTS,
    GATE,
    LEXICON_DIR,
    NEGATIVE,
    LexiconError,
    load_language,
    load_languages,
    matcher,
    reads_as_notice,
    tokens,
)

CODES = (
    "fr en de es it pt nl da sv nb fi pl cs hu ro tr ru uk el ja ko zh ar id vi hi".split()
)
LANGUAGES = load_languages()


def _cases() -> list:
    params = []
    for lang in LANGUAGES:
        for kind, texts in (("notice", lang.notices), ("ordinary", lang.ordinary)):
            for i, text in enumerate(texts, 1):
                params.append(pytest.param(kind, text, id=f"{lang.code}-{kind}-{i}"))
    return params


def test_every_language_is_present() -> None:
    assert sorted(lang.code for lang in LANGUAGES) == sorted(CODES)
    assert {path.stem for path in LEXICON_DIR.glob("*.yaml")} == set(CODES)


@pytest.mark.parametrize(("kind", "text"), _cases())
def test_case_reads_as_its_kind(kind: str, text: str) -> None:
    found = matcher().concepts(text)
    assert reads_as_notice(found) == (kind == "notice"), (
        f"{kind} {text!r}: concepts {sorted(found)}, matched {matcher().hits(text)}"
    )


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.code)
def test_language_has_varied_cases(lang) -> None:
    assert len(lang.notices) >= 6
    assert len(lang.ordinary) >= 6
    # At least three ordinary texts are plain news prose: no newsletter, donation, comment or
    # cookie words save them, so the access and gate entries themselves must not fire together.
    plain = [t for t in lang.ordinary if matcher().concepts(t).isdisjoint(NEGATIVE)]
    assert len(plain) >= 3, plain
    # Each notice is caught by access AND gate words, never by a negative one.
    for text in lang.notices:
        found = matcher().concepts(text)
        assert not found.isdisjoint(ACCESS) and not found.isdisjoint(GATE), text


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.code)
def test_entries_are_simple_stems(lang) -> None:
    for concept, entries in lang.concepts.items():
        assert len(entries) <= 40, f"{lang.code}: {concept} has {len(entries)} entries"
        for entry in entries:
            # '*' only at an end: inside a phrase it would be a literal star, never matched.
            assert "*" not in entry.strip("*"), f"{lang.code}: {concept}: {entry!r}"
            assert entry == entry.lower(), f"{lang.code}: {concept}: {entry!r} is not lower case"
            assert entry.strip("*").strip(), f"{lang.code}: {concept}: {entry!r}"


def test_greek_in_capitals_reads_as_accented_greek() -> None:
    # Capitals drop the tonos: ΜΟΝΟ ΓΙΑ ΣΥΝΔΡΟΜΗΤΕΣ is μόνο για συνδρομητές, and an accented
    # entry (ξεκλειδώ*) matches an unaccented spelling; other scripts keep their accents.
    m = matcher()
    assert reads_as_notice(m.concepts("ΜΟΝΟ ΓΙΑ ΣΥΝΔΡΟΜΗΤΕΣ. ΣΥΝΔΕΘΕΙΤΕ."))
    assert m.concepts("ΣΥΝΕΧΙΣΤΕ ΤΗΝ ΑΝΑΓΝΩΣΗ") == m.concepts("Συνεχίστε την ανάγνωση")
    assert "unlock" in m.concepts("Ξεκλείδωσε το άρθρο")
    assert tokens("Réservé ΆΡΘΡΟ Đọc tiếp") == ["réservé", "αρθρο", "đọc", "tiếp"]


def test_matcher_names_concepts_of_several_languages() -> None:
    m = matcher()
    assert {"subscribe", "continue"} <= m.concepts("Abonnez-vous pour lire la suite")
    assert {"register", "rest"} <= m.concepts("Register to read the full story")
    assert "subscribe" in m.concepts("この記事は会員限定です。")
    assert m.concepts("") == frozenset()
    assert set(m.hits("Jetzt weiterlesen mit dem Digital-Abo")) >= {"continue", "subscribe"}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.lemonde.fr/abonnement/",
        "https://www.lefigaro.fr/offres?origin=paywall",
        "https://www.spiegel.de/abo/",
        "https://www.faz.net/aboangebote/",
        "https://elpais.com/suscripciones/",
        "https://www.clarin.com/suscripcion",
        "https://www.folha.uol.com.br/assinatura/",
        "https://www.corriere.it/abbonamenti/",
        "https://www.nytimes.com/subscription?campaign=x",
        "https://www.example.com/login?return=/a/1",
        "https://news.example.com/register",
        "https://www.nrc.nl/abonneren/",
        "https://www.dn.se/kundservice/prenumeration/",
        "https://wyborcza.pl/prenumerata",
        "https://www.kommersant.ru/subscription",
        "https://www.hs.fi/tilaa/",
        "https://www.hurriyet.com.tr/abonelik/",
        "https://www.publico.pt/registo?ref=paywall",
        "https://accounts.example.com/signin?continue=https%3A%2F%2Fnews.example.com%2Fa%2F1",
    ],
)
def test_subscription_url(url: str) -> None:
    assert matcher().subscription_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/politics/2024/05/about-the-election",
        "https://www.lemonde.fr/international/article/2024/05/02/la-guerre-continue_1.html",
        "https://www.spiegel.de/politik/deutschland/bundestag-debatte-a-1234.html",
        "https://elpais.com/internacional/2024-05-02/el-gobierno-aprueba.html",
        "https://www.bbc.co.uk/news/world-europe-68912345",
        "https://www.example.org/sport/football/aboubakar-scores-twice",
        # slug words that name subscriptions, offers or accounts in ordinary news
        "https://example.com/world/2024/05/trump-trial-verdict",
        "https://example.com/business/netflix-subscribers-drop-plans-price-rise",
        "https://example.com/markets/us-tariffs-on-premium-cars",
        "https://example.com/local/coffee-shop-offer-for-members",
        "https://www.elmundo.es/espana/tren-alta-velocidad-acceso-oferta.html",
        "https://www.lemonde.fr/politique/compte-rendu-du-conseil-des-ministres.html",
        "https://www.example.co.id/daftar-harga-bbm-masuk-akun",
        "https://www.example.pl/kraj/abonament-rtv-oferta-2024.html",
        "",
    ],
)
def test_ordinary_url(url: str) -> None:
    assert not matcher().subscription_url(url)


GOOD = """\
language: {code}
name: Test
concepts:
  subscribe: [abonn*]
  register: [inscri*]
  signin: [se connecter]
  unlock: [débloquer]
  continue: [lire la suite]
  rest: [la suite de cet article]
  exclusive: [réservé*]
url_words: [abonnement]
cases:
  notices: [a, b, c]
  ordinary: [d, e, f]
"""


def _write(tmp_path: Path, text: str, code: str = "xx") -> Path:
    path = tmp_path / f"{code}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    lang = load_language(_write(tmp_path, GOOD.format(code="xx")))
    assert lang.code == "xx" and lang.boundary == "word"
    assert lang.concepts["subscribe"] == ("abonn*",)
    assert lang.concepts["newsletter"] == ()


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("  exclusive: [réservé*]\n", "  exclusive: [réservé*]\n  paywall: [x]\n", "concepts"),
        ("language: xx", "language: yy", "language"),
        ("  rest: [la suite de cet article]\n", "", "concepts.rest"),
        ("notices: [a, b, c]", "notices: [a, b]", "cases.notices"),
        ("ordinary: [d, e, f]", "ordinary: [d]", "cases.ordinary"),
        ("subscribe: [abonn*]", "subscribe: abonn*", "concepts.subscribe"),
        ("url_words: [abonnement]", "url_words: abonnement", "url_words"),
        ("continue: [lire la suite]", "continue: ['*']", "concepts.continue"),
        ("continue: [lire la suite]", "continue: ['']", "concepts.continue"),
        ("name: Test", "name: Test\nboundary: chars", "boundary"),
        ("name: Test", "name: Test\nwords: [x]", "words"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = GOOD.format(code="xx")
    assert old in text
    path = _write(tmp_path, text.replace(old, new))
    with pytest.raises(LexiconError) as err:
        load_language(path)
    assert str(err.value).startswith(f"xx.yaml: {field}:"), str(err.value)


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"^xx\.yaml: cannot be read"):
        load_language(_write(tmp_path, "concepts: [unclosed"))
    with pytest.raises(LexiconError, match=r"^xx\.yaml: \(file\): must be a mapping"):
        load_language(_write(tmp_path, "- a list\n"))
    with pytest.raises(LexiconError, match=r"^xx\.yaml: cases:"):
        load_language(_write(tmp_path, GOOD.format(code="xx").split("cases:")[0]))


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="no lexicon files"):
        load_languages(tmp_path)


def test_concepts_cover_every_category() -> None:
    # Every language names every concept, not only the required ones, so the fitted model
    # sees the same features in each language.
    for lang in LANGUAGES:
        missing = [c for c in CONCEPTS if not lang.concepts[c]]
        assert not missing, f"{lang.code}: no entries for {missing}"


@pytest.mark.parametrize(
    ("text", "concept", "found"),
    [
        ("उन्होंने दान दिया", "donate", True),  # "he gave a donation"
        ("सैनिकों का बलिदान", "donate", False),  # "the soldiers' sacrifice": दान inside a word
        ("पूरा लेख पढ़ें", "article", True),
        ("लेखा परीक्षा", "article", False),  # "audit": लेख followed by a vowel sign
        ("سجّل الآن مجانًا", "register", True),  # a shadda inside the entry
        ("Don't miss it", "donate", False),
        ("abonnement", "subscribe", True),
    ],
    ids=["hi-dan", "hi-balidan", "hi-lekh", "hi-lekha", "ar-shadda", "en-dont", "fr-abonnement"],
)
def test_word_boundaries_respect_combining_marks(text: str, concept: str, found: bool) -> None:
    assert (concept in matcher().concepts(text)) == found, matcher().hits(text)
