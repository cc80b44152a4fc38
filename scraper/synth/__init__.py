"""Synthetic paywall variants of real pages, to measure the paywall verdict on what it was not
tuned on. Evaluation only: nothing in the runtime imports this package.

    python -m scraper.synth [--corpora PATH] [--split heldout|dev|all] [--jobs N] [--max-pages N]

:mod:`~scraper.synth.wordings` (notice and promo wordings per language, as data files),
:mod:`~scraper.synth.locate` (body paragraphs in the DOM), :mod:`~scraper.synth.markup`
(boxes, sentences, hidden containers, promos), :mod:`~scraper.synth.generate` (the variants),
:mod:`~scraper.synth.report` (the evaluation).
"""

from scraper.synth.generate import KINDS, Variant, variants

__all__ = ["KINDS", "Variant", "variants"]
