"""Combine paywall signals into a verdict. (Interface stub: the engine replaces the body.)"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from scraper.extract.document import Document
from scraper.models import PaywallVerdict, SourceRules


def assess(
    doc: Document,
    text: str,
    *,
    rules: SourceRules | None = None,
    description: str | None = None,
    body_node: LexborNode | None = None,
) -> tuple[PaywallVerdict, str]:
    """Judge what the served HTML holds; return the verdict and ``text`` without the notice."""
    return PaywallVerdict(), text
