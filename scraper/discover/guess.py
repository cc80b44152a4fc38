"""``scraper discover URL``: from a home page, a ready-to-paste ``sources.yaml`` entry.

Feeds come from ``<link rel="alternate">``, sitemaps from robots.txt, and the article URL pattern
from the links the page (and its first feeds) list: each URL path is reduced to a shape
(``/actu/<num>/<slug>/``, ``/<yyyy>/<mm>/<dd>/<slug>``) and the most common shape that carries a
number, a date or a slug wins. Fetching is injected (``fetch(url) -> bytes | None``) so this runs
offline in tests; the CLI wires the real client.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser

from scraper.decode import decode_html
from scraper.discover.feeds import parse_feed
from scraper.discover.index_pages import absolute_links
from scraper.discover.sitemaps import parse_sitemap, robots_sitemaps
from scraper.errors import ScraperError

__all__ = ["ArticlePattern", "discover", "find_feed_links", "guess_article_pattern", "render_entry"]

Fetch = Callable[[str], bytes | None]

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/rdf+xml": "rss",
}
_MAX_FEEDS_READ = 3
_SLUG_SEGMENT = re.compile(r"[-_]")


@dataclass(frozen=True)
class ArticlePattern:
    include: str  # regex for article_url.include
    article_id: str | None  # regex with one group, when the shape carries a numeric id
    matched: int  # how many sample links have this shape
    samples: tuple[str, ...]


def _decode(content: bytes) -> str:
    """Bytes -> text the WHATWG way (BOM, <meta> prescan, detection), as pages are decoded."""
    return decode_html(content).text


def find_feed_links(tree: LexborHTMLParser, base_url: str) -> list[dict[str, str]]:
    """``[{url, kind}]`` for each ``<link rel="alternate">`` to an RSS, Atom or JSON feed."""
    out: list[dict[str, str]] = []
    for node in tree.css("link[href]"):
        attrs = node.attributes
        rel = (attrs.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((attrs.get("type") or "").split(";")[0].strip().lower())
        if "alternate" not in rel or kind is None:
            continue
        url = urljoin(base_url, (attrs.get("href") or "").strip())
        if urlsplit(url).scheme in ("http", "https") and all(f["url"] != url for f in out):
            out.append({"url": url, "kind": kind})
    return out


def _site_domain(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") and host.count(".") >= 2 else host


def _tokens(path: str) -> list[tuple[str, str]]:
    """(kind, segment) per path segment: Y year, M/D month/day, N number, S slug, L literal."""
    out: list[tuple[str, str]] = []
    for seg in [s for s in path.split("/") if s]:
        prev = out[-1][0] if out else ""
        if seg.isdigit():
            if len(seg) == 4 and 1990 <= int(seg) <= 2099:
                kind = "Y"
            elif len(seg) <= 2 and prev == "Y" and 1 <= int(seg) <= 12:
                kind = "M"
            elif len(seg) <= 2 and prev == "M" and 1 <= int(seg) <= 31:
                kind = "D"
            else:
                kind = "N"
        elif (_SLUG_SEGMENT.search(seg) and len(seg) >= 12) or re.search(r"\.(?:s?html?|php|aspx?)$", seg):
            kind = "S"
        else:
            kind = "L"
        out.append((kind, seg))
    return out


_TOKEN_REGEX = {"Y": r"\d{4}", "M": r"\d{2}", "D": r"\d{2}", "N": r"\d+", "S": r"[^/]+"}


def guess_article_pattern(urls: Sequence[str], site_domain: str) -> ArticlePattern | None:
    """The article URL pattern behind ``urls`` (links on the site), or None when no shape with a
    number, date or slug repeats."""
    groups: dict[tuple[str, ...], list[tuple[str, list[tuple[str, str]], str]]] = defaultdict(list)
    for url in dict.fromkeys(urls):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not (host == site_domain or host.endswith("." + site_domain)):
            continue
        toks = _tokens(parts.path)
        shape = tuple(k for k, _ in toks)
        if any(k in "YNS" for k in shape):
            groups[shape].append((url, toks, host))

    def score(item: tuple[tuple[str, ...], list[object]]) -> tuple[int, int]:
        shape, members = item
        strong = any(k in "YN" for k in shape)
        return (len(members) * (2 if strong else 1), len(shape))

    ranked = sorted(((s, m) for s, m in groups.items() if len(m) >= 2), key=score, reverse=True)
    if not ranked:
        return None
    shape, members = ranked[0]
    # cut the trailing slugs: the pattern ends at the last number/date/literal
    cut = max((i for i, k in enumerate(shape) if k != "S"), default=-1) + 1
    if cut == 0:
        cut = 1  # a bare slug: keep it so the pattern says "one slug segment"
    pieces: list[str] = []
    id_index = next((i for i, k in enumerate(shape[:cut]) if k == "N"), None)
    for i in range(cut):
        values = {toks[i][1] for _, toks, _ in members}
        if shape[i] == "L":
            pieces.append(re.escape(values.pop()) if len(values) == 1 else r"[^/]+")
        else:
            pieces.append(_TOKEN_REGEX[shape[i]])
    # what follows the last kept segment in every sample: "/" when always, else a boundary
    def rest_after_cut(url: str) -> str:
        path = urlsplit(url).path
        segs = [seg for seg in path.split("/") if seg]
        prefix = "/" + "/".join(segs[:cut])
        return path[len(prefix):] if path.startswith(prefix) else ""

    always_slash = all(rest_after_cut(url).startswith("/") for url, _, _ in members)
    tail = "/" if always_slash else r"(?:[/?#.]|$)"
    hosts = {h for _, _, h in members}
    if len(hosts) == 1:
        host_re = re.escape(hosts.pop())
    else:
        host_re = r"(?:[a-z0-9-]+\.)?" + re.escape(site_domain)
        if all(h != site_domain for h in hosts):
            host_re = r"[a-z0-9-]+\." + re.escape(site_domain)
    ports = {urlsplit(url).port for url, _, _ in members}
    if ports != {None}:  # a site on an explicit port (a local test server): keep it in the pattern
        host_re += ":" + str(ports.pop()) if len(ports) == 1 else r"(?::\d+)?"
    include = "^https?://" + host_re + "/" + "/".join(pieces) + tail
    article_id = None
    if id_index is not None:
        prefix = [pieces[i] for i in range(id_index)]
        after = "/" if id_index + 1 < cut else tail
        article_id = "/" + "".join(p + "/" for p in prefix) + r"(\d+)" + after
    return ArticlePattern(include, article_id, len(members), tuple(u for u, _, _ in members[:5]))


def _name_for(domain: str) -> str:
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "net", "gov", "ac", "gouv"}:
        labels = labels[:-2]
    elif len(labels) >= 2:
        labels = labels[:-1]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(labels).lower()).strip("-")
    return slug[:63].strip("-") or "source"


def render_entry(entry: dict[str, object], comment: str = "") -> str:
    """A ``sources:`` list item as YAML text, ready to paste under ``sources:``."""
    body = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    lines = [f"  {line}" if line else line for line in body.splitlines()]
    head = [f"  # {c}" for c in comment.splitlines()] if comment else []
    return "\n".join(head + lines) + "\n"


def _safe_fetch(fetch: Fetch, url: str, notes: list[str]) -> bytes | None:
    try:
        return fetch(url)
    except ScraperError as exc:
        notes.append(f"{url}: {exc}")
        return None


def discover(homepage_url: str, fetch: Fetch) -> dict[str, object]:
    """Look at a home page and propose a source. Returns ``{name, domain, language, feeds,
    sitemaps, article_pattern, samples, notes, entry, yaml}``; ``yaml`` passes
    :func:`scraper.sources.config.load_sources_text` once placed under ``sources:``."""
    from scraper.sources.config import load_sources_text

    notes: list[str] = []
    parts = urlsplit(homepage_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        from scraper.errors import UsageError

        raise UsageError(f"not an http(s) URL: {homepage_url!r} — give the site's home page, e.g. https://example.com/")
    host = parts.hostname.lower()
    domain = _site_domain(host)
    origin = f"{parts.scheme}://{parts.netloc}"
    page = _safe_fetch(fetch, homepage_url, notes)
    if page is None:
        notes.append("home page not fetched: nothing to learn links from")
    tree = LexborHTMLParser(_decode(page or b""))
    feeds = find_feed_links(tree, homepage_url)
    language = None
    html_node = tree.css_first("html")
    if html_node is not None and html_node.attributes.get("lang"):
        lang = (html_node.attributes.get("lang") or "").strip().replace("_", "-")
        head, _, rest = lang.partition("-")
        lang = head.lower() + ("-" + rest if rest else "")
        language = lang if re.match(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$", lang) else None

    links = absolute_links(tree, homepage_url)
    for feed in feeds[:_MAX_FEEDS_READ]:
        body = _safe_fetch(fetch, feed["url"], notes)
        if body is None:
            continue
        try:
            parsed = parse_feed(body, feed["url"])
        except ScraperError as exc:
            notes.append(f"feed {feed['url']} unreadable: {exc}")
            continue
        links.extend(e.link for e in parsed.entries if e.link)

    sitemaps: list[dict[str, object]] = []
    robots = _safe_fetch(fetch, origin + "/robots.txt", notes)
    for url in robots_sitemaps(_decode(robots), origin + "/robots.txt") if robots else []:
        sitemaps.append({"url": url})
    for sm in sitemaps:
        body = _safe_fetch(fetch, str(sm["url"]), notes)
        if body is None:
            continue
        try:
            parsed_sm = parse_sitemap(body, str(sm["url"]))
        except ScraperError as exc:
            notes.append(f"sitemap {sm['url']} unreadable: {exc}")
            continue
        if parsed_sm.is_news or "news" in str(sm["url"]).lower() and parsed_sm.kind == "urlset":
            sm["google_news"] = bool(parsed_sm.is_news)
        links.extend(u.loc for u in parsed_sm.urls[:500])

    pattern = guess_article_pattern(links, domain)
    if pattern is None:
        notes.append("no article URL pattern found: add article_url.include by hand")

    entry: dict[str, object] = {"name": _name_for(domain), "domains": [domain]}
    if language:
        entry["language"] = language
    if feeds:
        entry["feeds"] = [f["url"] if f["kind"] == "rss" else {"url": f["url"], "kind": f["kind"]} for f in feeds]
    if sitemaps:
        entry["sitemaps"] = [s["url"] if not s.get("google_news") else s for s in sitemaps]
    if not feeds and not sitemaps:
        entry["index_pages"] = [{"url": homepage_url, "link_selector": "a[href]"}]
    if pattern is not None:
        entry["article_url"] = {"include": [pattern.include]}
        if pattern.article_id:
            entry["article_id"] = pattern.article_id
    entry["poll_interval"] = "15m"
    entry["rules_version"] = "1"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    comment = (
        f"discovered from {homepage_url} on {stamp}; add extraction and paywall rules by hand\n"
        "(see the header of sources.yaml), then run `scraper sources check`"
    )
    text = render_entry(entry, comment)
    load_sources_text("sources:\n" + text, "<discover>")  # a ConfigError here is our bug
    return {
        "name": entry["name"],
        "domain": domain,
        "language": language,
        "feeds": feeds,
        "sitemaps": sitemaps,
        "article_pattern": pattern.include if pattern else None,
        "article_id": pattern.article_id if pattern else None,
        "samples": list(pattern.samples) if pattern else [],
        "notes": notes,
        "entry": entry,
        "yaml": text,
    }
