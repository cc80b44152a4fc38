"""Session fixtures for the lake: PostgreSQL and an S3 server, started once per test process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services import S3, postgres, s3_server


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    try:
        cm = postgres()
        url = cm.__enter__()
    except RuntimeError as exc:
        _skip(f"needs PostgreSQL: {exc}")
    try:
        yield url
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    try:
        cm = s3_server()
        server = cm.__enter__()
    except RuntimeError as exc:
        _skip(f"needs an S3 server: {exc}")
    try:
        yield server
    finally:
        cm.__exit__(None, None, None)


def _skip(reason: str) -> None:
    """Skip, saying why; in CI (``SCRAPER_REQUIRE_SERVICES=1``, set by .ci/run) fail instead."""
    if os.environ.get("SCRAPER_REQUIRE_SERVICES"):
        pytest.fail(reason)
    pytest.skip(reason)
