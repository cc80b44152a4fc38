"""Vendor and generic wall markup is data (vendors.yaml): every vendor's own case is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.paywall.boxes import VendorsError, load_markup, markup
from scraper.paywall.verdict import assess

from .conftest import names, page

VENDORS = markup().vendors


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.name for v in VENDORS])
def test_vendor_case_is_found_after_the_body(vendor, article_html: str, article_text: str) -> None:  # type: ignore[no-untyped-def]
    doc = page(f"<article>{article_html}{vendor.case}</article>")
    verdict, _ = assess(doc, article_text)
    assert f"dom:vendor:{vendor.name}" in names(verdict)


@pytest.mark.parametrize("vendor", [v for v in VENDORS if v.scripts], ids=lambda v: v.name)
def test_vendor_script_is_a_site_level_fact(vendor, article_html: str, article_text: str) -> None:  # type: ignore[no-untyped-def]
    src = f"https://cdn.example/{vendor.scripts[0].strip('/')}/x.js"
    doc = page(f"<article>{article_html}</article>", f"<script src='{src}'></script>")
    verdict, _ = assess(doc, article_text)
    evidence = {s.name: s.weight for s in verdict.signals}
    assert f"script:vendor:{vendor.name}" in evidence
    assert verdict.access == "full"


def test_bad_vendor_file_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "vendors.yaml"
    bad.write_text("vendors:\n  - name: x\n    wall: sometimes\n    boxes: '.x'\n    names: x\n    case: '<p/>'\n")
    with pytest.raises(VendorsError, match=r"vendors\[0\]\.wall"):
        load_markup(bad)
    bad.write_text("vendors:\n  - name: x\n    wall: server\n    boxes: '.x'\n    names: '('\n    case: '<p/>'\n"
                   "generic: {boxes: x, not_boxes: y, reduced: z}\n")
    with pytest.raises(VendorsError, match=r"vendors\[0\]\.names"):
        load_markup(bad)
