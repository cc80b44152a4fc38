"""Shared pytest fixtures. Each owner adds theirs below; keep them session-scoped when costly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scraper.fixtureweb import FixtureWeb


@pytest.fixture(scope="session")
def fixture_web() -> Iterator[FixtureWeb]:
    """The fixture web on 127.0.0.1, a free port, for the whole session.

    Shared: a test that publishes pages with ``put`` uses paths of its own, and one that relies on
    a ``/_/`` counter adds a query parameter of its own (``&key=<test name>``)."""
    with FixtureWeb(host="127.0.0.1", port=0) as web:
        yield web
