"""Feeds -> entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

feedparser is handed a file object (given bytes it would first try them as a *file name*), and
the bytes are screened first: a DOCTYPE that declares entities is refused before any parser
expands it (billion laughs, external entities). feedparser itself never loads external DTDs
(``feature_external_ges`` off) and keeps only trivial entity declarations, so the screen is a
second wall and, above all, a fast and clear error.
"""

from __future__ import annotations

import calendar
import logging
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import feedparser

from scraper.discover._xml import refuse_entities
from scraper.decode import decode_html, lookup_label
from scraper.errors import ContentError

__all__ = ["Feed", "FeedEntry", "parse_feed", "parse_iso_datetime", "sniff_feed_kind"]

FeedKind = Literal["rss", "atom", "json"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None  # the entry's id (RSS guid, Atom id, JSON Feed id), else None
    link: str | None  # absolute http(s) URL of the article
    title: str | None
    published: datetime | None  # aware, UTC
    updated: datetime | None  # aware, UTC
    summary: str | None  # as the feed gives it (HTML sanitised by feedparser for RSS/Atom)
    authors: tuple[str, ...] = ()

    @property
    def key(self) -> str | None:
        """What identifies the entry across polls: its guid, else its link."""
        return self.guid or self.link

    def to_dict(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "link": self.link,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "summary": self.summary,
            "authors": list(self.authors),
        }


@dataclass(frozen=True)
class Feed:
    kind: FeedKind
    url: str  # the base URL it was parsed against
    title: str | None = None
    link: str | None = None  # the site's home page
    ttl: int | None = None  # minutes, from RSS <ttl> or sy:updatePeriod/updateFrequency
    updated: datetime | None = None
    entries: tuple[FeedEntry, ...] = field(default=())


def sniff_feed_kind(content: bytes) -> FeedKind | None:
    """``json`` / ``atom`` / ``rss`` from the first bytes, or None when it looks like neither."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    low = head.lower()
    if b"<feed" in low:
        return "atom"
    if b"<rss" in low or b"<rdf:rdf" in low or b"<rdf" in low:
        return "rss"
    return None


_XML_DECL_ENCODING = re.compile(rb"""^(\xef\xbb\xbf)?(<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])""")


def _fix_legacy_label(content: bytes) -> bytes:
    """A feed declared ``iso-8859-1`` (Developpez's) often holds windows-1252 punctuation and
    UTF-8 runs. expat would read 0x92 as the C1 control U+0092 and the apostrophe would vanish,
    the seed's bug in feed titles. Decode such feeds the WHATWG way (``decode_html``: the label
    means windows-1252, valid UTF-8 runs stay UTF-8) and hand feedparser UTF-8."""
    m = _XML_DECL_ENCODING.match(content)
    if m is None or content.isascii():
        return content
    label = m.group(3).decode("ascii")
    if lookup_label(label) != "windows-1252":
        return content
    text = decode_html(content[m.end(1) if m.group(1) else 0 :], f"application/xml; charset={label}").text
    raw = text.encode("utf-8")
    decl = _XML_DECL_ENCODING.match(raw)
    if decl is None:
        return content
    return decl.group(2) + b"utf-8" + decl.group(4) + raw[decl.end() :]


MAX_FEED_ENTRIES = 2000  # a feed's newest entries come first; feedparser costs ~0.2 ms an entry
_ENTRY_START = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?(?:item|entry)[\s>/]")
_CLOSERS = {"atom": b"</feed>", "rss": b"</channel></rss></rdf:RDF>"}


def _keep_first_entries(content: bytes, kind: FeedKind | None, base_url: str) -> bytes:
    """Cut an RSS/Atom document before its entry number MAX_FEED_ENTRIES + 1 (and close it),
    so a feed of 50,000 entries costs what one of 2,000 does. feedparser reads the rest."""
    starts = _ENTRY_START.finditer(content)
    for n, match in enumerate(starts, 1):
        if n > MAX_FEED_ENTRIES:
            log.warning("feed truncated url=%s kept=%d", base_url, MAX_FEED_ENTRIES)
            return content[: match.start()] + _CLOSERS.get(kind or "rss", b"")
    return content


def parse_feed(content: bytes, base_url: str) -> Feed:
    """Parse a feed's bytes. Raises :class:`ContentError` for unsafe XML or what is not a feed.

    Only the first :data:`MAX_FEED_ENTRIES` entries are read."""
    kind_sniffed = sniff_feed_kind(content)
    if kind_sniffed == "json":
        return _parse_json_feed(content, base_url)
    refuse_entities(content, f"feed {base_url}")
    content = _keep_first_entries(content, kind_sniffed, base_url)
    content = _fix_legacy_label(content)
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers={"content-location": base_url},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    version = str(parsed.get("version") or "")
    if not version:
        problem = parsed.get("bozo_exception")
        raise ContentError(
            f"feed {base_url}: not an RSS, Atom or JSON feed"
            + (f" ({_one_line(problem)})" if problem else "")
            + " — check the URL points at the feed itself",
            code="feed:malformed",
        )
    kind: FeedKind = "atom" if version.startswith("atom") else "rss"
    meta = parsed.get("feed", {})
    entries = tuple(_rss_entry(e, base_url) for e in parsed.entries)
    return Feed(
        kind=kind,
        url=base_url,
        title=_clean(meta.get("title")),
        link=_abs(meta.get("link"), base_url),
        ttl=_ttl(meta),
        updated=_struct_time(_get(meta, "updated_parsed")),
        entries=entries,
    )


def _get(d: Any, key: str) -> Any:
    # dict.get sidesteps FeedParserDict's key aliases (and their deprecation warnings)
    return dict.get(d, key)


def _rss_entry(e: Any, base_url: str) -> FeedEntry:
    link = _get(e, "link")
    if not link:
        for candidate in _get(e, "links") or ():
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    guid = _get(e, "id") or None
    if not link and guid and urlsplit(str(guid)).scheme in ("http", "https"):
        link = guid  # RSS <guid isPermaLink="true"> without <link>
    authors = tuple(
        name for a in (_get(e, "authors") or ()) if (name := _clean(a.get("name") if hasattr(a, "get") else None))
    )
    if not authors and _get(e, "author"):
        authors = (str(_get(e, "author")).strip(),)
    return FeedEntry(
        guid=str(guid).strip() if guid else None,
        link=_abs(link, base_url),
        title=_clean(_get(e, "title")),
        # RSS 1.0's dc:date (and a lone Atom <updated>) arrive as "updated" only: use it as
        # the publication date too rather than leave it empty
        published=_struct_time(_get(e, "published_parsed") or _get(e, "updated_parsed")),
        updated=_struct_time(_get(e, "updated_parsed")),
        summary=_clean(_get(e, "summary")),
        authors=authors,
    )


_SY_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}


def _ttl(meta: Any) -> int | None:
    raw = _get(meta, "ttl")
    if raw is not None:
        try:
            value = int(str(raw).strip())
        except ValueError:
            return None
        return value if value > 0 else None
    period = _get(meta, "sy_updateperiod")
    if period:
        minutes = _SY_PERIOD_MINUTES.get(str(period).strip().lower())
        try:
            freq = max(1, int(str(_get(meta, "sy_updatefrequency") or "1").strip()))
        except ValueError:
            freq = 1
        if minutes:
            return max(1, minutes // freq)
    return None


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _abs(link: Any, base_url: str) -> str | None:
    if not link or not isinstance(link, str):
        return None
    try:
        url = urljoin(base_url, link.strip())
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:200]


def parse_iso_datetime(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 text -> aware UTC datetime (naive means UTC); None when unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        for fmt in ("%Y-%m", "%Y"):
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            try:
                dt = parsedate_to_datetime(text)  # RFC 822, as some JSON feeds use
            except (TypeError, ValueError, IndexError):
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _parse_json_feed(content: bytes, base_url: str) -> Feed:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ContentError(
            f"feed {base_url}: not valid JSON ({_one_line(exc)}) — JSON Feed must be UTF-8 JSON",
            code="feed:malformed",
        ) from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise ContentError(
            f"feed {base_url}: JSON without a jsonfeed.org 'version' — not a JSON Feed",
            code="feed:malformed",
        )
    items = data.get("items")
    entries: list[FeedEntry] = []
    for item in items[:MAX_FEED_ENTRIES] if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        authors_raw = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        authors = tuple(
            name for a in authors_raw if isinstance(a, dict) and (name := _clean(a.get("name")))
        )
        summary = item.get("summary") or item.get("content_text") or item.get("content_html")
        guid = item.get("id")
        entries.append(
            FeedEntry(
                guid=str(guid).strip() if guid not in (None, "") else None,
                link=_abs(link, base_url),
                title=_clean(item.get("title")),
                published=parse_iso_datetime(item.get("date_published")),
                updated=parse_iso_datetime(item.get("date_modified")),
                summary=_clean(summary) if isinstance(summary, str) else None,
                authors=authors,
            )
        )
    return Feed(
        kind="json",
        url=base_url,
        title=_clean(data.get("title")),
        link=_abs(data.get("home_page_url"), base_url),
        ttl=None,
        updated=None,
        entries=tuple(entries),
    )

