"""Records passed between the layers. Frozen dataclasses, no behaviour beyond conversion."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Access = Literal["full", "truncated", "locked"]
ACCESS_VALUES: tuple[str, ...] = ("full", "truncated", "locked")


@dataclass(frozen=True)
class FetchAttempt:
    """One HTTP attempt, as logged in the archive's ``fetches`` table."""

    url: str
    final_url: str | None
    status: int | None
    bytes: int
    duration_ms: float
    error: str | None  # stable code such as "http:503", "net:timeout"; None on success
    error_detail: str | None
    fetched_at: datetime
    attempt: int = 1
    source: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) response with its body read within the limits."""

    url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]  # as received, lower-cased names
    content: bytes  # decompressed body
    fetched_at: datetime
    elapsed_ms: float
    attempts: tuple[FetchAttempt, ...] = ()
    truncated: bool = False  # the body was cut at the size limit (only when fetch(truncate=True))

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")


@dataclass(frozen=True)
class Signal:
    """One piece of paywall evidence. ``name`` is a stable ``family:detail`` string."""

    name: str  # e.g. "notice:meaning", "jsonld:isAccessibleForFree=false"
    detail: str = ""  # human-readable evidence (the matched text, the counts)
    weight: float = 0.0  # contribution to the truncation score (negative: evidence of full text)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "detail": self.detail, "weight": self.weight}


@dataclass(frozen=True)
class PaywallVerdict:
    access: Access = "full"
    declared: bool | None = None
    confidence: float = 0.0
    signals: tuple[Signal, ...] = ()
    notice: str | None = None
    expected_fraction: float | None = None  # share of the article served, when a notice says so
    model: str | None = None  # hard | metered | registration | freemium, when the page says


@dataclass(frozen=True)
class SourceRules:
    """What a source declares about its pages, as plain data (extraction never imports sources/)."""

    name: str
    rules_version: str = "1"
    language: str | None = None
    body: tuple[str, ...] = ()  # CSS selectors, first match wins
    title: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()  # selectors removed from the body before text is taken
    notice_phrases: tuple[str, ...] = ()  # regexes (case-insensitive, NFC) meaning "rest is paid"
    paywall_boxes: tuple[str, ...] = ()  # CSS selectors of paywall boxes
    paid_url_patterns: tuple[str, ...] = ()  # regexes on the URL meaning "paid article"
    declares_all_paid: bool = False
    encoding: str | None = None  # label to force when the site's own labels lie


@dataclass(frozen=True)
class Article:
    """The public result of :func:`scraper.extract_article`."""

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # ISO 8601 with time zone
    modified_at: str | None = None
    language: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    image: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    word_count: int = 0
    access: Access = "full"
    paywall_declared: bool | None = None
    paywall_confidence: float = 0.0
    paywall_signals: tuple[str, ...] = ()
    paywall_notice: str | None = None
    paywall_model: str | None = None  # hard | metered | registration | freemium, or None
    paywall_evidence: tuple[Signal, ...] = field(default=(), repr=False)
    extractor: str = "trafilatura"  # "trafilatura" or "rules:<source>"
    rules_version: str | None = None
    encoding: str | None = None  # the encoding the bytes were decoded with

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "paywall_evidence":
                value = [s.to_dict() for s in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class Capture:
    """What the pipeline hands to the archive: one fetched page and what was extracted from it."""

    url: str  # the URL asked for
    article: Article
    fetched_at: datetime
    source: str | None = None
    response: FetchResult | None = None  # raw bytes and headers, kept for re-extraction
    article_key: str | None = None  # a source's stable id (e.g. developpez:363891), else None
    content_hash: str | None = None  # archive.store.content_hash(article.text), when computed at
    # extraction time (in the worker processes) so the single writer does not have to


@dataclass(frozen=True)
class Skip:
    """Why a URL was not fetched (``reason``: 'already-archived', 'robots-disallowed', …)."""

    url: str
    reason: str
    at: datetime
    source: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class FeedState:
    """One row of ``feeds``: a feed, sitemap or index page and how it answered last time.

    The poller's record (``scraper.conditional`` moves it from one poll to the next); the
    archive only saves and loads it."""

    feed_url: str
    source: str | None
    kind: str = "feed"  # feed | sitemap | index
    etag: str | None = None
    last_modified: str | None = None
    validators_stale: bool = False
    body_sha256: str | None = None
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    interval_seconds: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    entries_seen: int = 0
    not_modified_streak: int = 0
    polls: int = 0
    not_modified: int = 0
    errors: int = 0


@dataclass(frozen=True)
class PollRow:
    """One ``polls`` row, as the poller counted it. The article counts (new, updated,
    unchanged) are not here: the archive counts them from what it stored for the poll."""

    source: str
    started_at: datetime
    finished_at: datetime
    feeds: int = 0
    errors: int = 0
    skipped: int = 0
    not_modified: int = 0
    rechecked: int = 0
