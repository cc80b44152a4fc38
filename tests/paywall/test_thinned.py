"""A thinned vocabulary (``make train-paywall`` reads the development variants with some of
their language's entries dropped, as a wording nobody wrote entries for reads)."""

from __future__ import annotations

from scraper.paywall import lexicon
from scraper.paywall.lexicon import load_languages, matcher, thinned, thinned_vocabulary


def _entries(lang: lexicon.Language) -> int:
    return sum(len(v) for v in lang.concepts.values())


def test_thinning_drops_about_the_share_asked_and_is_deterministic() -> None:
    fr = next(lang for lang in load_languages() if lang.code == "fr")
    assert thinned(fr, 0.0, 1) == fr
    assert _entries(thinned(fr, 1.0, 1)) == 0
    a, b = thinned(fr, 0.3, 1), thinned(fr, 0.3, 2)
    assert a == thinned(fr, 0.3, 1)  # the same draw for the same seed
    assert a != b  # another seed, another draw
    kept = _entries(a) / _entries(fr)
    assert 0.6 < kept < 0.8


def test_a_thinned_vocabulary_is_used_inside_the_block_only() -> None:
    notice = "La suite de cet article est réservée aux abonnés."
    shipped = matcher()
    assert lexicon.reads_as_notice(shipped.concepts(notice))
    with thinned_vocabulary("fr", 1.0, 0):
        inner = matcher()
        assert inner is not shipped
        assert not lexicon.reads_as_notice(inner.concepts(notice))
        with thinned_vocabulary(None, 0.3, 0):
            assert matcher() is shipped  # no language: the shipped vocabulary
        assert matcher() is inner  # restored
    assert matcher() is shipped
