"""Imported first by the extraction fork server (see ``scraper/workers.py``), and by nothing else.

The fork server ignores SIGINT itself, but only once it has imported its preload modules (the
extraction code: seconds on a busy machine); a Ctrl-C meanwhile, which a terminal sends to the
whole process group, would kill it with a traceback and break the pool. Importing this module
first closes that window: its one effect is to ignore SIGINT in the importing process.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
