"""The scoring model: thresholds, locked, confidence."""

from __future__ import annotations

import pytest

from scraper.models import Signal
from scraper.paywall.notices import H, L, M
from scraper.paywall.verdict import LOCKED_WORDS, THRESHOLD, decide, score


@pytest.mark.parametrize(
    ("weights", "access"),
    [
        ([H], "truncated"),
        ([M, M], "truncated"),
        ([M], "full"),
        ([M, L], "full"),
        ([M, L, L], "truncated"),
        ([H, -1.0], "full"),  # a hasPart selector holding the body outweighs one signal
        ([0.0, 0.0, 0.0], "full"),  # declarations and vendor scripts are never scored
        ([], "full"),
    ],
)
def test_threshold(weights: list[float], access: str) -> None:
    total = score([Signal(f"x:{i}", "", w) for i, w in enumerate(weights)])
    assert decide(total, 500)[0] == access


def test_locked_needs_signal_and_little_text() -> None:
    assert decide(THRESHOLD, LOCKED_WORDS - 1)[0] == "locked"
    assert decide(THRESHOLD, LOCKED_WORDS)[0] == "truncated"
    assert decide(0.0, 3)[0] == "full"


@pytest.mark.parametrize(
    ("total", "confidence"),
    [(1.0, 0.75), (1.5, 0.875), (2.0, 1.0), (3.0, 1.0), (0.0, 0.95), (0.5, 0.75), (-1.0, 0.99)],
)
def test_confidence(total: float, confidence: float) -> None:
    assert decide(total, 500)[1] == pytest.approx(confidence)


def test_locked_is_at_most_a_lede() -> None:
    from scraper.paywall.verdict import LEDE_WORDS, prose_paragraphs

    assert decide(THRESHOLD, LEDE_WORDS - 1, paragraphs=3)[0] == "locked"  # headline + a sentence
    assert decide(THRESHOLD, LOCKED_WORDS - 1, paragraphs=1)[0] == "locked"  # one lede paragraph
    assert decide(THRESHOLD, 34, paragraphs=2)[0] == "truncated"  # SPIEGEL+: two real paragraphs
    assert prose_paragraphs("Title\n\nOne sentence of the lede, long enough to be prose.") == 1
