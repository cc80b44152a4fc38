"""Ranked search over the index: BM25 on title (boosted) and text, filters, snippets.

The query language is Tantivy's: words (all required), ``"a phrase"``, ``OR``, ``AND``,
``NOT word`` or ``-word``, ``(grouping)``, ``word^2`` to boost. Each word is analysed by every
searched language's analyser, so it matches its stems in each language's articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import tantivy

from scraper.errors import UsageError
from scraper.search.index import SearchIndex
from scraper.search.schema import (
    LANGUAGES,
    TITLE_BOOST,
    field_language,
    text_field,
    title_field,
)

SNIPPET_CHARS = 220
_SPACES = re.compile(r"\s+")
_AND_NOT = re.compile(r"\bAND\s+NOT\b")
HIT_COLUMNS = ("id", "url", "title", "source", "published_at", "access", "score", "snippet")


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    access: str | None = None
    language: str | None = None
    since: datetime | None = None  # inclusive, on published (else first seen)
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Hit:
    id: int
    url: str
    title: str
    source: str | None
    published_at: datetime | None
    access: str | None
    score: float
    # the snippet as pieces of text, each highlighted or not
    snippet_parts: tuple[tuple[str, bool], ...]

    @property
    def snippet(self) -> str:
        """The snippet as one line, matches between ``**``."""
        return "".join(f"**{t}**" if hit else t for t, hit in self.snippet_parts)

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.url, self.title, self.source, self.published_at, self.access,
                round(self.score, 3), self.snippet)


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int  # documents matching, all pages (-1: not counted)


def parse(index: tantivy.Index, text: str, languages: list[str]) -> tantivy.Query:
    if not text.strip():
        raise UsageError("empty search query; give words, a \"phrase\", OR, NOT…",
                         code="usage:query")
    # Tantivy reads "a AND NOT b" as "a AND (nothing but not-b)", which matches nothing: say
    # what is meant, "a NOT b" (outside quoted phrases)
    text = "".join(part if i % 2 else _AND_NOT.sub("NOT", part)
                   for i, part in enumerate(re.split(r'("[^"]*")', text)))
    fields = [f for lang in languages for f in (title_field(lang), text_field(lang))]
    boosts = {title_field(lang): TITLE_BOOST for lang in languages}
    try:
        return index.parse_query(text, fields, field_boosts=boosts, conjunction_by_default=True)
    except ValueError as exc:
        raise UsageError(
            f"bad search query {text!r}: {str(exc).splitlines()[0]}; quote phrases with \"…\" "
            f"and close every parenthesis",
            code="usage:query",
        ) from None


def _filters(schema: tantivy.Schema, f: Filters) -> list[tantivy.Query]:
    out: list[tantivy.Query] = []
    if f.source:
        out.append(tantivy.Query.term_query(schema, "source", f.source))
    if f.access:
        out.append(tantivy.Query.term_query(schema, "access", f.access))
    if f.language:
        code = f.language.strip().lower().replace("_", "-").split("-")[0]
        out.append(tantivy.Query.term_query(schema, "language", code))
    if f.since or f.until:
        out.append(tantivy.Query.range_query(
            schema, "date", tantivy.FieldType.Date, f.since, f.until,
            include_lower=True, include_upper=f.until is None))
    return out


def search(index: SearchIndex, text: str, filters: Filters = Filters(), *, limit: int = 20,
           offset: int = 0, count: bool = True) -> Results:
    """The best ``limit`` hits from ``offset``, best first. Without ``count`` the total is not
    counted (``Results.total`` is -1): top hits alone skip most of a common word's postings."""
    tindex = index.open()
    searcher = index.searcher()
    if filters.language:
        languages = [field_language(filters.language)]
    else:
        languages = index.languages() or list(LANGUAGES)
    query = parse(tindex, text, languages)
    schema = tindex.schema
    extra = _filters(schema, filters)
    if extra:
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query)]
                                            + [(tantivy.Occur.Must, q) for q in extra])
    result = searcher.search(query, limit, count=count, offset=offset)
    generators: dict[str, tantivy.SnippetGenerator] = {}
    hits = []
    for score, address in result.hits:
        doc = searcher.doc(address)
        lang = field_language(doc.get_first("language"))
        if lang not in generators:
            gen = tantivy.SnippetGenerator.create(searcher, query, schema, text_field(lang))
            gen.set_max_num_chars(SNIPPET_CHARS)
            generators[lang] = gen
        hits.append(Hit(
            id=int(doc.get_first("id") or 0),
            url=doc.get_first("url") or "",
            title=doc.get_first(title_field(lang)) or "",
            source=doc.get_first("source"),
            published_at=_aware(doc.get_first("published_at")),
            access=doc.get_first("access"),
            score=float(score),
            snippet_parts=_snippet(generators[lang].snippet_from_doc(doc),
                                   doc.get_first(text_field(lang)) or ""),
        ))
    return Results(hits, int(getattr(result, "count", 0) or 0) if count else -1)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _snippet(snippet: tantivy.Snippet, text: str) -> tuple[tuple[str, bool], ...]:
    """Tantivy's fragment cut at its highlighted byte ranges; the text's start when only the
    title matched."""
    fragment = snippet.fragment()
    if not fragment:
        start = " ".join(text[: SNIPPET_CHARS * 2].split())
        cut = start[:SNIPPET_CHARS]
        return ((cut + ("…" if len(start) > SNIPPET_CHARS else ""), False),) if cut else ()
    raw = fragment.encode("utf-8")
    parts: list[tuple[str, bool]] = []
    at = 0
    for r in sorted(snippet.highlighted(), key=lambda r: r.start):
        if r.start < at:
            continue
        if r.start > at:
            parts.append((raw[at:r.start].decode("utf-8", "replace"), False))
        parts.append((raw[r.start:r.end].decode("utf-8", "replace"), True))
        at = r.end
    if at < len(raw):
        parts.append((raw[at:].decode("utf-8", "replace"), False))
    return tuple((_SPACES.sub(" ", t), hit) for t, hit in parts)
