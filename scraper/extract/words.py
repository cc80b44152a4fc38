"""Counting words the same way everywhere: ``Article.word_count``, the paywall's length checks.

Whitespace-separated words, plus half a word per Chinese or Japanese character (Han, kana):
those scripts put no spaces between words, and a word there is about two characters. Korean
separates its words with spaces and is counted like any other language.
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def count_words(text: str) -> int:
    if not text:
        return 0
    words = len(text.split())
    if text.isascii():
        return words
    # One regex scan for kana and Han letters (the C scan beats a max() that walks a long
    # non-ASCII text one character object at a time: 0.02 against 0.09 ms on a corpus body).
    return words + len(CJK.findall(text)) // 2


def has_words(text: str, least: int) -> bool:
    """``count_words(text) >= least``, cheaply for the usual case (a spaced paragraph)."""
    # split(None, n - 1) stops after n pieces: len() >= n exactly when there are n words.
    if len(text.split(None, least - 1)) >= least:
        return True
    return not text.isascii() and count_words(text) >= least
