"""The search index's fields and text analysers: one title and one text field per language.

An article's title and text go into the fields of its language (``title_fr``, ``text_fr``),
analysed by that language's Snowball stemmer, so "élections" and "élection" meet in French and
"elections"/"election" in English. Languages without a stemmer (and articles without a language)
go into ``title_xx``/``text_xx``: words only lower-cased and folded. Every analyser folds accents
after stemming (the stemmers want them), so "election" finds "élection" too. A query is parsed
against the fields of the languages the index holds, each analysed its own way.

Stored with each document: id, url, title, text (in its language's field, for snippets), source,
published_at, access, language. ``date`` (published, else first seen) serves ``--since/--until``.
"""

from __future__ import annotations

import tantivy

SCHEMA_VERSION = 1  # bump when fields or analysers change: an older index is rebuilt

# ISO 639-1 code -> Snowball stemmer (those tantivy ships)
STEMMERS: dict[str, str] = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish",
    "fr": "french", "de": "german", "el": "greek", "hu": "hungarian", "it": "italian",
    "nb": "norwegian", "no": "norwegian", "nn": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish", "ta": "tamil",
    "tr": "turkish",
}
OTHER = "xx"  # no stemmer, or no language
LANGUAGES: tuple[str, ...] = tuple(sorted({*STEMMERS, OTHER}))
MAX_TOKEN = 40  # longer "words" (base64, URLs run together) are dropped
TITLE_BOOST = 2.0

STORED_TEXT = ("url", "source", "access", "language")


def field_language(language: str | None) -> str:
    """The index language of an article's ``language`` value ("fr-FR" -> "fr", None -> "xx")."""
    if not language:
        return OTHER
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in STEMMERS else OTHER


def title_field(lang: str) -> str:
    return f"title_{lang}"


def text_field(lang: str) -> str:
    return f"text_{lang}"


def analyzer_name(lang: str) -> str:
    return f"scraper_{lang}"


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in STORED_TEXT:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_date_field("published_at", stored=True)
    sb.add_date_field("date", indexed=True, fast=True)
    for lang in LANGUAGES:
        sb.add_text_field(title_field(lang), stored=True, tokenizer_name=analyzer_name(lang))
        sb.add_text_field(text_field(lang), stored=True, tokenizer_name=analyzer_name(lang))
    return sb.build()


def _analyzer(lang: str) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN))
        .filter(tantivy.Filter.lowercase())
    )
    if lang in STEMMERS:
        builder = builder.filter(tantivy.Filter.stemmer(STEMMERS[lang]))
    return builder.filter(tantivy.Filter.ascii_fold()).build()


def register_analyzers(index: tantivy.Index) -> None:
    """Every opened index needs its analysers registered (tantivy keeps only their names)."""
    for lang in LANGUAGES:
        index.register_tokenizer(analyzer_name(lang), _analyzer(lang))
