"""Process-wide hooks, free of heavy imports (the CLI registers them at start-up).

``after_commit``: called with an archive's path after every committed write of captures of this
process (:func:`scraper.archive.record.store`, the one write path), outside the file lock (the
search index follows the archive this way). A listener
must return at once: hand the work to a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_commit_listeners: list[Callable[[Path], None]] = []


def add_commit_listener(listener: Callable[[Path], None]) -> None:
    """Call ``listener(path)`` after every committed archive write of this process."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def notify_committed(path: Path) -> None:
    for listener in list(_commit_listeners):
        try:
            listener(path)
        except Exception:  # a follower's failure never fails the write that was committed
            log.warning("commit listener failed path=%s", path, exc_info=True)
