"""Worker processes for extraction that never outlive the process that started them.

The poller extracts large polls in a :class:`ProcessPoolExecutor` on the ``forkserver`` start
method: workers fork from a server that imported the extraction code once. Left alone, that
server and its workers survive a parent killed with SIGKILL (or ``os._exit``): the workers wait
forever on a call queue whose write end they hold themselves, and the server waits for them.

So each worker, when it starts:

- watches the parent process (the one that made the pool): a daemon thread blocks on a pidfd
  of it (Linux 5.3+; else it checks every half second) and ends the worker the moment the
  parent is gone, however it died. The fork server then exits by itself: it stops when the
  last holder of its "alive" pipe (the parent and the workers) is gone;
- asks the kernel for SIGKILL when its own parent, the fork server, dies
  (``prctl(PR_SET_PDEATHSIG)``, Linux);
- ignores SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent decides
  what an interrupt means (finish the work in hand, then exit). The fork server ignores it too,
  from its start (its first preload module is ``scraper._forkserver``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool"]

_PR_SET_PDEATHSIG = 1


def process_pool(workers: int, preload: Sequence[str] = ()) -> ProcessPoolExecutor:
    """A forkserver pool of ``workers`` processes that die with this process."""
    mp = multiprocessing.get_context("forkserver")
    # scraper._forkserver first: the server ignores SIGINT from then on, not only once it has
    # imported ``preload``
    mp.set_forkserver_preload(["scraper._forkserver", *preload])
    return ProcessPoolExecutor(workers, mp_context=mp, initializer=_start_worker,
                               initargs=(os.getpid(),))


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_fork_server()
    _watch(parent)


def _die_with_fork_server() -> None:
    if not sys.platform.startswith("linux"):
        return
    server = os.getppid()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != server:  # the fork server died before prctl took effect
        os._exit(1)


def _watch(parent: int) -> None:
    """End this process as soon as ``parent`` is gone (a daemon thread waits for it)."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): poll instead
        fd = None
    threading.Thread(target=_wait_for_exit, args=(parent, fd), name="parent-watch", daemon=True).start()


def _wait_for_exit(parent: int, fd: int | None) -> None:
    if fd is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not poller.poll():
            pass
    else:
        while _alive(parent):
            time.sleep(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
