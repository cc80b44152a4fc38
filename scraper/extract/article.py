"""extract_article: the bytes of one page -> an :class:`~scraper.models.Article`.

    bytes --decode_html--> str --parse_document--> Document --extract_metadata--> Metadata
                                                            --extract_body-----> Body
          Document + Body.text --paywall.verdict.assess--> verdict, text without the notice
          verdict full + under MIN_ARTICLE_LETTERS of text --> ContentError extract:no-article

The page is decoded once (WHATWG order, see :mod:`scraper.decode`) and parsed once; metadata,
source rules and paywall signals all read the same :class:`Document`.

Only articles are articles: a page the paywall verdict calls ``full`` whose text, once the lines
that are only a link's text or the page's title are set aside, holds fewer than
``MIN_ARTICLE_LETTERS`` letters (an empty page, a home page or menu that is all headlines and
links) raises :class:`~scraper.errors.ContentError` ``extract:no-article`` rather than becoming
a ``full`` article with no text. Letters, not words, because Chinese and Japanese are written
without spaces (a 1,100-character Japanese article is 11 "words"). A ``truncated`` or ``locked``
page keeps its verdict however short its text: a paywall may leave nothing but a notice.
"""

from __future__ import annotations

import re

from scraper.decode import clean_text, decode_html
from scraper.errors import ContentError
from scraper.extract.body import extract_body, node_text
from scraper.extract.document import MAX_DEPTH, Document, nesting_depth, parse_document
from scraper.extract.words import count_words
from scraper.extract.metadata import Metadata, extract_metadata, parse_date
from scraper.models import Article, SourceRules
from scraper.paywall.verdict import assess

__all__ = ["MIN_ARTICLE_LETTERS", "NO_ARTICLE_CODE", "article_letters", "extract_article",
           "sniff_not_html"]

NO_ARTICLE_CODE = "extract:no-article"
# About 10 English words. The shortest real pages of ../shared/corpora (trafilatura's evaluation
# set: a 10-word Instagram post page, 19-27-word blog notes) have 75+ letters; empty and
# navigation-only pages have 0-20 once link lines are set aside.
MIN_ARTICLE_LETTERS = 50
# texts longer than this are articles without looking at the page's links (keeps the check off
# the hot path: only short texts pay for collecting the page's link texts)
_LINK_CHECK_WORDS = 300

# Magic numbers of formats that are never an HTML article.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"RIFF", "a RIFF file (WebP, WAV, AVI)"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"OggS", "an Ogg file"),
    (b"ID3", "an MP3 file"),
    (b"\x7fELF", "an executable"),
)
# Evidence of a wall drawn in the page itself (not the articleBody being longer than the page's
# text, which is why the articleBody was taken in the first place).
_WALL_IN_PAGE = ("notice:", "rules:", "dom:vendor:", "dom:paywall-box", "dom:hidden-rest",
                 "dom:blurred-rest", "css:reduced-paragraph", "dom:login-form")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def sniff_not_html(content: bytes) -> str | None:
    """What ``content`` is when it is clearly not HTML (a short description), else None."""
    head = content[:512]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[4:12] in (b"ftypisom", b"ftypmp42", b"ftypavif", b"ftypheic") or head[4:8] == b"ftyp":
        return "an MP4/ISO media file"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text: NULs are expected
        return None
    sample = content[:4096]
    if sample and sample.count(0) > max(8, len(sample) // 20):
        return "binary data (many NUL bytes)"
    if sample and len(sample.translate(None, _TEXT_BYTES)) > max(8, len(sample) // 20):
        return "binary data (many control bytes)"
    return None


# Bytes of text: all but the C0 controls other than tab, LF, FF, CR and ESC (ISO-2022-JP).
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))


def extract_article(
    html: bytes,
    url: str | None = None,
    content_type: str | None = None,
    *,
    rules: SourceRules | None = None,
) -> Article:
    """Extract the article in ``html`` (the raw response body).

    ``url`` is the final URL (it resolves relative links and is the canonical URL of last
    resort), ``content_type`` the HTTP ``Content-Type`` header (its charset is honoured, see
    :func:`scraper.decode.decode_html`), ``rules`` what the page's source declares. Raises
    :class:`~scraper.errors.ContentError` for bytes that are clearly not HTML.
    """
    if not isinstance(html, bytes):
        raise TypeError(f"extract_article() takes the page as bytes, not {type(html).__name__}")
    what = sniff_not_html(html)
    if what is not None:
        where = f" at {url}" if url else ""
        raise ContentError(
            f"the response{where} is {what}, not an HTML page; nothing to extract",
            code="content:not-html",
        )
    # Every element counted by nesting_depth opens with its own "<": a page with fewer than
    # MAX_DEPTH of them cannot be that deep, and the C-speed count spares ~97% of real pages
    # the tag-by-tag scan (1.5-2.5 ms on a 200 KB page).
    if html.count(b"<") >= MAX_DEPTH and nesting_depth(html) >= MAX_DEPTH:
        raise ContentError(
            f"the page{f' at {url}' if url else ''} nests its elements {MAX_DEPTH}+ levels deep; "
            "refused (no real page does; it would stall the HTML parser)",
            code="content:too-deep",
        )
    decoded = decode_html(html, content_type, override=rules.encoding if rules else None)
    doc = parse_document(decoded.text, url, utf8=decoded.utf8)
    meta = _apply_rules(extract_metadata(doc, url), doc, rules)
    body = extract_body(doc, rules)
    verdict, text = assess(
        doc, body.text, rules=rules, description=meta.description, body_node=body.node
    )
    extractor = body.extractor
    if body.shown is not None:
        # The page's JSON-LD holds a longer articleBody than it shows. When what it shows is
        # walled (a teaser and a notice), the reader gets the teaser: that is the text, and the
        # articleBody stays in the raw response (we do not bypass walls).
        shown_verdict, shown_text = assess(
            doc, body.shown, rules=rules, description=meta.description, body_node=body.node
        )
        if shown_verdict.access != "full" and any(
                s.weight > 0 and s.name.startswith(_WALL_IN_PAGE) for s in shown_verdict.signals):
            verdict, text, extractor = shown_verdict, shown_text, "trafilatura"
    text = _final_text(text)
    if verdict.access == "full":
        letters = article_letters(text, doc, meta.title, meta.site_name)
        if letters < MIN_ARTICLE_LETTERS:
            where = f" at {url}" if url else ""
            raise ContentError(
                f"no article text{where}: {letters} letter(s) outside links and the title "
                f"(an article has at least {MIN_ARTICLE_LETTERS}); an empty page, a home page or "
                "an index is not archived",
                code=NO_ARTICLE_CODE,
            )
    return Article(
        text=text,
        title=meta.title,
        authors=meta.authors,
        published_at=meta.published_at,
        modified_at=meta.modified_at,
        language=meta.language or (rules.language if rules else None),
        section=meta.section,
        tags=meta.tags,
        description=meta.description,
        image=meta.image,
        site_name=meta.site_name,
        canonical_url=meta.canonical_url,
        word_count=count_words(text),
        access=verdict.access,
        paywall_declared=verdict.declared,
        paywall_confidence=verdict.confidence,
        paywall_signals=tuple(s.name for s in verdict.signals),
        paywall_notice=verdict.notice,
        paywall_model=verdict.model,
        paywall_evidence=verdict.signals,
        extractor=extractor,
        rules_version=body.rules_version,
        encoding=decoded.encoding,
    )


def article_letters(text: str, doc: Document | None = None, *names: str | None) -> int:
    """Letters of ``text`` outside lines that are only the text of one of ``doc``'s links or one
    of ``names`` (title, site name): what is left of a page once its navigation is set aside.
    A text of more than ``_LINK_CHECK_WORDS`` words is counted whole."""
    letters = sum(1 for ch in text if ch.isalpha())
    if doc is None or not letters or len(text.split()) > _LINK_CHECK_WORDS:
        return letters
    labels = {_squash(name) for name in names if name}
    labels.update(_squash(node.text(deep=True) or "") for node in doc.css("a"))
    labels.discard("")
    return sum(
        sum(1 for ch in line if ch.isalpha())
        for line in text.splitlines()
        if _squash(line) not in labels
    )


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _final_text(text: str) -> str:
    text = clean_text(_ZERO_WIDTH.sub("", text))  # NFC
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _apply_rules(meta: Metadata, doc: Document, rules: SourceRules | None) -> Metadata:
    """A source's title/authors/date selectors win over the page's metadata when they match."""
    if rules is None:
        return meta
    from dataclasses import replace

    title = _rule_text(doc, rules.title)
    authors = _rule_texts(doc, rules.authors)
    date = _rule_date(doc, rules.date)
    return replace(
        meta,
        title=title or meta.title,
        authors=authors or meta.authors,
        published_at=date or meta.published_at,
    )


def _rule_text(doc: Document, selectors: tuple[str, ...]) -> str | None:
    for selector in selectors:
        node = doc.css_first(selector)
        if node is not None:
            text = " ".join(node_text(node).split())
            if text:
                return text
    return None


def _rule_texts(doc: Document, selectors: tuple[str, ...]) -> tuple[str, ...]:
    for selector in selectors:
        names: list[str] = []
        for node in doc.css(selector):
            name = node.attributes.get("content") or " ".join((node.text(deep=True) or "").split())
            if name and name not in names:
                names.append(name)
        if names:
            return tuple(names)
    return ()


def _rule_date(doc: Document, selectors: tuple[str, ...]) -> str | None:
    for selector in selectors:
        node = doc.css_first(selector)
        if node is None:
            continue
        attrs = node.attributes
        for raw in (attrs.get("datetime"), attrs.get("content"), node.text(deep=True)):
            parsed = parse_date(raw)
            if parsed:
                return parsed
    return None
