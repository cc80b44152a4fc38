"""Session fixtures for the lake: PostgreSQL and an S3 server, started once per test process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services import S3, postgres, s3_server


def _running(cm, what: str):  # type: ignore[no-untyped-def]
    """Enter a service's context manager for the session; skip (or fail in CI) when it cannot
    start."""
    try:
        value = cm.__enter__()
    except RuntimeError as exc:
        _skip(f"needs {what}: {exc}")
    try:
        yield value
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    yield from _running(postgres(), "PostgreSQL")


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    yield from _running(s3_server(), "an S3 server")


def _skip(reason: str) -> None:
    """Skip, saying why; in CI (``SCRAPER_REQUIRE_SERVICES=1``, set by .ci/run) fail instead."""
    if os.environ.get("SCRAPER_REQUIRE_SERVICES"):
        pytest.fail(reason)
    pytest.skip(reason)
