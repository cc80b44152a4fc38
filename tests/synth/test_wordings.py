"""scraper.synth.wordings: the 26 language files load, are complete and really translated."""

from __future__ import annotations

import copy

import pytest
import yaml

from scraper.synth.wordings import FAMILIES, LANGUAGES, WORDINGS_DIR, load, load_all, parse


def test_every_language_has_a_file_and_nothing_else() -> None:
    assert sorted(p.stem for p in WORDINGS_DIR.glob("*.yaml")) == sorted(LANGUAGES)
    wordings = load_all()
    assert len(wordings) == 26
    for lang, w in wordings.items():
        assert set(w.notices) == set(FAMILIES), lang
        assert all(len(n.text) >= 2 for n in w.notices.values()), lang


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_wordings_are_written_in_the_language(lang: str) -> None:
    """No notice, promo or button is left in English."""
    en, w = load("en"), load(lang)
    for family in FAMILIES:
        assert not set(w.notices[family].text) & set(en.notices[family].text), (lang, family)
    for kind, texts in w.promos.items():
        assert not set(texts) & set(en.promos[kind]), (lang, kind)
    assert not set(w.buttons["subscribe"]) & set(en.buttons["subscribe"]), lang


def _raw(lang: str) -> dict[str, object]:
    return yaml.safe_load((WORDINGS_DIR / f"{lang}.yaml").read_text("utf-8"))


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["notices"].pop("unlock-offer"), "lacks ['unlock-offer']"),
    (lambda d: d["notices"]["percent-remaining"].update(text=["No number here."]), "{pct}"),
    (lambda d: d["paths"].update(login=["login"]), "paths.login"),
    (lambda d: d["promos"].update(cookie=[]), "promos.cookie"),
    (lambda d: d.update(language="xx"), "'language' must be 'fr'"),
])
def test_invalid_files_are_refused_naming_the_field(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(_raw("fr"))
    edit(data)
    with pytest.raises(ValueError, match="^fr.yaml: ") as err:
        parse(data, "fr", "fr.yaml")
    assert message in str(err.value)


def test_unknown_language() -> None:
    with pytest.raises(ValueError, match="no wordings for language 'xx'"):
        load("xx")
