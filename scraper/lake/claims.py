"""Which daemon polls which source: a stable shard, or PostgreSQL advisory locks.

- ``--shard K/N`` (K from 1 to N): a source belongs to shard ``1 + hash(name) mod N``, with a
  hash that is the same on every machine and Python run (sha256 of the name), so N daemons
  started with 1/N … N/N split the sources between them without talking to each other.
- With a PostgreSQL lake catalog, each daemon holds one session-level advisory lock per
  source it polls (``pg_try_advisory_lock``), on one connection kept for its lifetime. A source
  whose lock another daemon holds is skipped; when a daemon dies, PostgreSQL ends its session
  and its locks with it, and the next daemon whose poll job for that source fires (at least
  once per poll interval) takes it. Each daemon keeps at most ceil(sources / live daemons)
  and releases the rest between polls, so shares even out as daemons come and go (a source
  that moves is fetched again by its new holder; publishing drops what was already in the
  lake). ``holders`` reads ``pg_locks`` to say who holds what; the connection's
  ``application_name`` names the daemon.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scraper.errors import LakeError, UsageError

log = logging.getLogger(__name__)

_LOCK_SPACE = "scraper-source:"
APP_PREFIX = "scraper-daemon "
SHARE_EVERY = 5.0  # seconds between two counts of the live daemons


def stable_hash(name: str) -> int:
    """A 63-bit hash of ``name``, the same everywhere (unlike ``hash()``)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise UsageError(f"--shard {text!r}: write K/N, e.g. 1/3 (this daemon's shard of N)") from None
        if not (n >= 1 and 1 <= k <= n):
            raise UsageError(f"--shard {text!r}: K must be between 1 and N, e.g. 1/3")
        return cls(k, n)

    def owns(self, source_name: str) -> bool:
        return stable_hash(source_name) % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def lock_key(source_name: str) -> int:
    """The advisory lock key of a source (a signed 64-bit integer, as PostgreSQL takes it)."""
    return stable_hash(_LOCK_SPACE + source_name)  # 63 bits: always a positive bigint


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` -> ``postgresql://…`` for psycopg itself."""
    parts = urlsplit(sqlalchemy_url)
    return urlunsplit(("postgresql", *parts[1:]))


def daemon_name(archive_id: str) -> str:
    return f"{APP_PREFIX}{socket.gethostname()} pid={os.getpid()} archive={archive_id[:8]}"


class SourceLocks:
    """This daemon's advisory locks on one PostgreSQL session."""

    def __init__(self, catalog_url: str, name: str) -> None:
        self.url = libpq_url(catalog_url)
        self.name = name[:63]  # application_name is at most 63 bytes
        self.held: set[str] = set()
        self._con: Any = None
        self._lock = threading.Lock()
        self._live: int | None = None  # daemons connected, as last counted
        self._live_at = 0.0

    def _connect(self) -> Any:
        import psycopg

        if self._con is None or self._con.closed:
            self.held.clear()  # a new session holds nothing
            try:
                self._con = psycopg.connect(self.url, autocommit=True, application_name=self.name,
                                            connect_timeout=10)
            except psycopg.Error as exc:
                raise LakeError(f"cannot reach PostgreSQL for source locks: {_line(exc)}",
                                code="lake:locks") from exc
        return self._con

    def take(self, source_name: str, total: int | None = None) -> bool:
        """True when this daemon holds ``source_name``'s lock (taking it if free).

        With ``total`` (how many sources the daemons share), a daemon keeps at most its fair
        share, ceil(total / live daemons): past it, it takes no free source, and a source it
        holds beyond it is released here, between two of its polls, for a daemon under its
        share to take. So daemons started one after the other end up with even shares."""
        import psycopg

        with self._lock:
            share = self._share(total)
            if source_name in self.held and self._con is not None and not self._con.closed:
                try:
                    if len(self.held) > share:
                        self._con.execute("SELECT pg_advisory_unlock(%s)", [lock_key(source_name)])
                        self.held.discard(source_name)
                        log.info("source released", extra={"source": source_name, "daemon": self.name,
                                                           "share": share})
                        return False
                    self._con.execute("SELECT 1")  # the session (and so the lock) is alive
                    return True
                except psycopg.Error:
                    self._drop()
            if len(self.held) >= share:
                return False
            con = self._connect()
            try:
                row = con.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(source_name)]).fetchone()
            except psycopg.Error as exc:
                self._drop()
                raise LakeError(f"source lock for {source_name}: {_line(exc)}", code="lake:locks") from exc
            if row and row[0]:
                if source_name not in self.held:
                    log.info("source taken", extra={"source": source_name, "daemon": self.name})
                self.held.add(source_name)
                return True
            return False

    def _share(self, total: int | None) -> int:
        """ceil(total / live daemons), the live count read at most every SHARE_EVERY seconds."""
        import psycopg

        if total is None:
            return 1 << 30
        now = time.monotonic()
        if self._live is None or now - self._live_at > SHARE_EVERY:
            try:
                con = self._connect()
                row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
                                  [APP_PREFIX + "%"]).fetchone()
                self._live, self._live_at = max(int(row[0]) if row else 1, 1), now
            except psycopg.Error:
                self._drop()
                return 1 << 30
        return -(-total // (self._live or 1))

    def _drop(self) -> None:
        try:
            if self._con is not None:
                self._con.close()
        finally:
            self._con = None
            self.held.clear()

    def close(self) -> None:
        with self._lock:
            self._drop()


def holders(catalog_url: str, sources: Iterable[str]) -> list[dict[str, Any]]:
    """Per source: the daemon holding its lock (None when free), its host and session start."""
    import psycopg

    names = list(sources)
    by_key = {lock_key(n): n for n in names}
    try:
        with psycopg.connect(libpq_url(catalog_url), autocommit=True, connect_timeout=10) as con:
            rows = con.execute(
                "SELECT (l.classid::bigint << 32) | l.objid::bigint AS key, a.application_name, "
                "host(a.client_addr), a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1").fetchall()
    except psycopg.Error as exc:
        raise LakeError(f"cannot read source locks from PostgreSQL: {_line(exc)}", code="lake:locks") from exc
    held: dict[str, tuple[Any, ...]] = {}
    for key, app, host, since in rows:
        if key in by_key:
            held[by_key[key]] = (app, host, since)
    out = []
    for n in names:
        app, host, since = held.get(n, (None, None, None))
        daemon = app[len(APP_PREFIX):] if isinstance(app, str) and app.startswith(APP_PREFIX) else app
        out.append({"source": n, "daemon": daemon, "client": host, "since": since})
    return out


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
