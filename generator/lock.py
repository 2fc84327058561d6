"""One build at a time in a handbook's folder.

Two builds in one folder would write the same `build/<lang>/` files and the second would pull the first's
site out from under it (an editor that builds on save starts a second one easily). So `handbook build` and
`handbook worksheets` hold a lock on `build/build.lock` while they write: a second one says which build it
waits for, on one line, and starts when that one is done. A preview (`handbook serve`) writes only its own
folder, `build/serve/<lang>/`, so it runs beside builds; a second preview of the same language stops at once.

The lock is the operating system's (`flock`): it goes away with the process that held it, however that ends.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import HandbookError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (the handbook is built on Linux and macOS)
    fcntl = None  # type: ignore[assignment]

BUILD_LOCK = "build/build.lock"


def serve_lock(lang: str) -> str:
    return f"build/serve/{lang}.lock"


@contextlib.contextmanager
def held(root: Path, name: str, what: str, wait: bool,
         notice: Callable[[str], None] = lambda _: None) -> Iterator[None]:
    """Hold the lock `name` (a path under `root`) for `what` (like `handbook build`). When another process holds
    it: with `wait`, say so through `notice` and wait for it; else stop with one line saying which holds it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = _holder(fd)
            if not wait:
                raise HandbookError(f"{other} is already running in this folder; stop it first, or use that "
                                    "one") from None
            notice(f"Waiting for {other} to finish (builds in one folder take turns)")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{int(time.time())}\n{what}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # and with it the lock


def _holder(fd: int) -> str:
    """Which process holds the lock, as its holder wrote it: "`handbook build` (process 812, started 14:02:51)"."""
    try:
        pid, started, what = os.pread(fd, 4096, 0).decode("utf-8").split("\n")[:3]
        since = time.strftime("%H:%M:%S", time.localtime(int(started)))
        return f"`{what}` (process {int(pid)}, started at {since})"
    except (OSError, ValueError, UnicodeDecodeError):  # being written at this very moment
        return "another build"
