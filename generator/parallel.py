"""Work done beside the main process, in a forked child: the child shares the loaded handbook (nothing is
pickled on the way in), and only its small result comes back. Where fork is not available (not Linux), or
inside a worker that may not have children, the work simply runs inline when it is waited for."""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import HandbookError

T = TypeVar("T")


def cores() -> int:
    """Cores this process may use (a container or `taskset` may allow fewer than the machine has): the one
    count every part of the build uses."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """True where a forked child is safe and useful: Linux, more than one core, not inside a daemon worker."""
    return (sys.platform == "linux" and cores() > 1
            and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


class Beside(Generic[T]):
    """Start `function(*args)` now; `wait()` returns its result, or raises its error, as if called here."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self.name = getattr(function, "__name__", "work")
        self.call: Callable[[], T] | None = None
        self.process: Any = None
        if not can_fork():
            self.call = lambda: function(*args)
            return
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(send, function, args), daemon=True)
        self.process.start()
        send.close()

    def wait(self) -> T:
        if self.call is not None:
            return self.call()
        try:
            ok, value = self.receive.recv()
        except EOFError:
            ok, value = False, HandbookError(f"{self.name} stopped (exit code {self.process.exitcode})")
        finally:
            self.receive.close()
        self.process.join()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """End the child early (the build failed elsewhere)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _child(send: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[bool, Any] = (True, function(*args))
    except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent, which raises it
        result = (False, exc if isinstance(exc, HandbookError) else RuntimeError(traceback.format_exc()))
    send.send(result)
    send.close()
