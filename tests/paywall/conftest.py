"""Helpers for the paywall tests: build a Document from a small page, run the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.extract.document import Document, parse_document
from scraper.models import PaywallVerdict, SourceRules
from scraper.paywall.verdict import assess

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "paywall"
PROSE = (
    "The council approved the budget after a long debate about schools, roads and the new "
    "library, and the mayor thanked everyone who took part."
)


def page(body: str, head: str = "", url: str | None = "https://news.example/a/1") -> Document:
    return parse_document(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>", url)


def judge(
    doc: Document, text: str, *, rules: SourceRules | None = None, description: str | None = None
) -> tuple[PaywallVerdict, str]:
    return assess(doc, text, rules=rules, description=description)


def names(verdict: PaywallVerdict) -> set[str]:
    return {s.name for s in verdict.signals}


def scored(verdict: PaywallVerdict) -> set[str]:
    return {s.name for s in verdict.signals if s.weight}


@pytest.fixture
def article_html() -> str:
    return "".join(f"<p>{PROSE}</p>" for _ in range(5))


@pytest.fixture
def article_text() -> str:
    return "\n\n".join(PROSE for _ in range(5))
