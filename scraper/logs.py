"""Logging set-up, used only by cli/ and daemon.py. One line per event, key=value or JSON."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        extras = " ".join(f"{k}={_kv(v)}" for k, v in _extras(record).items())
        line = f"{ts}Z {record.levelname.lower():7} {record.getMessage()}"
        return f"{line} {extras}" if extras else line


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        out.update(_extras(record))
        return json.dumps(out, ensure_ascii=False, default=str)


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")}


def _kv(value: object) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


# Libraries we call log their own troubles (trafilatura: "lxml parsing failed" on an empty page)
# at ERROR; what matters to the user is already in our own line, so theirs show only with -vv.
THIRD_PARTY = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer", "apscheduler")


def setup_logging(verbose: int = 0, fmt: str = "text", stream: object = None) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JSONFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger("scraper")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def announce(logger: str) -> None:
    """Let ``logger``'s info lines through at the default level (the daemon's start line and
    one line per poll: a service says it runs without -v)."""
    root = logging.getLogger("scraper")
    if root.level > logging.INFO:
        logging.getLogger(logger).setLevel(logging.INFO)
