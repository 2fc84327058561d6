"""Timestamps of a build's steps, for `benchmarks/timeline.py`: set HANDBOOK_TRACE to a file and every
process of a build (MkDocs' workers too, and a plain `mkdocs build` through the hooks) appends to it
lines of `TIME PID EVENT`. Unset, `mark` does nothing."""

from __future__ import annotations

import os
import time

_FILE = os.environ.get("HANDBOOK_TRACE")


def mark(event: str) -> None:
    if _FILE:
        with open(_FILE, "a", encoding="utf-8") as out:
            out.write(f"{time.time():.6f} {os.getpid()} {event}\n")
