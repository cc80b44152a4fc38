"""A word diff between two revisions' texts, as runs of kept, removed and added words."""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Runs of ``(op, text)``, op one of ``same``, ``del``, ``ins``; whitespace (paragraph
    breaks included) travels with the words, so joining the ``same`` and ``ins`` runs gives
    ``new`` back, and the ``same`` and ``del`` runs ``old``."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("same", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            runs.append(("del", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            runs.append(("ins", "".join(b[j1:j2])))
    return [r for r in runs if r[1]]


def diff_stats(runs: list[tuple[str, str]]) -> dict[str, int]:
    """Words added and removed."""
    counts = {"added": 0, "removed": 0}
    for op, text in runs:
        if op == "ins":
            counts["added"] += len(text.split())
        elif op == "del":
            counts["removed"] += len(text.split())
    return counts
