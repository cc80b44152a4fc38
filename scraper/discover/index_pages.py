"""Index pages: the article links a section page lists, picked by a CSS selector."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from scraper.decode import decode_html
from scraper.errors import ConfigError

__all__ = ["absolute_links", "links_from_index", "links_from_page"]


def _normalise(href: str, base_url: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        parts = urlsplit(urljoin(base_url, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def absolute_links(tree: LexborHTMLParser, base_url: str, selector: str = "a[href]") -> list[str]:
    """Absolute http(s) URLs of the ``href`` of nodes matching ``selector`` (or of an ``<a>``
    inside them), fragments dropped, first occurrence order, no duplicates. ``<base href>`` is
    honoured."""
    base_node = tree.css_first("base[href]")
    if base_node is not None and base_node.attributes.get("href"):
        base_url = urljoin(base_url, base_node.attributes["href"] or "")
    try:
        nodes = tree.css(selector)
    except Exception:
        raise ConfigError(
            f"bad CSS selector {selector!r} — lexbor could not parse it", code="config:selector"
        ) from None
    out: list[str] = []
    seen: set[str] = set()
    for node in nodes:
        href = node.attributes.get("href")
        if href is None and node.tag != "a":
            inner = node.css_first("a[href]")
            href = inner.attributes.get("href") if inner is not None else None
        url = _normalise(href, base_url) if href else None
        if url and url not in seen:
            seen.add(url)
            out.append(url)
    return out


def links_from_page(content: bytes, content_type: str | None, base_url: str, selector: str) -> list[str]:
    """:func:`links_from_index` of a page as fetched: its bytes decoded in WHATWG order."""
    return links_from_index(decode_html(content, content_type).text, base_url, selector)


def links_from_index(html: str, base_url: str, selector: str) -> list[str]:
    """The links an index page lists under ``selector`` (e.g. ``"h2.title a"``)."""
    return absolute_links(LexborHTMLParser(html), base_url, selector)
