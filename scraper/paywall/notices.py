"""The subscriber-notice lexicon: phrases that say "the rest of this article is for subscribers".

Each entry has a stable name (``notice:<lang>:<slug>``), a regex and a tier. Patterns are written
in lower case with plain spaces; on compile every space matches any run of whitespace and
matching is case-insensitive, on NFC text. Only phrases that speak about *this* article's
continuation are listed: "Abonnez-vous", "Subscribe" or "Réservé aux abonnés" labels stand on
almost every page (menus, related-article lists) and are deliberately absent.

The lexicon is matched on the tail of the extracted text (:func:`find_notice`) and on the visible
text that follows the article body in the DOM (``signals.dom_signals``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Tiers, as weights in the scoring model (see scraper.paywall.verdict).
H = 1.0
M = 0.5
L = 0.25

# How much of the text's end is searched, and how much text may follow a notice and still be
# treated as part of the paywall block (offer lists, "already a subscriber?" links).
TAIL_CHARS = 1200
MAX_WORDS_AFTER_NOTICE = 120

_NUM = r"(\d{1,3}(?:[.,]\d{1,3})?) ?%"
_ABONNES = r"(?:aux|à nos|pour les) abonn(?:é|e)(?:·?e)?s"

# (lang, slug, tier, pattern)
_LEXICON: tuple[tuple[str, str, float, str], ...] = (
    # French
    ("fr", "reste-x-pourcent", H, rf"il vous reste {_NUM} de (?:cet|l['’]) ?article à lire"),
    ("fr", "reste-x-pourcent-decouvrir", H, rf"il vous reste {_NUM} à découvrir"),
    ("fr", "developpez-fin-reservee", H, rf"la fin de cet article est réservée {_ABONNES}"),
    ("fr", "suite-reservee", H, rf"la suite (?:de (?:cet|l['’]) ?article )?est réservée {_ABONNES}"),
    ("fr", "contenu-reserve", H, rf"(?:cet article|ce contenu|cet contenu) est réservé {_ABONNES}"),
    (
        "fr",
        "lire-la-suite",
        H,
        r"pour (?:lire|découvrir|continuer à lire|consulter) la suite(?: de cet article)?[^.]{0,120}?"
        r"(?:abonn|créez|compte|connectez|inscri|identifi)",
    ),
    ("fr", "abonnez-vous-pour-lire", H, r"abonnez-vous pour (?:lire|continuer|accéder|découvrir)"),
    ("fr", "soutenez-abonnement", M, r"soutenez [^.]{1,60} en prenant un abonnement"),
    # English
    (
        "en",
        "subscribers-only",
        H,
        r"this (?:article|story|post|content|piece) is (?:reserved |available |only available )?"
        r"(?:exclusively )?(?:for|to) (?:paid |paying |premium |our )?(?:subscribers|members)"
        r"(?: only)?",
    ),
    (
        "en",
        "rest-for-subscribers",
        H,
        r"the rest of this (?:post|article|story) is (?:only )?(?:for|available to) "
        r"(?:paid |paying |premium )?(?:subscribers|members)",
    ),
    (
        "en",
        "subscribe-to-continue",
        H,
        r"(?:subscribe|sign up|register|log ?in|sign in) (?:now |today )?to (?:continue|keep) reading",
    ),
    ("en", "free-account-continue", H, r"create a free account to (?:continue|keep) reading"),
    (
        "en",
        "full-story-subscribe",
        H,
        r"to (?:view|read|access|see) (?:the )?(?:full|entire|whole|rest of the|complete) "
        r"(?:story|article|post)[^.]{0,80}?(?:subscri|log ?in|sign in|member)",
    ),
    ("en", "already-paid-subscriber", M, r"already a paid subscriber\?"),
    (
        "en",
        "already-subscriber-log-in",
        M,
        r"already an? (?:subscriber|member)[,?]? (?:you can |please )?(?:log ?in|sign in)",
    ),
    ("en", "unauthorized-view", M, r"you are unauthori[sz]ed to view this page"),
    # German
    ("de", "weiterlesen-mit-plus", H, r"(?:jetzt )?weiterlesen mit [\w-]{1,20} ?(?:\+|plus)(?!\w)"),
    ("de", "registrieren-weiterlesen", H, r"(?:kostenlos |jetzt )?registrieren und weiterlesen"),
    ("de", "zugang-weiterlesen", H, r"wählen sie ihren zugang und lesen sie weiter"),
    (
        "de",
        "ganzer-artikel-ausgabe",
        H,
        r"den (?:ganzen|kompletten|vollständigen|gesamten) (?:artikel|beitrag|text) "
        r"(?:finden|lesen) sie in (?:der|unserer|einer)",
    ),
    (
        "de",
        "nur-fuer-abonnenten",
        H,
        r"(?:dieser|der) (?:artikel|beitrag|inhalt) (?:ist )?(?:nur |exklusiv |ausschließlich )?"
        r"für (?:abonnenten|abonnentinnen|abonnent\*innen|abonnent:innen|digital-?abonnenten)",
    ),
    ("de", "moechten-weiterlesen", M, r"möchten sie weiterlesen\?"),
    # Spanish
    (
        "es",
        "suscribete-seguir-leyendo",
        H,
        r"(?:suscr[ií]bete|reg[ií]strate|hazte (?:socio|suscriptor)) (?:para|y) (?:seguir|continuar) "
        r"leyendo",
    ),
    (
        "es",
        "para-seguir-leyendo",
        H,
        r"para (?:seguir|continuar) leyendo,? (?:suscr[ií]bete|hazte|reg[ií]strate|inicia sesión)",
    ),
    (
        "es",
        "exclusivo-suscriptores",
        H,
        r"(?:contenido|artículo|noticia) (?:es )?exclusivo para (?:suscriptores|abonados)",
    ),
    # Italian
    (
        "it",
        "riservato-abbonati",
        H,
        r"(?:questo |l['’])?(?:articolo|contenuto) (?:è )?riservato agli abbonati",
    ),
    (
        "it",
        "abbonati-per-continuare",
        H,
        r"(?:abbonati|accedi|registrati) per (?:continuare a leggere|leggere (?:l['’]articolo|tutto))",
    ),
    ("it", "per-continuare-a-leggere", H, r"per continuare a leggere,? (?:abbonati|accedi|registrati)"),
    # Portuguese
    (
        "pt",
        "exclusivo-assinantes",
        H,
        r"(?:conteúdo|matéria|artigo|reportagem) (?:é )?exclusiv[oa] para assinantes",
    ),
    (
        "pt",
        "assine-para-continuar",
        H,
        r"(?:assine|assina) (?:para|e) (?:continuar|seguir) (?:lendo|a ler)",
    ),
    ("pt", "para-continuar-lendo", H, r"para (?:continuar|seguir) (?:lendo|a ler),? (?:assine|faça|cadastre)"),
    # Dutch, Polish, Japanese
    ("nl", "exclusief-abonnees", H, r"(?:dit artikel|dit verhaal) is (?:alleen |exclusief )?voor abonnees"),
    ("pl", "dostepny-dla-prenumeratorow", H, r"dostępn[ya] (?:tylko |wyłącznie )?dla (?:prenumeratorów|subskrybentów)"),
    ("pl", "czytaj-w-wydaniu", H, r"czytaj (?:więcej|dalej|całość) w (?:internetowym |cyfrowym |e-)?wydaniu"),
    ("ja", "kaiin-gentei", H, r"この記事は(?:有料)?会員限定です"),
    ("ja", "tsuzuki-touroku", H, r"登録すると続きをお読みいただけます"),
)


# A literal (lower case, no spaces) that must be in the text for the phrase to be tried: plain
# substring tests in C reject almost every text before any regex runs.
_KEYS: dict[str, tuple[str, ...]] = {
    "reste-x-pourcent": ("reste",),
    "reste-x-pourcent-decouvrir": ("reste",),
    "developpez-fin-reservee": ("réservée",),
    "suite-reservee": ("réservée",),
    "contenu-reserve": ("réservé",),
    "lire-la-suite": ("suite",),
    "abonnez-vous-pour-lire": ("abonnez",),
    "soutenez-abonnement": ("abonnement",),
    "subscribers-only": ("subscribers", "members"),
    "rest-for-subscribers": ("rest",),
    "subscribe-to-continue": ("reading",),
    "free-account-continue": ("reading",),
    "full-story-subscribe": ("full", "entire", "whole", "rest", "complete"),
    "already-paid-subscriber": ("already",),
    "already-subscriber-log-in": ("already",),
    "unauthorized-view": ("unauthori",),
    "weiterlesen-mit-plus": ("weiterlesen",),
    "registrieren-weiterlesen": ("weiterlesen",),
    "zugang-weiterlesen": ("zugang",),
    "ganzer-artikel-ausgabe": ("artikel", "beitrag", "text"),
    "nur-fuer-abonnenten": ("abonnent",),
    "moechten-weiterlesen": ("weiterlesen",),
    "suscribete-seguir-leyendo": ("leyendo",),
    "para-seguir-leyendo": ("leyendo",),
    "exclusivo-suscriptores": ("exclusivo",),
    "riservato-abbonati": ("riservato",),
    "abbonati-per-continuare": ("leggere",),
    "per-continuare-a-leggere": ("leggere",),
    "exclusivo-assinantes": ("assinantes",),
    "assine-para-continuar": ("assin",),
    "para-continuar-lendo": ("lendo", "ler"),
    "exclusief-abonnees": ("abonnees",),
    "dostepny-dla-prenumeratorow": ("dostępn",),
    "czytaj-w-wydaniu": ("wydaniu",),
    "kaiin-gentei": ("会員限定",),
    "tsuzuki-touroku": ("続き",),
}


@dataclass(frozen=True)
class Phrase:
    name: str  # notice:<lang>:<slug>
    tier: float
    regex: re.Pattern[str]
    keys: tuple[str, ...]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(" ?", r"\s*").replace(" ", r"\s+"), re.IGNORECASE)


PHRASES: tuple[Phrase, ...] = tuple(
    Phrase(f"notice:{lang}:{slug}", tier, _compile(pattern), _KEYS[slug])
    for lang, slug, tier, pattern in _LEXICON
)
# Every key once: each is looked for once per text, not once per phrase that lists it.
_ALL_KEYS: tuple[str, ...] = tuple(dict.fromkeys(key for phrase in PHRASES for key in phrase.keys))
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d{1,3})?)\s*%")


@dataclass(frozen=True)
class NoticeMatch:
    name: str
    tier: float
    start: int  # offsets in the searched text
    end: int
    matched: str
    expected_fraction: float | None = None  # share of the article served, when a number says so


def search_notices(text: str) -> list[NoticeMatch]:
    """Every lexicon phrase in ``text`` (already NFC), in order of position."""
    if not text:
        return []
    lowered = text.lower()
    present = {key for key in _ALL_KEYS if key in lowered}
    if not present:
        return []
    found: list[NoticeMatch] = []
    for phrase in PHRASES:
        if present.isdisjoint(phrase.keys):
            continue
        for m in phrase.regex.finditer(text):
            fraction = None
            if "pourcent" in phrase.name:
                pct = _PERCENT.search(m.group(0))
                if pct:
                    remaining = float(pct.group(1).replace(",", ".")) / 100.0
                    if 0.0 < remaining < 1.0:
                        fraction = round(1.0 - remaining, 4)
            found.append(NoticeMatch(phrase.name, phrase.tier, m.start(), m.end(), m.group(0), fraction))
    found.sort(key=lambda n: n.start)
    return found


def may_hold_notice(text: str) -> bool:
    """False when ``text`` (NFC) holds none of the lexicon's keys, so no phrase can match in it
    nor in any part of it."""
    lowered = text.lower()
    return any(key in lowered for key in _ALL_KEYS)


def compile_rule_phrases(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in phrases:
        try:
            out.append(re.compile(unicodedata.normalize("NFC", p), re.IGNORECASE))
        except re.error:
            continue  # a bad rule regex must not break extraction; sources/ validates on load
    return tuple(out)


@dataclass(frozen=True)
class TailNotice:
    """A notice found in the tail of the extracted text, and the text with it removed."""

    matches: tuple[NoticeMatch, ...]
    notice: str  # the removed text (the notice paragraph(s) and what follows)
    text: str  # the text without the notice


def find_notice(text: str, rule_patterns: tuple[re.Pattern[str], ...] = ()) -> TailNotice | None:
    """Look for a notice in the last ``TAIL_CHARS`` of ``text`` and cut it out.

    The cut starts at the beginning of the sentence (or line) holding the first match and runs to
    the end of the text, unless more than ``MAX_WORDS_AFTER_NOTICE`` words follow the notice's
    paragraph: then only that paragraph is removed, so real text after it is never lost.
    Rule patterns (``rules.notice_phrases``) yield matches named ``rules:notice``.
    """
    if not text:
        return None
    text = unicodedata.normalize("NFC", text)
    offset = max(0, len(text) - TAIL_CHARS)
    tail = text[offset:]
    matches = search_notices(tail)
    for pattern in rule_patterns:
        for m in pattern.finditer(tail):
            matches.append(NoticeMatch("rules:notice", H, m.start(), m.end(), m.group(0)))
    if not matches:
        return None
    matches.sort(key=lambda n: n.start)
    first = matches[0]
    start = offset + first.start
    # Back up to the start of the sentence or line holding the notice.
    line_start = text.rfind("\n", 0, start) + 1
    sentence = max(text.rfind(". ", line_start, start), text.rfind("! ", line_start, start),
                   text.rfind("? ", line_start, start), text.rfind("… ", line_start, start))
    cut = sentence + 2 if sentence >= line_start else line_start
    para_end = text.find("\n", offset + first.end)
    if para_end == -1:
        para_end = len(text)
    after = text[para_end:]
    if len(after.split()) > MAX_WORDS_AFTER_NOTICE:
        end = para_end
    else:
        end = len(text)
    notice = text[cut:end].strip()
    kept = (text[:cut].rstrip() + ("\n" + after.lstrip("\n") if end == para_end and after.strip() else ""))
    return TailNotice(tuple(matches), notice, kept.rstrip())
