"""A word diff between two texts, paragraph by paragraph (``scraper diff``).

Removed words are shown as ``[-words-]`` and added ones as ``{+words+}`` (GNU wdiff's marks);
paragraphs the same in both texts are left out.
"""

from __future__ import annotations

from difflib import SequenceMatcher

__all__ = ["word_diff"]


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _words(old: str, new: str) -> str:
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def word_diff(old: str, new: str) -> list[str]:
    """The changed paragraphs of ``new`` against ``old``, each with its word changes marked."""
    a, b = _paragraphs(old), _paragraphs(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            out.extend(_words(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True))
            continue
        out.extend(_words(x, "") for x in a[i1:i2])
        out.extend(_words("", y) for y in b[j1:j2])
    return out
