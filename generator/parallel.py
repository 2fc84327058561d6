"""How many processes the build may run at once: the one count of cores every part of it uses (MkDocs'
workers, `speed.workers`; the worksheets' process pool, `worksheets.py`)."""

from __future__ import annotations

import multiprocessing
import os
import sys


def cores() -> int:
    """Cores this process may use (a container or `taskset` may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """True where a forked child is safe and useful: Linux, more than one core, not inside a daemon worker."""
    return (sys.platform == "linux" and cores() > 1
            and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)
