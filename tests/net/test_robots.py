"""robots.txt past the size limit is parsed up to the limit (RFC 9309 §2.5), not ignored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from scraper.fixtureweb import FixtureWeb
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.net.robots import MAX_ROBOTS_BYTES, RobotsCache
from scraper.settings import Settings

SETTINGS = Settings(allow_private=True, retries=0)


@pytest.fixture()
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as w:
        yield w


def _huge_robots(rule: bytes) -> bytes:
    filler = b"# " + b"x" * 200 + b"\n"
    return b"User-agent: *\n" + rule + filler * (3 * MAX_ROBOTS_BYTES // len(filler))


@pytest.mark.parametrize("gzip", [False, True])
def test_oversized_robots_is_parsed_up_to_the_limit(web: FixtureWeb, gzip: bool) -> None:
    web.put("/robots.txt", _huge_robots(b"Disallow: /secret/\n"), content_type="text/plain", gzip=gzip)
    with make_client(SETTINGS) as client:
        cache = RobotsCache(client)
        allowed, _delay, status = cache.check(web.url("/secret/page"), SETTINGS)
        assert not allowed
        assert cache.check(web.url("/open/page"), SETTINGS)[0]
        assert status != "missing"
        assert [a.error for a in cache.take_attempts()] == [None]


def test_rules_past_the_limit_are_not_read(web: FixtureWeb) -> None:
    body = _huge_robots(b"") + b"Disallow: /late/\n"
    web.put("/robots.txt", body, content_type="text/plain")
    with make_client(SETTINGS) as client:
        assert RobotsCache(client).check(web.url("/late/page"), SETTINGS)[0]


def test_fetch_truncate_cuts_at_the_limit_and_says_so(web: FixtureWeb) -> None:
    web.put("/big.txt", b"a" * 5000, content_type="text/plain")
    conf = replace(SETTINGS, max_bytes=1000)
    with make_client(conf) as client:
        result = fetch(client, web.url("/big.txt"), conf, truncate=True)
        assert (len(result.content), result.truncated) == (1000, True)
        small = fetch(client, web.url("/big.txt"), replace(conf, max_bytes=10_000), truncate=True)
        assert (len(small.content), small.truncated) == (5000, False)
