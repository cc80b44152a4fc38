"""The paywall vocabulary: concepts a notice speaks of, as word stems per language (data files).

A paywall notice or box says a few things in any language: *subscribe* / *member*, *register*,
*sign in*; *continue* / *the rest* / *the full article*; *only* / *exclusive* / *reserved*;
*unlock* / *access*; an *offer*, price or trial. A promo that is not a wall says other things:
*newsletter*, *donate*, *comment*, *cookie*. Each language's words for these concepts live in
``scraper/paywall/lexicon/<lang>.yaml``; this module loads, validates and matches them.

File format (one file per language, named by its ISO 639-1 code)::

    language: fr                 # equals the file name
    name: French
    boundary: word               # word: entries match at word boundaries; none: anywhere (ja, zh)
    concepts:
      subscribe: [abonn*, souscri*]       # concept -> entries (lower case)
      continue: [lire la suite, continuer à lire]
      ...
    url_words: [abonnement, abo, offres]  # path fragments of subscription/offer/login pages
    cases:
      notices: ["La fin de cet article est réservée aux abonnés.", ...]
      ordinary: ["Abonnez-vous à notre newsletter.", ...]

An entry is a word or a phrase (spaces match any whitespace). ``*`` at its end means "followed
by any letters" (a stem: ``abonn*`` matches abonné, abonnement); at its start, "preceded by any
letters" (Arabic's attached article: ``*اشتراك``). Without ``*`` the entry is a whole word or
phrase. With ``boundary: none`` (Chinese, Japanese: no spaces between words) entries are plain
substrings. Matching is case-insensitive on NFC text.

Every file's ``cases`` are its tests: each ``notices`` text must read as a notice by meaning
(:func:`reads_as_notice`) and no ``ordinary`` text may. Files are validated on load: unknown
concepts, empty entries, a language code that is not the file name, or fewer than three cases of
each kind raise :class:`LexiconError` naming the file and the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")

# Concepts a wall speaks of: what it asks for (ACCESS) and what it withholds (GATE).
ACCESS = ("subscribe", "register", "signin", "unlock")
GATE = ("continue", "rest", "exclusive")
SUPPORT = ("offer", "article", "free")
# Concepts of promos and page furniture that are not walls.
NEGATIVE = ("newsletter", "donate", "comment", "cookie")
CONCEPTS: tuple[str, ...] = ACCESS + GATE + SUPPORT + NEGATIVE
REQUIRED = ACCESS + GATE  # every language names these
MIN_CASES = 3


class LexiconError(ValueError):
    """A lexicon file that does not load or validate; the message names the file and field."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    boundary: str  # "word" or "none"
    concepts: dict[str, tuple[str, ...]]
    url_words: tuple[str, ...]
    notices: tuple[str, ...]
    ordinary: tuple[str, ...]


@lru_cache(maxsize=None)
def _letter(ch: str) -> str:
    """A regex class for a letter of the same word as ``ch``: ``\\w`` plus the combining marks of
    ch's script. ``\\w`` leaves out Indic vowel signs and viramas and Arabic harakat, so without
    them a word boundary falls inside a word (Hindi दान, donation, inside बलिदान, sacrifice)."""
    start = ord(ch) & ~0xFF
    spans: list[list[int]] = []
    for cp in range(start, start + 0x100):
        if unicodedata.category(chr(cp)).startswith("M"):
            if spans and spans[-1][1] == cp - 1:
                spans[-1][1] = cp
            else:
                spans.append([cp, cp])
    if not spans:
        return r"\w"
    marks = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in spans)
    return f"[\\w{marks}\\u200c\\u200d]"


def _entry_regex(entry: str, boundary: str) -> str:
    entry = unicodedata.normalize("NFC", entry.strip().lower())
    head = entry.startswith("*")
    tail = entry.endswith("*")
    core = entry.strip("*").strip()
    body = r"\s+".join(re.escape(part) for part in core.split())
    if boundary == "none":
        return body
    first, last = _letter(core[0]), _letter(core[-1])
    left = f"{first}*" if head else f"(?<!{first})"
    right = f"{last}*" if tail else f"(?!{last})"
    return f"{left}{body}{right}"


def _fail(path: Path, field: str, why: str) -> LexiconError:
    return LexiconError(f"{path.name}: {field}: {why}")


def _strings(path: Path, field: str, value: Any, *, minimum: int = 0) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, field, "must be a list of non-empty strings")
    if len(value) < minimum:
        raise _fail(path, field, f"needs at least {minimum} entries, has {len(value)}")
    return tuple(unicodedata.normalize("NFC", v.strip()) for v in value)


def load_language(path: Path) -> Language:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot be read: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise _fail(path, "(file)", "must be a mapping")
    unknown = set(data) - {"language", "name", "boundary", "concepts", "url_words", "cases"}
    if unknown:
        raise _fail(path, ", ".join(sorted(unknown)), "unknown field")
    code = data.get("language")
    if code != path.stem:
        raise _fail(path, "language", f"must be {path.stem!r} (the file name), is {code!r}")
    boundary = data.get("boundary", "word")
    if boundary not in ("word", "none"):
        raise _fail(path, "boundary", "must be 'word' or 'none'")
    concepts_raw = data.get("concepts")
    if not isinstance(concepts_raw, dict):
        raise _fail(path, "concepts", "must be a mapping of concept -> entries")
    bad = set(concepts_raw) - set(CONCEPTS)
    if bad:
        raise _fail(path, "concepts", f"unknown concept(s) {sorted(bad)}; known: {list(CONCEPTS)}")
    concepts: dict[str, tuple[str, ...]] = {}
    for concept in CONCEPTS:
        entries = _strings(path, f"concepts.{concept}", concepts_raw.get(concept),
                           minimum=1 if concept in REQUIRED else 0)
        for entry in entries:
            if not entry.strip("*").strip():
                raise _fail(path, f"concepts.{concept}", f"empty entry {entry!r}")
            try:
                re.compile(_entry_regex(entry, boundary))
            except re.error as exc:  # pragma: no cover - escape() makes this unreachable
                raise _fail(path, f"concepts.{concept}", f"{entry!r}: {exc}") from None
        concepts[concept] = entries
    cases = data.get("cases")
    if not isinstance(cases, dict):
        raise _fail(path, "cases", "must hold 'notices' and 'ordinary' lists")
    return Language(
        code=code,
        name=str(data.get("name") or code),
        boundary=boundary,
        concepts=concepts,
        url_words=_strings(path, "url_words", data.get("url_words")),
        notices=_strings(path, "cases.notices", cases.get("notices"), minimum=MIN_CASES),
        ordinary=_strings(path, "cases.ordinary", cases.get("ordinary"), minimum=MIN_CASES),
    )


@lru_cache(maxsize=4)
def load_languages(directory: Path = LEXICON_DIR) -> tuple[Language, ...]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise LexiconError(f"{directory}: no lexicon files")
    return tuple(load_language(path) for path in files)


@dataclass(frozen=True)
class Matcher:
    """One compiled regex per concept, over every language at once."""

    regexes: dict[str, re.Pattern[str]]
    url_regex: re.Pattern[str]

    def concepts(self, text: str) -> frozenset[str]:
        """The concepts ``text`` speaks of."""
        if not text:
            return frozenset()
        text = unicodedata.normalize("NFC", text)
        return frozenset(c for c, rx in self.regexes.items() if rx.search(text))

    def hits(self, text: str) -> dict[str, str]:
        """concept -> the first words that matched it (for signal details)."""
        text = unicodedata.normalize("NFC", text or "")
        out = {}
        for concept, rx in self.regexes.items():
            m = rx.search(text)
            if m:
                out[concept] = m.group(0)
        return out

    def subscription_url(self, url: str) -> bool:
        """True when a link's path names a subscription, offer, login or registration page."""
        return bool(url) and self.url_regex.search(url) is not None


def build_matcher(languages: tuple[Language, ...]) -> Matcher:
    regexes: dict[str, re.Pattern[str]] = {}
    for concept in CONCEPTS:
        parts = sorted(
            {_entry_regex(entry, lang.boundary) for lang in languages
             for entry in lang.concepts.get(concept, ())},
            key=len, reverse=True,
        )
        if parts:
            regexes[concept] = re.compile("|".join(parts), re.IGNORECASE)
    words = sorted({w.lower() for lang in languages for w in lang.url_words}, key=len, reverse=True)
    # A URL word is a whole path or query segment token: /abo, /abonnement/, ?offer=, sub.example
    url = r"(?:^|[/._?=&-])(?:" + "|".join(re.escape(w) for w in words) + r")(?:$|[/._?=&#-])"
    return Matcher(regexes, re.compile(url if words else r"(?!)", re.IGNORECASE))


@lru_cache(maxsize=1)
def matcher() -> Matcher:
    return build_matcher(load_languages())


def reads_as_notice(concepts: frozenset[str]) -> bool:
    """The vocabulary's own test of a block: it asks for access (subscribe, register, sign in,
    unlock) AND withholds something (continue, the rest, exclusive), and is no newsletter,
    donation, comment or cookie promo. The verdict's fitted model weighs the same concepts with
    structure; this rule is what each language file's ``cases`` are checked against."""
    return (
        not concepts.isdisjoint(ACCESS)
        and not concepts.isdisjoint(GATE)
        and concepts.isdisjoint(NEGATIVE)
    )
