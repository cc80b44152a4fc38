"""Notice and promo wordings per language: ``wordings/<lang>.yaml``, loaded and validated.

One file per language holds, as data:

* ``notices``: one entry per notice FAMILY (the same ids in every language), each a wording
  pattern written naturally in that language: ``text`` (1+ sentences; ``{pct}`` is replaced by a
  percentage in ``percent-remaining``) and optional ``heading`` (a box title);
* ``offers`` (an offer line), ``already_subscriber`` ("Already a subscriber? Log in"),
  ``buttons`` (subscribe / login / offers / register labels), ``paths`` (subscription, login,
  registration URL paths natural for the language), ``form`` (login form labels);
* ``promos``: what is NOT a wall: ``newsletter``, ``donation``, ``comment_login``, ``cookie``,
  ``print`` (print edition / app), ``subscribe_promo`` (header/sidebar "Subscribe, 50% off");
* ``reading_time``: reading-time label templates with ``{n}`` minutes.

Families and languages are each split in two fixed halves, ``dev`` and ``heldout``: detectors
are tuned on the dev half and judged on the held-out half (see :mod:`scraper.synth.generate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEV_FAMILIES", "DEV_LANGUAGES", "FAMILIES", "HELDOUT_FAMILIES", "HELDOUT_LANGUAGES",
    "LANGUAGES", "Wording", "family_split", "language_split", "load", "load_all",
]

WORDINGS_DIR = Path(__file__).with_name("wordings")

DEV_FAMILIES = ("rest-reserved", "subscribe-to-continue", "metered-limit", "unlock-offer",
                "premium-label")
HELDOUT_FAMILIES = ("register-free", "members-exclusive", "percent-remaining",
                    "read-full-login", "support-subscribe")
FAMILIES = DEV_FAMILIES + HELDOUT_FAMILIES

DEV_LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "nl", "pl", "ru", "ja", "zh", "ar", "tr")
HELDOUT_LANGUAGES = ("da", "sv", "nb", "fi", "cs", "hu", "ro", "uk", "el", "ko", "id", "vi", "hi")
LANGUAGES = DEV_LANGUAGES + HELDOUT_LANGUAGES

BUTTONS = ("subscribe", "login", "offers", "register")
PATHS = ("subscribe", "login", "register")
PROMOS = ("newsletter", "donation", "comment_login", "cookie", "print", "subscribe_promo")
FORM = ("email", "password")


def family_split(family: str) -> str:
    return "dev" if family in DEV_FAMILIES else "heldout"


def language_split(language: str) -> str:
    return "dev" if language in DEV_LANGUAGES else "heldout"


@dataclass(frozen=True)
class Notice:
    text: tuple[str, ...]
    heading: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    language: str
    notices: dict[str, Notice]
    offers: tuple[str, ...]
    already_subscriber: tuple[str, ...]
    buttons: dict[str, tuple[str, ...]]
    paths: dict[str, tuple[str, ...]]
    form: dict[str, str]
    promos: dict[str, tuple[str, ...]]
    reading_time: tuple[str, ...]


def _strings(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    if not value and not allow_empty:
        raise ValueError(f"{where}: empty list")
    return tuple(v.strip() for v in value)


def _table(data: dict[str, Any], key: str, names: tuple[str, ...], where: str) -> dict[str, Any]:
    table = data.get(key)
    if not isinstance(table, dict):
        raise ValueError(f"{where}: '{key}' is missing or not a mapping")
    missing = [n for n in names if n not in table]
    unknown = [n for n in table if n not in names]
    if missing or unknown:
        raise ValueError(f"{where}: '{key}' lacks {missing} / has unknown {unknown}")
    return table


def parse(data: Any, language: str, where: str) -> Wording:
    """Validate one language file's content; raise ValueError naming the file and field."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping at the top")
    if data.get("language") != language:
        raise ValueError(f"{where}: 'language' must be {language!r}")
    notices: dict[str, Notice] = {}
    for family, entry in _table(data, "notices", FAMILIES, where).items():
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: notices.{family}: expected a mapping with 'text'")
        texts = _strings(entry.get("text"), f"{where}: notices.{family}.text")
        if family == "percent-remaining" and not all("{pct}" in t for t in texts):
            raise ValueError(f"{where}: notices.{family}.text: every wording needs {{pct}}")
        notices[family] = Notice(
            text=texts,
            heading=_strings(entry.get("heading", []), f"{where}: notices.{family}.heading",
                             allow_empty=True),
        )
    buttons = {k: _strings(v, f"{where}: buttons.{k}")
               for k, v in _table(data, "buttons", BUTTONS, where).items()}
    paths = {k: _strings(v, f"{where}: paths.{k}")
             for k, v in _table(data, "paths", PATHS, where).items()}
    for key, values in paths.items():
        if not all(p.startswith("/") for p in values):
            raise ValueError(f"{where}: paths.{key}: every path starts with '/'")
    form = {k: str(v) for k, v in _table(data, "form", FORM, where).items()}
    promos = {k: _strings(v, f"{where}: promos.{k}")
              for k, v in _table(data, "promos", PROMOS, where).items()}
    reading = _strings(data.get("reading_time"), f"{where}: reading_time")
    if not all("{n}" in r for r in reading):
        raise ValueError(f"{where}: reading_time: every label needs {{n}}")
    return Wording(
        language=language,
        notices=notices,
        offers=_strings(data.get("offers"), f"{where}: offers"),
        already_subscriber=_strings(data.get("already_subscriber"), f"{where}: already_subscriber"),
        buttons=buttons,
        paths=paths,
        form=form,
        promos=promos,
        reading_time=reading,
    )


@cache
def load(language: str) -> Wording:
    path = WORDINGS_DIR / f"{language}.yaml"
    if not path.is_file():
        raise ValueError(f"no wordings for language {language!r} ({path} is missing)")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse(data, language, str(path.name))


def load_all() -> dict[str, Wording]:
    return {lang: load(lang) for lang in LANGUAGES}
