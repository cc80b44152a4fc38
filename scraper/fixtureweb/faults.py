"""Hostile endpoints of the fixture web, under ``/_/`` beside those of :mod:`.server`.

Every body is built on demand and streamed; the 2 GB body is never held in memory (it is
generated chunk by chunk while the client reads). Query parameters in brackets::

    /_/huge[?bytes=2147483648][&length=1]  a 2 GiB HTML-ish body streamed lazily (with a
                                           Content-Length if length=1, else read to close)
    /_/slowheaders[?delay=0.2][&n=60]      status line, then one header line every `delay` s,
                                           so no single read waits long (defeats read timeouts)
    /_/pdf                                 a PDF document served as text/html
    /_/binary[?bytes=20000]                random bytes (fixed seed) served as text/html
    /_/badutf8                             an article with invalid UTF-8 under charset=utf-8
    /_/nested[?depth=100000]               <div> nested `depth` levels deep
    /_/malformed                           tag soup: unclosed, misnested, broken references
    /_/empty                               200 text/html with an empty body
    /_/notxml                              an HTML page served as application/rss+xml
    /_/laughs                              billion-laughs XML (nested entity expansion)
    /_/xxe                                 an RSS feed with an external entity (file:///etc/passwd)
    /_/selfindex                           a sitemap index that lists itself
    /_/bigfeed[?n=50000]                   an RSS feed with `n` entries
    /_/burst[?codes=500,502,503]           those statuses in turn, then a 200 article
                                           (counter per path+query: add &key=… for your own)
    /_/echoheaders                         an article whose response headers reflect the
                                           request's Cookie and Authorization (as X-Echo-*)
    /_/robots/huge[?mb=16], /_/robots/binary   robots.txt bodies (also as functions, to put()
                                           at /robots.txt of a fixture web of its own)

Bodies are also importable (``article_html``, ``huge_robots``…) for tests that ``put`` them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from scraper.fixtureweb.server import _Handler

HTML = "text/html; charset=utf-8"
GIB2 = 2 * 1024 * 1024 * 1024


def article_html(title: str, paragraphs: int = 6, *, slug: str = "article") -> str:
    """A small, well-formed news article page (enough words for an extractor)."""
    body = "".join(
        f"<p>{title}: paragraph {i} tells the story of {slug} with enough ordinary words to be "
        f"kept by any extractor, sentence after sentence, as news articles do.</p>\n"
        for i in range(1, paragraphs + 1)
    )
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        f"<meta property=\"og:title\" content=\"{escape(title)}\">"
        "<meta property=\"article:published_time\" content=\"2024-06-12T08:00:00Z\">"
        f"</head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>\n"
    )


def rss_of(links: list[str], title: str = "links") -> bytes:
    """A small RSS 2.0 feed whose entries link to ``links``."""
    items = "".join(f"<item><title>Entry {i}</title><link>{escape(link)}</link>"
                    f"<guid>{escape(link)}</guid></item>" for i, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title>{items}</channel></rss>").encode()


def huge_chunks(n: int) -> Iterator[bytes]:
    line = b"<p>huge body filler, streamed lazily and never held whole in memory.</p>\n"
    block = line * (65536 // len(line))
    sent = 0
    while sent < n:
        chunk = block[: n - sent]
        sent += len(chunk)
        yield chunk


def pdf_bytes() -> bytes:
    rng = random.Random(7)
    stream = bytes(rng.getrandbits(8) for _ in range(4000))
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
            b"2 0 obj\n<< /Length 4000 >>\nstream\n" + stream + b"\nendstream\nendobj\n%%EOF\n")


def binary_bytes(n: int = 20000) -> bytes:
    return random.Random(11).randbytes(n)


def bad_utf8_html() -> bytes:
    good = article_html("Invalid UTF-8 survives", slug="bad-utf8").encode()
    return good.replace(b"paragraph 2", b"paragraph \xff\xfe 2 caf\xe9 \xc3\x28 \xed\xa0\x80")


def nested_html(depth: int = 100_000) -> bytes:
    return (b"<!doctype html><html><head><title>deep</title></head><body>" + b"<div>" * depth
            + b"deep text" + b"</div>" * depth + b"</body></html>")


MALFORMED_HTML = (
    b"<html<<head><title>soup</titl><body><p>unclosed <b><i>misnested</b></i>"
    b"<table><tr><td>cell</div></table></td><p>&#xFFFFFFFF; &#0; &bogus; &amp"
    b"<a href=\"javascript:alert(1)\">x</a><img src=x onerror=alert(1)>"
    b"<script>document.write('<p>')</script><<<>>> <!-- never closed"
)


def not_xml_feed() -> bytes:
    return article_html("This is not a feed").encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://127.0.0.1/laughs/1</link></item></channel></rss>
"""

XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><title>xxe</title>
<item><title>&xxe;</title><link>http://127.0.0.1/xxe/1</link><description>&xxe;</description></item>
</channel></rss>
"""

XXE_SITEMAP = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&xxe;</loc></url></urlset>
"""


def self_index(url: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{escape(url)}</loc></sitemap></sitemapindex>\n").encode()


_FEED_CACHE: dict[tuple[int, str], bytes] = {}


def big_feed(n: int = 50_000, base: str = "http://127.0.0.1") -> bytes:
    key = (n, base)
    if key not in _FEED_CACHE:
        items = "".join(
            f"<item><title>Entry {i}</title><link>{base}/bigfeed/{i}/</link>"
            f"<guid>{base}/bigfeed/{i}/</guid><pubDate>Wed, 12 Jun 2024 08:00:00 GMT</pubDate></item>"
            for i in range(n)
        )
        _FEED_CACHE[key] = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                            f"<title>big</title><link>{base}/</link>{items}</channel></rss>").encode()
    return _FEED_CACHE[key]


def huge_robots(mb: int = 16) -> bytes:
    lines = b"".join(b"Disallow: /private/%d/\n" % i for i in range(64))
    head = b"User-agent: *\n"
    return head + lines * (mb * 1024 * 1024 // len(lines) + 1)


def binary_robots() -> bytes:
    return b"\x00\x01\xff\xfeUser-agent\x00: *\nDisallow\xff: /\n" + random.Random(5).randbytes(4096)


# -- the handler side -------------------------------------------------------------------------


def handle(h: _Handler, name: str, q: dict[str, str], head: bool) -> bool:
    """Serve ``/_/<name>`` if it is one of ours; False to let the caller answer 404."""
    if name == "huge":
        n = int(q.get("bytes", str(GIB2)))
        headers: dict[str, str | None] = {"Content-Type": HTML}
        if q.get("length") == "1":
            headers["Content-Length"] = str(n)
        else:
            headers["Content-Length"] = None
            headers["Connection"] = "close"
        h._send(200, b"", headers, head=True)
        if not head:
            for chunk in huge_chunks(n):
                if h.web._stopping.is_set():
                    break
                h.wfile.write(chunk)
        h.close_connection = True
    elif name == "slowheaders":
        delay, n = float(q.get("delay", "0.2")), int(q.get("n", "60"))
        stopping = h.web._stopping
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        for i in range(n):
            if stopping.wait(delay):
                break
            h.wfile.write(b"X-Slow-%d: %s\r\n" % (i, b"y" * 10))
            h.wfile.flush()
        body = article_html("Slow headers").encode()
        h.wfile.write(b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        h.close_connection = True
    elif name == "pdf":
        h._send(200, pdf_bytes(), {"Content-Type": HTML}, head=head)
    elif name == "binary":
        h._send(200, binary_bytes(int(q.get("bytes", "20000"))), {"Content-Type": HTML}, head=head)
    elif name == "badutf8":
        h._send(200, bad_utf8_html(), {"Content-Type": HTML}, head=head)
    elif name == "nested":
        h._send(200, nested_html(int(q.get("depth", "100000"))), {"Content-Type": HTML}, head=head)
    elif name == "malformed":
        h._send(200, MALFORMED_HTML, {"Content-Type": "text/html"}, head=head)
    elif name == "empty":
        h._send(200, b"", {"Content-Type": HTML}, head=head)
    elif name == "notxml":
        h._send(200, not_xml_feed(), {"Content-Type": "application/rss+xml"}, head=head)
    elif name == "laughs":
        h._send(200, BILLION_LAUGHS, {"Content-Type": "application/rss+xml"}, head=head)
    elif name == "xxe":
        body = XXE_SITEMAP if q.get("kind") == "sitemap" else XXE_FEED
        h._send(200, body, {"Content-Type": "application/xml"}, head=head)
    elif name == "selfindex":
        url = f"http://{h.headers.get('Host', '127.0.0.1')}{h.path}"
        h._send(200, self_index(url), {"Content-Type": "application/xml"}, head=head)
    elif name == "bigfeed":
        base = f"http://{h.headers.get('Host', '127.0.0.1')}"
        h._send(200, big_feed(int(q.get("n", "50000")), base),
                {"Content-Type": "application/rss+xml"}, head=head)
    elif name == "burst":
        codes = [int(c) for c in q.get("codes", "500,502,503").split(",") if c.strip()]
        n = h.web._count(h.path)
        if n <= len(codes):
            h._html(codes[n - 1], f"Burst {codes[n - 1]}", head=head)
        else:
            h._send(200, article_html(f"Served after a burst of {len(codes)}").encode(),
                    {"Content-Type": HTML}, head=head)
    elif name == "echoheaders":
        reflected: dict[str, str | None] = {"Content-Type": HTML}
        for header in ("Cookie", "Authorization"):
            value = h.headers.get(header)
            if value is not None:
                reflected[f"X-Echo-{header}"] = value
        if h.headers.get("Cookie"):
            reflected["Set-Cookie"] = h.headers["Cookie"].split(";")[0] + "; Path=/"
        h._send(200, article_html("Echoed headers", slug=q.get("slug", "echo")).encode(),
                reflected, head=head)
    elif name == "robots/huge":
        h._send(200, huge_robots(int(q.get("mb", "16"))), {"Content-Type": "text/plain"}, head=head)
    elif name == "robots/binary":
        h._send(200, binary_robots(), {"Content-Type": "text/plain"}, head=head)
    else:
        return False
    return True
