"""What `handbook build` starts before it imports anything heavy (performance issue).

Its MkDocs workers (`mkdocs_worker.py`) import MkDocs and Material meanwhile, and a second process starts
parsing the YAML (`ParseCache.start`), while this one imports pydantic, the models and the templates. Only
light modules are imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import cache
from .load import ParseCache
from .mkdocs_worker import Workers, worker_count
from .trace import mark


@dataclass
class HeadStart:
    workers: Workers
    caches: Path | None  # `build/cache`; None when git tracks files under build/ (`cache.folder`)
    parsed: ParseCache

    def stop(self) -> None:
        """End what is still running (the build calls it, always)."""
        self.workers.stop()
        self.parsed.stop()


def head_start(root: Path, langs: list[str] | None, jobs: int | None) -> HeadStart:
    """Fork the MkDocs workers first (from the smallest process), then start parsing the YAML."""
    workers = Workers.start(worker_count(root, langs, jobs))
    caches = cache.folder(root)
    parsed = ParseCache(caches / "parsed.marshal" if caches else None, parallel=jobs != 1)
    parsed.start(root)
    mark("head start: workers forked, files read, parsing begun")
    return HeadStart(workers, caches, parsed)
