"""robots.txt per host: fetched once, cached with an expiry, parsed with protego.

RFC 9309 reading of failures: a 4xx (no robots.txt) allows everything; a 5xx or a network
failure means "unreachable" and disallows everything for a short while. A file past
``MAX_ROBOTS_BYTES`` is parsed up to the limit (its last, cut line dropped), as RFC 9309 §2.5
asks of a parser limit of at least 500 KiB. ``Crawl-delay`` is returned for the caller's
politeness slot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
from protego import Protego

from scraper.errors import BlockedURLError, BodyTooLargeError, HTTPStatusError, ScraperError
from scraper.models import FetchAttempt
from scraper.net.fetch import fetch
from scraper.net.politeness import host_of
from scraper.settings import Settings

__all__ = ["MAX_ROBOTS_BYTES", "RobotsCache", "RobotsRules"]

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024
TTL_OK = 24 * 3600.0  # seconds a fetched robots.txt is trusted
TTL_UNREACHABLE = 600.0  # seconds a 5xx / network failure disallows the host


@dataclass(frozen=True)
class RobotsRules:
    host: str
    parser: Protego | None  # None: allow all (no robots.txt)
    expires: float  # clock time
    disallow_all: bool = False  # unreachable
    status: str = "ok"  # ok | missing | unreachable | refused (the host is refused by policy)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        return True if self.parser is None else bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


class RobotsCache:
    def __init__(self, client: httpx.Client, *, clock: Callable[[], float] = time.monotonic,
                 ttl: float = TTL_OK) -> None:
        self.client = client
        self.clock = clock
        self.ttl = ttl
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.attempts: list[FetchAttempt] = []  # robots fetches, for the fetches table

    def rules(self, url: str, settings: Settings, source: str | None = None) -> RobotsRules:
        host = host_of(url)
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            cached = self._rules.get(host)
            if cached is not None and cached.expires > self.clock():
                return cached
            rules = self._fetch(host, settings, source)
            if rules.status != "refused":
                self._rules[host] = rules
            return rules

    def check(self, url: str, settings: Settings, source: str | None = None) -> tuple[bool, float | None, str]:
        """(allowed, crawl delay, robots status) for ``url`` and our User-Agent."""
        rules = self.rules(url, settings, source)
        ua = settings.user_agent
        return rules.allowed(url, ua), rules.crawl_delay(ua), rules.status

    def _fetch(self, host: str, settings: Settings, source: str | None) -> RobotsRules:
        url = f"{host}/robots.txt"
        conf = replace(settings, max_bytes=MAX_ROBOTS_BYTES, retries=min(settings.retries, 1))
        now = self.clock()
        try:
            result = fetch(self.client, url, conf, source=source, truncate=True)
        except HTTPStatusError as exc:
            self.attempts.extend(exc.attempts)
            if 400 <= exc.status < 500:
                return RobotsRules(host, None, now + self.ttl, status="missing")
            log.info("robots unreachable", extra={"url": url, "error": exc.code})
            return RobotsRules(host, None, now + TTL_UNREACHABLE, disallow_all=True, status="unreachable")
        except BlockedURLError as exc:
            self.attempts.extend(exc.attempts)
            if exc.code == "policy:private-address" and _refused_host(exc, url):
                # the host itself is refused under these settings: say nothing about its
                # rules (not cached; another source may be allowed it); the page fetch that
                # follows is refused by the same policy and records why
                return RobotsRules(host, None, now, status="refused")
            log.info("robots unreachable", extra={"url": url, "error": exc.code})
            return RobotsRules(host, None, now + TTL_UNREACHABLE, disallow_all=True, status="unreachable")
        except BodyTooLargeError as exc:
            self.attempts.extend(exc.attempts)
            return RobotsRules(host, None, now + self.ttl, status="missing")
        except ScraperError as exc:
            self.attempts.extend(exc.attempts)
            log.info("robots unreachable", extra={"url": url, "error": exc.code})
            return RobotsRules(host, None, now + TTL_UNREACHABLE, disallow_all=True, status="unreachable")
        self.attempts.extend(result.attempts)
        body = result.content
        if result.truncated:
            body = body[: body.rfind(b"\n") + 1]  # the cut line is incomplete
            log.info("robots.txt cut at the size limit", extra={"url": url, "bytes": MAX_ROBOTS_BYTES})
        text = body.decode("utf-8", errors="replace")
        try:
            parser = Protego.parse(text)
        except Exception:  # protego is lenient, but a hostile file must not stop polling
            parser = None
        return RobotsRules(host, parser, now + self.ttl)

    def take_attempts(self) -> list[FetchAttempt]:
        with self._guard:
            out, self.attempts = self.attempts, []
        return out


def _refused_host(exc: BlockedURLError, url: str) -> bool:
    """Was ``url`` itself refused (not a redirect it led to)?"""
    attempts = exc.attempts
    return bool(attempts) and attempts[-1].final_url == url
