"""Article metadata from the parsed page: JSON-LD, microdata, OpenGraph and <meta> tags.

Each field is taken from the first source that has it, in an order chosen per field (the
article's JSON-LD node first for most, since publishers fill it for search engines). Everything
reads the one :class:`~scraper.extract.document.Document`; nothing re-parses the page.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from dateutil import parser as dateparser
from selectolax.lexbor import LexborNode
from w3lib.url import safe_url_string, url_query_cleaner

from scraper.extract.document import Document, jsonld_types
from scraper.extract.words import count_words

__all__ = ["Metadata", "extract_metadata", "canonicalize", "parse_date", "ARTICLE_TYPES"]

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "AskPublicNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
    }
)

# Query parameters that only say where a click came from (matched case-insensitively).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "xtor", "xts", "at_medium", "at_campaign", "at_platform", "at_creation", "at_send_date",
        "at_link", "at_link_id", "at_link_type", "at_link_origin", "at_format", "at_recipient_id",
        "at_recipient_list", "at_ptr_name", "at_emailtype", "_ga", "_gl", "ref", "ref_src",
        "cmpid", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "ocid",
        "wt_mc", "wt.mc_id", "ito", "smid", "sr_share", "share", "ftag", "icid", "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "oly_")


@dataclass(frozen=True)
class Metadata:
    """What a page says about its article. Dates are ISO 8601 strings with a time zone: a
    value without one is taken as UTC, and a bare date as midnight UTC."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None  # ISO 639 primary code, lower case ("fr")
    section: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    image: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    jsonld_word_count: int | None = None  # the article node's wordCount
    jsonld_article_body_words: int | None = None  # words in the article node's articleBody
    has_part: tuple[tuple[str, bool | None], ...] = ()  # (cssSelector, isAccessibleForFree)
    accessible_for_free: bool | None = None  # the article's isAccessibleForFree, if declared


def extract_metadata(doc: Document, final_url: str | None) -> Metadata:
    base = final_url or doc.url
    node = article_node(doc)
    ld: dict[str, Any] = node or {}
    micro = _microdata(doc)
    title = _first_text(
        _ld_text(ld.get("headline")),
        doc.meta_first("og:title"),
        micro.get("headline"),
        doc.meta_first("twitter:title", "dc.title", "title"),
        _title_tag(doc),
    )
    site_name = _first_text(
        doc.meta_first("og:site_name"),
        _ld_name(ld.get("publisher")),
        _publisher_from_graph(doc),
        doc.meta_first("application-name"),
    )
    return Metadata(
        title=title,
        authors=_authors(doc, ld, micro),
        published_at=_first_date(
            ld.get("datePublished"),
            doc.meta_first("article:published_time"),
            micro.get("datePublished"),
            doc.meta_first(
                "og:article:published_time", "datePublished", "date", "pubdate", "publishdate",
                "publish-date", "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
                "parsely-pub-date", "sailthru.date", "article.published", "published_time",
            ),
            ld.get("dateCreated"),
        )
        or _first_date(_time_tag(doc)),  # a walk of the whole tree: only when nothing else said
        modified_at=_first_date(
            ld.get("dateModified"),
            doc.meta_first("article:modified_time", "og:updated_time"),
            micro.get("dateModified"),
            doc.meta_first("dateModified", "last-modified", "dcterms.modified"),
        ),
        language=_language(doc, ld),
        section=_first_text(
            _ld_text(ld.get("articleSection")),
            doc.meta_first("article:section", "og:article:section"),
            micro.get("articleSection"),
            doc.meta_first("section", "parsely-section"),
        ),
        tags=_tags(doc, ld),
        description=_first_text(
            doc.meta_first("description"),
            doc.meta_first("og:description"),
            _ld_text(ld.get("description")),
            doc.meta_first("twitter:description"),
        ),
        image=_absolute(_first_text(doc.meta_first("og:image", "og:image:url"), _ld_image(ld.get("image")), doc.meta_first("twitter:image")), base),
        site_name=site_name,
        canonical_url=canonical_url(doc, final_url),
        jsonld_word_count=_int(ld.get("wordCount")),
        jsonld_article_body_words=_words(ld.get("articleBody")),
        has_part=_has_part(ld.get("hasPart")),
        accessible_for_free=_bool(ld.get("isAccessibleForFree")),
    )


# --- JSON-LD -----------------------------------------------------------------------------------


def _short_types(node: dict[str, Any]) -> set[str]:
    return {t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in jsonld_types(node)}


def article_node(doc: Document) -> dict[str, Any] | None:
    """The JSON-LD node that describes the article: the first article-typed node, preferring
    one with a headline or body over a bare stub (``@graph`` pages often hold both)."""
    candidates = [n for n in doc.jsonld if _short_types(n) & ARTICLE_TYPES]
    for node in candidates:
        if node.get("headline") or node.get("articleBody"):
            return node
    return candidates[0] if candidates else None


def _ids(doc: Document) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for n in doc.jsonld if isinstance(n.get("@id"), str) and len(n) > 1}


def _ld_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, str):
        return _clean(value)
    return None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _ld_text(value.get("name"))
    return _ld_text(value)


def _publisher_from_graph(doc: Document) -> str | None:
    for node in doc.jsonld:
        if _short_types(node) & {"NewsMediaOrganization", "Organization"} and node.get("name"):
            return _ld_text(node.get("name"))
    return None


def _ld_image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ld_people(value: Any, ids: dict[str, dict[str, Any]]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            if "name" not in item and isinstance(item.get("@id"), str):
                item = ids.get(item["@id"], item)
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(x for x in name if isinstance(x, str))
            if isinstance(name, str):
                names.append(name)
            elif isinstance(item.get("givenName"), str):
                names.append(f"{item['givenName']} {item.get('familyName') or ''}")
        elif isinstance(item, str):
            names.append(item)
    return names


def _has_part(value: Any) -> tuple[tuple[str, bool | None], ...]:
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, bool | None]] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("cssSelector"), str):
            out.append((item["cssSelector"].strip(), _bool(item.get("isAccessibleForFree"))))
    return tuple(out)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip().lower().rsplit("/", 1)[-1]
        if v in ("true", "1", "yes"):
            return True
        if v in ("false", "0", "no"):
            return False
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        digits = re.sub(r"[\s.,\u202f\xa0]", "", value)
        return int(digits) if digits.isdigit() else None
    return None


def _words(value: Any) -> int | None:
    return count_words(value) if isinstance(value, str) and value.strip() else None


# --- microdata ---------------------------------------------------------------------------------

_MICRO_PROPS = ("headline", "datePublished", "dateModified", "articleSection")


def _microdata(doc: Document) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in _MICRO_PROPS:
        if not doc.may_have_itemprop(prop):
            continue
        for node in doc.css(f"[itemprop~='{prop}']"):
            value = _item_value(node)
            if value:
                out[prop] = value
                break
    return out


def _item_value(node: LexborNode) -> str | None:
    attrs = node.attributes
    for attr in ("content", "datetime"):
        if attrs.get(attr):
            return _clean(attrs[attr] or "")
    return _clean(node.text(deep=True) or "")


def _micro_authors(doc: Document) -> list[str]:
    names: list[str] = []
    if not (doc.may_have_itemprop("author") or doc.may_have_itemprop("creator")):
        return names
    for node in doc.css("[itemprop~='author'], [itemprop~='creator']"):
        inner = node.css_first("[itemprop~='name']")
        value = _item_value(inner) if inner is not None else _item_value(node)
        if value:
            names.append(value)
    return names


# --- fields ------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _clean(value: str) -> str | None:
    value = _SPACE.sub(" ", value).strip()
    return value or None


def _first_text(*values: str | None) -> str | None:
    for value in values:
        if value:
            cleaned = _clean(value)
            if cleaned:
                return cleaned
    return None


def _title_tag(doc: Document) -> str | None:
    node = doc.css_first("title")
    return _clean(node.text() or "") if node is not None else None


def _time_tag(doc: Document) -> str | None:
    node = doc.css_first("article time[datetime], time[pubdate][datetime]")
    return node.attributes.get("datetime") if node is not None else None


_NOT_A_NAME = re.compile(r"^(?:https?://|www\.)|@", re.I)


def _authors(doc: Document, ld: dict[str, Any], micro: dict[str, str]) -> tuple[str, ...]:
    names = _ld_people(ld.get("author"), _ids(doc)) if ld else []
    if not names:
        names = _micro_authors(doc)
    if not names:
        names = [v for v in doc.meta.get("author", []) + doc.meta.get("article:author", [])]
    if not names:
        names = doc.meta.get("dc.creator", []) + doc.meta.get("parsely-author", [])
    return _dedupe(n for n in names if not _NOT_A_NAME.search(n.strip()))


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        cleaned = _clean(value)
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            out.append(cleaned)
    return tuple(out)


def _split_keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for item in value for v in _split_keywords(item)]
    if isinstance(value, str):
        return [v for v in re.split(r"[,;]", value) if v.strip()]
    return []


def _tags(doc: Document, ld: dict[str, Any]) -> tuple[str, ...]:
    tags = _split_keywords(ld.get("keywords"))
    if not tags:
        tags = doc.meta.get("article:tag", []) + doc.meta.get("og:article:tag", [])
    if not tags:
        tags = _split_keywords(doc.meta.get("news_keywords", []) or doc.meta.get("keywords", []))
    return _dedupe(tags)


_LANG = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")


def _language(doc: Document, ld: dict[str, Any]) -> str | None:
    html = doc.css_first("html")
    candidates = [
        html.attributes.get("lang") if html is not None else None,
        html.attributes.get("xml:lang") if html is not None else None,
        _ld_text(ld.get("inLanguage")) if ld else None,
        doc.meta_first("og:locale", "content-language", "language", "dc.language"),
    ]
    for value in candidates:
        if value:
            m = _LANG.match(value.strip())
            if m:
                return m.group().lower()
    return None


# --- dates -------------------------------------------------------------------------------------


# Zone abbreviations dateutil does not know (seconds east of UTC); unknown ones count as UTC.
_TZ_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 3600, "BST": 3600, "CET": 3600, "MEZ": 3600,
    "CEST": 7200, "MESZ": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800, "IST": 19800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "JST": 32400, "KST": 32400, "AEST": 36000, "AEDT": 39600,
}


_DOTTED_DATE = re.compile(r"\s*\d{1,2}\.\s*\d{1,2}\.\s*\d{2,4}")


def parse_date(value: Any) -> str | None:
    """ISO 8601 with a time zone, or None. Naive values (and unknown zone names) are taken as
    UTC; a bare date is midnight UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dateutil warns on zone names it drops
                dayfirst = _DOTTED_DATE.match(text) is not None  # 03.05.2024 is 3 May
                parsed = dateparser.parse(text, tzinfos=_TZ_ABBREVIATIONS, dayfirst=dayfirst)
        except (ValueError, OverflowError, TypeError, dateparser.ParserError):
            return None
    if parsed is None or not 1900 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.isoformat()


def _first_date(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        parsed = parse_date(value)
        if parsed:
            return parsed
    return None


# --- URLs --------------------------------------------------------------------------------------


def _absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    return url


def canonicalize(url: str) -> str:
    """``url`` without tracking parameters and fragment, safely quoted."""
    url = safe_url_string(url.strip())
    keys = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    tracking = [k for k in keys if k.lower() in TRACKING_PARAMS or k.lower().startswith(TRACKING_PREFIXES)]
    return url_query_cleaner(url, tracking, remove=True, keep_fragments=False) if tracking or "#" in url else url


def canonical_url(doc: Document, final_url: str | None) -> str | None:
    """``<link rel=canonical>``, then ``og:url``, then the final URL: absolute, http(s) only,
    tracking parameters and fragment removed."""
    base = final_url or doc.url
    candidates: list[str | None] = []
    for link in doc.css("link[rel]"):
        if "canonical" in (link.attributes.get("rel") or "").lower().split():
            candidates.append(link.attributes.get("href"))
    candidates += [doc.meta_first("og:url"), base]
    for candidate in candidates:
        url = _absolute(candidate, base)
        if url and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
            return canonicalize(url)
    return None
