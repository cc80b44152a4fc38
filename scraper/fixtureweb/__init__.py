"""The loopback fixture web and its sites (tests and ``make demo``); see :mod:`.server`."""

from __future__ import annotations

from scraper.fixtureweb.server import SITES_ROOT, FixtureWeb, Page, RequestRecord

__all__ = ["SITES_ROOT", "FixtureWeb", "Page", "RequestRecord"]
