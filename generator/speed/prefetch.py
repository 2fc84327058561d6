"""The YAML parsed by two processes at once: a forked one takes the files from the first on, while the build
(or `check`) still imports pydantic and the models; then the build takes them from the last back when it
starts loading; each claims the next file under a lock, until they meet. Neither waits for the other to start.

Kept after measuring it in the architecture step: without it, `check` of 1,000 cases took 1.02 s (the aim is
1 s) and a first build loaded its content 0.4 s later (benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .. import load
from ..load import Document, LoadError
from ..parallel import can_fork, end, fork
from ..paths import FOLDERS, SETTINGS_FILE, VOCABULARY_FILE

PREFETCH_FROM = 200  # files to parse: below this, a second process costs more than it saves

Todo = list[tuple[bytes, tuple[str, str]]]  # (key, (text, file as shown)), in the order they are read


def content_files(root: Path) -> list[tuple[Path, str]]:
    """The YAML files a load reads (path, as shown), in folders that are real folders."""
    files = [root / SETTINGS_FILE, root / VOCABULARY_FILE]
    for name in FOLDERS.values():
        folder = root / name
        if load.symlinked_part(folder, root) is None and folder.is_dir():
            files += sorted(path for path in folder.iterdir() if path.suffix == ".yaml")
    return [(path, load.display_path(path, root)) for path in files]


class Split:
    """The files of `todo` parsed by this process and a forked one, from both ends."""

    @classmethod
    def start(cls, todo: Todo) -> Split | None:
        return cls(todo) if len(todo) >= PREFETCH_FROM and can_fork() else None

    def __init__(self, todo: Todo) -> None:
        context = multiprocessing.get_context("fork")
        self.todo = todo
        self.ends = context.RawArray("i", [0, len(todo)])  # the first and one past the last file unclaimed
        self.lock = context.Lock()
        self.pid, self.connection = fork(self._front)

    def _front(self, connection: Connection) -> None:
        """(in the forked process) Parse from the first file on; send, for each, (True, data) or (False, None)."""
        out: list[tuple[bool, Any]] = []
        while True:
            with self.lock:
                first, last = self.ends
                if first >= last:
                    break
                self.ends[0] = first + 1
            try:
                out.append((True, load.parse_yaml(*self.todo[first][1]).data))
            except LoadError:
                out.append((False, None))
        connection.send_bytes(marshal.dumps(out))

    def from_the_back(self) -> dict[bytes, Document]:
        """Parse here from the last file back until the two meet; the files that load, by key."""
        parsed: dict[bytes, Document] = {}
        while True:
            with self.lock:
                first, last = self.ends
                if last <= first:
                    return parsed
                self.ends[1] = last - 1
            key, (text, shown) = self.todo[last - 1]
            with contextlib.suppress(LoadError):  # reported when the file is loaded
                parsed[key] = load.parse_yaml(text, shown)

    def from_the_front(self) -> dict[bytes, Any]:
        """What the other process parsed (it ends once the two have met): the data of the files that load. If it
        failed, its files are parsed in this process when they are loaded."""
        try:
            results = marshal.loads(self.connection.recv_bytes())
        except (EOFError, OSError, ValueError, TypeError):
            results = []
        finally:
            self.stop()
        # the first len(results) files are the ones it claimed
        return {key: data for (key, _), (ok, data) in zip(self.todo, results, strict=False) if ok}

    def stop(self) -> None:
        end(self.pid, self.connection)
