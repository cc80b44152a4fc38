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
substrings. Matching is case-insensitive on NFC text; Greek vowels match with or without
their accents (capitals drop them).

Every file's ``cases`` are its tests: each ``notices`` text must read as a notice by meaning
(:func:`reads_as_notice`) and no ``ordinary`` text may. Files are validated on load: unknown
concepts, empty entries, a language code that is not the file name, or fewer than three cases of
each kind raise :class:`LexiconError` naming the file and the field.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")

# Concepts a wall speaks of: what it asks for (ACCESS) and what it withholds (GATE).
ACCESS = ("subscribe", "register", "signin", "unlock")
GATE = ("continue", "rest", "exclusive")
SUPPORT = ("offer", "article", "free")
# The meter: a count or limit of free articles reached ("you have read your 5 free articles
# this month"): a wall on its own when it names articles or free reading.
METER = ("meter",)
# Concepts of promos and page furniture that are not walls.
NEGATIVE = ("newsletter", "donate", "comment", "cookie")
CONCEPTS: tuple[str, ...] = ACCESS + GATE + SUPPORT + METER + NEGATIVE
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


def _mark_class() -> str:
    """A character class of the combining marks (Unicode M*) of the Basic Multilingual Plane:
    ``\\w`` leaves out Devanagari vowel signs and viramas, Arabic harakat and the like, which are
    parts of words (a word boundary must never fall inside हिंदी)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


_WORD = r"(?:\w|[" + _mark_class() + "])"
_TOKEN = re.compile(_WORD + r"+|[^\w\s]")


# Greek written in capitals drops its accents (ΜΟΝΟ ΓΙΑ ΣΥΝΔΡΟΜΗΤΕΣ is μόνο για συνδρομητές):
# texts and entries are compared without the tonos and dialytika of Greek vowels (folded only
# in a text that has an accented Greek vowel: most texts are passed by one isascii()).
_GREEK_ACCENTED = re.compile("[\u0390\u03ac-\u03af\u03b0\u03ca-\u03ce]")
_GREEK_FOLD = str.maketrans("\u0390\u03ac\u03ad\u03ae\u03af\u03b0\u03ca\u03cb\u03cc\u03cd\u03ce",
                            "\u03b9\u03b1\u03b5\u03b7\u03b9\u03c5\u03b9\u03c5\u03bf\u03c5\u03c9")


def _folded(text: str) -> str:
    """``text`` as it is compared: NFC, lower-case, Greek vowels without their accents."""
    text = unicodedata.normalize("NFC", text).lower()
    if not text.isascii() and _GREEK_ACCENTED.search(text) is not None:
        text = text.translate(_GREEK_FOLD)
    return text


def tokens(text: str) -> list[str]:
    """Lower-case words and single punctuation marks: how texts and entries are compared."""
    return _TOKEN.findall(_folded(text))


@dataclass(frozen=True)
class Entry:
    """One vocabulary entry as tokens; ``head``/``tail``: letters may precede/follow it."""

    concept: str
    words: tuple[str, ...]
    head: bool
    tail: bool

    @property
    def text(self) -> str:
        return ("*" if self.head else "") + " ".join(self.words) + ("*" if self.tail else "")


def _entry(concept: str, raw: str) -> Entry:
    raw = unicodedata.normalize("NFC", raw.strip().lower())
    return Entry(concept, tuple(tokens(raw.strip("*"))), raw.startswith("*"), raw.endswith("*"))


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
            if not tokens(entry.strip("*")):
                raise _fail(path, f"concepts.{concept}", f"{entry!r} holds no word")
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


# Letters of Hebrew, Arabic, the Indic scripts, Thai, Tibetan, Hangul, CJK, kana, full-width
# forms (not punctuation, currency or typographic quotes, which European text is full of).
_WIDE = re.compile("[\u0590-\u0fff\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
                   "\uff00-\uffef]")


def _has_wide(text: str) -> bool:
    """A letter of a script written with those letters (Arabic, Devanagari, CJK, Hangul...)."""
    return _WIDE.search(text) is not None


# An entry as the scan compares it: the first word (the first two for ``pairs``) is known to
# match where the entry is looked up, so only the words from ``start`` on are compared.
# (concept, size, words, start, tail): the last word may be followed by letters when ``tail``.
_Plan = tuple[str, int, tuple[str, ...], int, bool]


def _plan(e: Entry, start: int) -> _Plan:
    return (e.concept, len(e.words), e.words, start, e.tail)


def _first_word_matches(token: str, e: Entry) -> bool:
    """The first word of a head-wildcard entry (an infix) against ``token``."""
    word = e.words[0]
    if e.tail and len(e.words) == 1:
        return word in token
    return token.endswith(word)


@dataclass(frozen=True)
class Matcher:
    """Every language's entries at once, indexed by their first word.

    A text is cut into tokens once; at each token the entries that can start there (same first
    word, or a stem it begins with) are compared word by word. Languages without spaces
    (``boundary: none``) are matched as plain substrings of the lower-cased text.

    Speed: what a token can start (its exact, stem and infix entries) is worked out once per
    distinct token and kept; a token that starts nothing is remembered as cold, so most of a
    text's tokens are dismissed by one set difference. Phrases indexed by their first two words
    are looked up only at the text's adjacent token pairs that start one (a set intersection).
    The result is the same as trying every candidate at every token in order (exact and stem
    entries, then phrases, then infixes): the first match of each concept.
    """

    exact: dict[str, tuple[Entry, ...]]  # first word -> entries
    pairs: dict[tuple[str, str], tuple[Entry, ...]]  # first two words (both exact) -> entries
    pair_firsts: frozenset[str]  # the first words of ``pairs``
    stems: dict[str, tuple[Entry, ...]]  # first-word stem (tail wildcard) -> entries
    stem_lengths: tuple[int, ...]
    infixes: tuple[Entry, ...]  # entries whose first word may be preceded by letters
    substrings: tuple[tuple[str, str], ...]  # (concept, substring) for boundary-free languages
    url_regex: re.Pattern[str]

    narrow_infixes: tuple[Entry, ...] = ()  # the infixes written without a wide letter
    narrow_substrings: tuple[tuple[str, str], ...] = ()  # the same for substrings
    # Derived from the fields above (``__post_init__``), the scan's working data:
    # first word -> exact entries, stem -> stem entries, first two words -> pair entries, as
    # plans; a regex finding any infix's first word (a token without one starts no infix)
    _exact_plans: dict[str, tuple[_Plan, ...]] = field(init=False, compare=False, repr=False)
    _stem_plans: dict[str, tuple[_Plan, ...]] = field(init=False, compare=False, repr=False)
    _pair_plans: dict[tuple[str, str], tuple[_Plan, ...]] = field(
        init=False, compare=False, repr=False)
    _infix_words: re.Pattern[str] = field(init=False, compare=False, repr=False)
    # token -> (exact and stem plans, infix plans) it starts (only tokens that start some)
    _cache: dict[str, tuple[tuple[_Plan, ...], tuple[_Plan, ...]]] = field(
        default_factory=dict, compare=False, repr=False)
    # tokens that start no exact, stem or infix entry
    _cold: set[str] = field(default_factory=set, compare=False, repr=False)
    _memo: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        derived = {
            "_exact_plans": {k: tuple(_plan(e, 1) for e in v) for k, v in self.exact.items()},
            "_stem_plans": {k: tuple(_plan(e, 1) for e in v) for k, v in self.stems.items()},
            "_pair_plans": {k: tuple(_plan(e, 2) for e in v) for k, v in self.pairs.items() if v},
            "_infix_words": _literals({e.words[0] for e in self.infixes}),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def _candidates(self, tok: str) -> tuple[tuple[_Plan, ...], tuple[_Plan, ...]]:
        """The entries ``tok`` can start: those whose first word is ``tok`` or a stem of it, and
        the infixes whose first word ends it (or is in it); each with its first word matched."""
        out = list(self._exact_plans.get(tok, ()))
        stem_plans = self._stem_plans
        for n in self.stem_lengths:
            if n > len(tok):
                break
            found = stem_plans.get(tok[:n])
            if found:
                out.extend(found)
        infix: tuple[_Plan, ...] = ()
        if self._infix_words.search(tok) is not None:
            infix = tuple(_plan(e, 1) for e in self.infixes if _first_word_matches(tok, e))
        return tuple(out), infix

    def _hot(self, distinct: set[str]) -> dict[str, tuple[tuple[_Plan, ...], tuple[_Plan, ...]]]:
        """token -> (exact and stem plans, infix plans), for the tokens of ``distinct`` that
        start such an entry."""
        cache = self._cache
        cold = self._cold
        out: dict[str, tuple[tuple[_Plan, ...], tuple[_Plan, ...]]] = {}
        for tok in distinct - cold:
            plans = cache.get(tok)
            if plans is None:
                plans = self._candidates(tok)
                if not plans[0] and not plans[1]:
                    if len(cold) < 200_000:
                        cold.add(tok)
                    continue
                if len(cache) < 100_000:
                    cache[tok] = plans
            out[tok] = plans
        return out

    def _scan(self, text: str) -> dict[str, str]:
        found: dict[str, str] = {}
        if not text:
            return found
        flat = _folded(text)
        toks = _TOKEN.findall(flat)  # tokens(text), the text folded once
        # Most entries of scripts from Hebrew on (Arabic, Devanagari, CJK, Hangul) need no
        # look unless the text holds a letter of them: one scan of the text, not hundreds.
        # (An entry with a wide letter never matches a text without one: each of its words
        # must be found inside a token. So infixes are only tried where their first word is.)
        # An ASCII text (most closing lines of English pages) holds none: not scanned for one.
        wide = not flat.isascii() and _has_wide(" ".join(toks))
        distinct = set(toks)
        hot = self._hot(distinct)
        # The pairs of the text's adjacent tokens that start a phrase ("the rest"): few or none
        # (none at all when no token is the first word of a phrase).
        pair_plans = self._pair_plans
        pairs = pair_plans.keys() & zip(toks, toks[1:]) \
            if not distinct.isdisjoint(self.pair_firsts) else ()
        if pairs:
            starts = {first for first, _ in pairs}
            hot = {**{tok: ((), ()) for tok in starts}, **hot}
        if hot:
            size_toks = len(toks)
            empty: tuple[_Plan, ...] = ()
            for i in [i for i, tok in enumerate(toks) if tok in hot]:
                tok = toks[i]
                plans, infix = hot[tok]
                paired = pair_plans.get((tok, toks[i + 1]), empty) if pairs and i + 1 < size_toks \
                    else empty
                for group in (plans, paired, infix):
                    for concept, size, words, start, tail in group:
                        if concept in found:
                            continue
                        if size > start:
                            if i + size > size_toks:
                                continue
                            last = size - 1
                            k = start
                            while k < last and toks[i + k] == words[k]:
                                k += 1
                            if k < last:
                                continue
                            token = toks[i + last]
                            word = words[last]
                            if not (token.startswith(word) if tail else token == word):
                                continue
                        found[concept] = " ".join(toks[i:i + size])
        substrings = self.substrings if wide else self.narrow_substrings
        if substrings:
            for concept, sub in substrings:
                if concept not in found and sub in flat:
                    found[concept] = sub
        return found

    def concepts(self, text: str) -> frozenset[str]:
        """The concepts ``text`` speaks of."""
        return frozenset(self._read(text))

    def hits(self, text: str) -> dict[str, str]:
        """concept -> the first words that matched it (for signal details)."""
        return dict(self._read(text))

    def _read(self, text: str) -> dict[str, str]:
        """The same block is read several times per page (after the body, near its end, as a
        box): each text is scanned once and remembered (the caller never gets the stored dict)."""
        text = text or ""
        memo = self._memo
        found = memo.get(text)
        if found is None:
            found = self._scan(text)
            if len(memo) >= 2048:
                memo.clear()
            memo[text] = found
        return found

    def subscription_url(self, url: str) -> bool:
        """True when a link's path names a subscription, offer, login or registration page."""
        return bool(url) and self.url_regex.search(url) is not None


def build_matcher(languages: tuple[Language, ...]) -> Matcher:
    exact: dict[str, list[Entry]] = {}
    pairs: dict[tuple[str, str], list[Entry]] = {}
    stems: dict[str, list[Entry]] = {}
    infixes: list[Entry] = []
    substrings: set[tuple[str, str]] = set()
    for lang in languages:
        for concept, entries in lang.concepts.items():
            for raw in entries:
                if lang.boundary == "none":
                    substrings.add((concept, unicodedata.normalize("NFC", raw.strip("*").lower())))
                    continue
                e = _entry(concept, raw)
                if e.head:
                    infixes.append(e)
                elif e.tail and len(e.words) == 1:
                    stems.setdefault(e.words[0], []).append(e)
                elif len(e.words) >= 2 and not (e.tail and len(e.words) == 2):
                    # "the rest of": looked up by "the" and "rest" together, so a common first
                    # word does not try every phrase it starts
                    pairs.setdefault((e.words[0], e.words[1]), []).append(e)
                else:
                    exact.setdefault(e.words[0], []).append(e)
    words = sorted({w.lower() for lang in languages for w in lang.url_words}, key=len, reverse=True)
    # A URL word is a whole path or query segment token: /abo, /abonnement/, ?offer=, sub.example
    # (the words as a trie, "abo(?:nnement)?": the same strings as "abonnement|abo", found
    # without trying each word at each position of a URL)
    url = r"(?:^|[/._?=&-])(?:" + _trie(words) + r")(?:$|[/._?=&#-])"
    return Matcher(
        exact={k: tuple(v) for k, v in exact.items()},
        pairs={k: tuple(v) for k, v in pairs.items()},
        pair_firsts=frozenset(k[0] for k in pairs),
        stems={k: tuple(v) for k, v in stems.items()},
        stem_lengths=tuple(sorted({len(k) for k in stems})),
        infixes=tuple(infixes),
        narrow_infixes=tuple(e for e in infixes if not any(_has_wide(w) for w in e.words)),
        narrow_substrings=tuple(sorted(x for x in substrings if not _has_wide(x[1]))),
        substrings=tuple(sorted(substrings)),
        url_regex=re.compile(url if words else r"(?!)", re.IGNORECASE),
    )


def _trie(words: list[str]) -> str:
    """A regex alternation of ``words`` with common prefixes factored out: it matches exactly
    the strings that ``"|".join(words)`` matches."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not alternatives:
            return ""
        if len(alternatives) == 1 and "" not in node:
            return alternatives[0]
        group = "(?:" + "|".join(alternatives) + ")"
        return group + "?" if "" in node else group

    return emit(root)


def _literals(words: set[str]) -> re.Pattern[str]:
    """A regex that finds any of ``words`` (longest first), or never matches without words."""
    ordered = sorted(words, key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in ordered) if ordered else r"(?!)")


@lru_cache(maxsize=1)
def _shipped() -> Matcher:
    return build_matcher(load_languages())


_thinned: Matcher | None = None  # set by ``thinned_vocabulary`` (training only)


def matcher() -> Matcher:
    """The matcher of every language file (or, while training, a thinned one)."""
    return _thinned if _thinned is not None else _shipped()


def thinned(language: Language, share: float, seed: int) -> Language:
    """``language`` without about ``share`` of its entries and URL words, drawn by a hash of
    ``seed`` and the entry (deterministic): a vocabulary that lacks some of a notice's words, as
    it lacks those of a wording nobody wrote an entry for."""

    def keep(entry: str) -> bool:
        return zlib.crc32(f"{seed}:{language.code}:{entry}".encode()) % 1000 >= share * 1000

    return replace(language, url_words=tuple(w for w in language.url_words if keep(w)),
                   concepts={c: tuple(e for e in es if keep(e))
                             for c, es in language.concepts.items()})


@lru_cache(maxsize=64)
def _thinned_matcher(code: str, share: float, seed: int) -> Matcher:
    return build_matcher(tuple(thinned(lang, share, seed) if lang.code == code else lang
                               for lang in load_languages()))


@contextmanager
def thinned_vocabulary(code: str | None, share: float, seed: int) -> Iterator[None]:
    """Within the block, :func:`matcher` reads with language ``code``'s vocabulary thinned
    (:func:`thinned`): how ``make train-paywall`` shows the model notices read in part. Not
    thread-safe; never used while extracting for real."""
    global _thinned
    previous = _thinned
    _thinned = _thinned_matcher(code, share, seed) if code and share > 0 else None
    try:
        yield
    finally:
        _thinned = previous


def reads_as_notice(concepts: frozenset[str]) -> bool:
    """The vocabulary's own test of a block: it asks for access (subscribe, register, sign in,
    unlock) AND withholds something (continue, the rest, exclusive), or says this article or
    its rest is exclusive (to subscribers, members), or sells access to this content (unlock +
    article), or says the reader's free articles are used up (meter + article or free); and is no newsletter, donation, comment or cookie promo. The verdict's fitted model weighs the same concepts with
    structure; this rule is what each language file's ``cases`` are checked against."""
    if not concepts.isdisjoint(NEGATIVE):
        return False
    if "exclusive" in concepts and not concepts.isdisjoint(("rest", "continue", "article")):
        return True  # "the rest of this article is only for subscribers"
    if "meter" in concepts and not concepts.isdisjoint(("article", "free")):
        return True  # "you have reached your limit of free articles this month"
    if concepts.isdisjoint(ACCESS):
        return False
    if not concepts.isdisjoint(GATE):
        return True
    # "Unlock this article": access to *this* content is sold ("digital access: 3 months for
    # 1 zł" alone is a promo).
    return "unlock" in concepts and "article" in concepts
