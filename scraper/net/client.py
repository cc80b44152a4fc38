"""The one shared HTTP client: our User-Agent, timeouts, no automatic redirects.

Redirects are followed by :func:`scraper.net.fetch.fetch`, hop by hop, so each hop's scheme and
address can be checked. Bodies are decompressed by fetch() too, with an output limit, so the
client asks for compressed bodies but never decodes them itself.
"""

from __future__ import annotations

import httpx

from scraper.settings import Settings

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate, br"


def make_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )


def make_client(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One client per process (or per daemon), shared by every fetch; close it when done.

    ``transport`` is for tests (``httpx.MockTransport``)."""
    return httpx.Client(
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept-Language": "fr,en;q=0.8",
        },
        timeout=make_timeout(settings),
        follow_redirects=False,
        http1=True,
        http2=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30),
        trust_env=False,  # proxies and netrc from the environment would bypass the SSRF check
        transport=transport,
    )
