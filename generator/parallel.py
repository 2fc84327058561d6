"""Processes of our own: how many the build may run at once (the one count of cores every part of it uses:
MkDocs' workers, `speed.workers`; the worksheets' process pool, `worksheets.py`), and the one way a process
of ours is forked to serve requests on a connection (MkDocs' workers; the preview's renderer, `serve.py`)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, Pipe


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


def fork(serve: Callable[[Connection], None], close: Iterable[Connection] = ()) -> tuple[int, Connection]:
    """Fork a child that runs `serve` on its end of a new connection, then exits; returns its process id and
    this end. The child ignores Ctrl-C (its parent stops it) and closes the parent's connections `close`."""
    mine, theirs = Pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        code = 1
        try:
            mine.close()
            for other in close:
                other.close()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            serve(theirs)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    return pid, mine


def end(pid: int, connection: Connection) -> None:
    """Stop a child made by `fork` and collect it."""
    connection.close()
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
