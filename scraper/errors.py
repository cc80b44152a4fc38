"""Errors raised by the scraper library, one tree, one exit code per family.

    ScraperError                      exit 1   anything we did not foresee more precisely
    ├── UsageError                    exit 2   bad command-line input (bad URL, bad option value)
    │   └── ConfigError               exit 2   bad sources.yaml (names file, line, field)
    ├── FetchError                    exit 3   the network failed: DNS, refused, timeout, reset
    │   ├── BodyTooLargeError         exit 3   the body passed the size limit while streaming
    │   ├── TooManyRedirectsError     exit 3
    │   ├── BlockedURLError           exit 3   refused by policy: robots.txt, SSRF, bad scheme
    │   └── HTTPStatusError           exit 4   the server answered 4xx/5xx (after retries)
    ├── ContentError                  exit 5   the response is not an HTML article (PDF, image…)
    │                                          or has no article text (extract:no-article);
    │                                          `import`: WARC records refused as damaged
    ├── ArchiveError                  exit 6   the archive cannot be opened or written
    │   ├── ArchiveMissingError       exit 6   no archive at that path (read commands)
    │   ├── ArchiveLockedError        exit 6   another process holds the write lock too long
    │   └── LakeError                 exit 6   the Iceberg lake (catalog, warehouse) failed
    └── QueryError                    exit 7   the SQL given to `scraper sql` failed

Every error has a stable ``code`` (``family:detail``, e.g. ``http:404``) that is what the
archive's ``fetches.error`` column records, and ``str(err)`` is one line saying what failed,
why, and what to try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: errors.py imports nothing of the package at run time
    from scraper.models import FetchAttempt


class ScraperError(Exception):
    """The root. ``attempts``: the HTTP attempts made before the failure (``net/fetch.py`` sets
    them on the error it raises, so callers log failed fetches too); empty for other errors."""

    exit_code = 1
    code = "error"
    attempts: tuple[FetchAttempt, ...] = ()

    def __init__(self, message: str, *, code: str | None = None,
                 attempts: tuple[FetchAttempt, ...] = ()) -> None:
        super().__init__(message.replace("\n", " ").strip())
        if code is not None:
            self.code = code
        self.attempts = attempts


class UsageError(ScraperError):
    exit_code = 2
    code = "usage"


class ConfigError(UsageError):
    code = "config"


class FetchError(ScraperError):
    exit_code = 3
    code = "net:error"


class BodyTooLargeError(FetchError):
    code = "net:too-large"


class TooManyRedirectsError(FetchError):
    code = "net:too-many-redirects"


class BlockedURLError(FetchError):
    code = "policy:blocked"


class HTTPStatusError(FetchError):
    exit_code = 4
    code = "http"

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message, code=code or f"http:{status}")
        self.status = status


class ContentError(ScraperError):
    exit_code = 5
    code = "content:not-html"


class ArchiveError(ScraperError):
    exit_code = 6
    code = "archive:error"


class ArchiveMissingError(ArchiveError):
    code = "archive:missing"


class ArchiveLockedError(ArchiveError):
    code = "archive:locked"


class LakeError(ArchiveError):
    code = "lake:error"


class QueryError(ScraperError):
    exit_code = 7
    code = "sql:error"


EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "error": ScraperError.exit_code,
    "usage": UsageError.exit_code,
    "network": FetchError.exit_code,
    "http": HTTPStatusError.exit_code,
    "content": ContentError.exit_code,
    "archive": ArchiveError.exit_code,
    "sql": QueryError.exit_code,
}
