from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from scraper.net.client import make_client
from scraper.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Loopback allowed, small limits and timeouts, fast backoff."""
    return replace(
        Settings(),
        allow_private=True,
        connect_timeout=2.0,
        read_timeout=2.0,
        total_timeout=5.0,
        max_bytes=200_000,
        retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with make_client(settings) as c:
        yield c


class Sleeps(list[float]):
    """A fake sleep that records the delays asked for."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
