"""MkDocs in processes of its own, forked before the handbook is loaded.

`handbook build` forks its workers first thing (`speed.start`), from a process that has imported almost
nothing. Each imports MkDocs and Material while the build imports and loads the content, then builds the
languages it is given. A language's pages are announced to its worker as they are written: MkDocs reads each
page as soon as it is there (the `on_files` hook in `mkdocs_hooks.py`), so it never waits for the whole
language, and the content and its rendering never share a process, or its memory, with MkDocs.

Without workers (`--jobs 1`, one core, no fork) the build runs MkDocs in its own process once every page is
written (`build.py`); the site is the same, byte for byte.

Messages on a worker's connection: the build sends a job (`Job`, with the plan: the files of docs/ in MkDocs'
order, or None when every file is written already); then, for a streamed job, every few files the position in
the plan up to which they are written. The worker answers each job with an `Outcome` (`site.py`).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..parallel import can_fork, cores, end, fork

if TYPE_CHECKING:
    from ..render import RenderJob
    from ..site import Outcome

# imported by every worker while it waits for its first job: what MkDocs would import then anyway
WARM = ("generator.site", "mkdocs.commands.build", "mkdocs.config", "mkdocs.structure.files",
        "material.plugins.tags.plugin", "nh3")


class Job(NamedTuple):
    lang: str
    config_file: str
    strict: bool
    env: dict[str, str]  # set before MkDocs runs (SOURCE_DATE_EPOCH is known only after the fork)
    plan: list[str] | None  # the files of docs/ in the order they are written and announced; None: all written
    dirty: bool = False  # the site folder holds the last build: MkDocs builds only the pages that changed


@dataclass
class Language:
    """One language for the workers to build: its rendering (`render.RenderJob`) and its MkDocs config."""

    lang: str
    render: RenderJob
    config: Path
    dirty: bool = False  # MkDocs builds only the pages whose Markdown changed: they are all written first


class Stream:
    """A language's docs folder as another process writes it, file by file in the order of its plan."""

    def __init__(self, connection: Connection, plan: list[str]) -> None:
        self._connection = connection
        self.streamed = plan
        self._position = {path: i for i, path in enumerate(plan)}
        self._ready = -1  # the files of the plan up to this position are written

    def wait_for(self, path: str) -> None:
        """Return once `path` is written. EOFError: the build stopped, and this worker with it."""
        position = self._position.get(path, -1)
        while self._ready < position:
            self._ready = self._connection.recv()

    def drain(self) -> None:
        """Read every announcement of this job, so that the next message is the next job."""
        if self.streamed:
            self.wait_for(self.streamed[-1])


ACTIVE: Stream | None = None  # the pages the MkDocs build of this process waits for (mkdocs_hooks.on_files)


def worker_count(root: Path, langs: list[str] | None, jobs: int | None) -> int:
    """How many workers a build needs: one per language it builds, at most one per core (or `jobs`); none
    without fork, on one core or with `jobs=1`. The languages are read roughly here, before the content is
    loaded; a wrong guess costs an idle worker or a language built after another."""
    if jobs == 1 or not can_fork():
        return 0
    wanted = len(langs) if langs else _listed_languages(root / "handbook.yml")
    return max(1, min(wanted, jobs or cores()))


def _listed_languages(settings: Path) -> int:
    import yaml

    from ..load import read_text

    try:  # read as the load reads it: no symbolic link, at most 1 MiB
        data = yaml.safe_load(read_text(settings, settings.name))
        listed = data.get("publish") or data.get("languages")
        return len(listed) if isinstance(listed, list) else 1
    except Exception:  # noqa: BLE001 - a broken handbook.yml is reported by the load, not here
        return 1


class Workers:
    """The build's MkDocs processes. `start` forks them; `stop` ends them (the build calls it, always)."""

    def __init__(self, connections: dict[int, Connection]) -> None:
        self._connections = connections  # pid -> its connection
        self._jobs: dict[int, Job] = {}  # pid -> the job it is building

    @classmethod
    def start(cls, count: int) -> Workers:
        connections: dict[int, Connection] = {}
        for _ in range(count):
            pid, connection = fork(_serve, close=list(connections.values()))
            connections[pid] = connection
        return cls(connections)

    def __bool__(self) -> bool:
        return bool(self._connections)

    def build(self, languages: list[Language], strict: bool, env: dict[str, str],
              check: Callable[[str, Outcome], None], meanwhile: Callable[[], None]) -> dict[str, Outcome]:
        """Render each language while a worker's MkDocs reads it, then do `meanwhile` while they build.

        Each language with an idle worker is given to it with its plan, and the languages are rendered a page
        of each in turn, so every worker starts at once; a language with no idle worker is rendered whole and
        waits for the first worker that is done. `check` sees each outcome as it comes (it raises to stop
        the build)."""
        streamed: list[tuple[RenderJob, Callable[[int], None]]] = []
        queued: list[Job] = []
        for language in languages:
            pid = self._idle()
            if pid is None or language.dirty:  # MkDocs compares the times of files: they must all be written
                language.render.run()
                job = Job(language.lang, str(language.config), strict, env, None, language.dirty)
                if pid is None:
                    queued.append(job)
                else:
                    self._submit(pid, job)
                continue
            from ..search import write_order

            # each part of a large site's search index is written together, and indexed while MkDocs goes on
            language.render.plan = write_order(language.render.plan)
            job = Job(language.lang, str(language.config), strict, env, language.render.plan)
            streamed.append((language.render, self._submit(pid, job)))
        _take_turns(streamed)
        meanwhile()
        outcomes: dict[str, Outcome] = {}
        while self._jobs:
            pid, job, outcome = self._next_outcome()
            check(job.lang, outcome)
            outcomes[job.lang] = outcome
            if queued:
                self._submit(pid, queued.pop(0))
        return outcomes

    def _idle(self) -> int | None:
        return next((pid for pid in self._connections if pid not in self._jobs), None)

    def _submit(self, pid: int, job: Job) -> Callable[[Any], None]:
        """Give `job` to a worker; returns how to tell it up to which position the files are written."""
        self._jobs[pid] = job
        connection = self._connections[pid]

        def send(message: Any) -> None:
            with contextlib.suppress(OSError):  # the worker stopped: `_next_outcome` says how
                connection.send(message)

        send(job)
        return send

    def _next_outcome(self) -> tuple[int, Job, Outcome]:
        """Wait for a worker to finish its job: (worker, job, outcome)."""
        from ..site import Outcome

        by_connection = {self._connections[pid]: pid for pid in self._jobs}
        pid = by_connection[wait(list(by_connection))[0]]  # type: ignore[index]
        job = self._jobs.pop(pid)
        try:
            outcome: Outcome = self._connections[pid].recv()
        except (EOFError, ConnectionResetError):  # reset: it stopped while messages to it were unread
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            self._connections.pop(pid).close()
            how = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
            outcome = Outcome("died", f"the MkDocs process stopped ({how})")
        return pid, job, outcome

    def stop(self) -> None:
        """End every worker (idle ones simply wait for a job that will not come) and collect it."""
        connections, self._connections, self._jobs = self._connections, {}, {}
        for pid, connection in connections.items():
            end(pid, connection)


def _take_turns(jobs: list[tuple[RenderJob, Callable[[int], None]]]) -> None:
    """Run several languages' renderings a file of each in turn, so that each language's MkDocs starts at once."""
    turns: list[Iterator[None]] = [job.steps(announce) for job, announce in jobs]
    while turns:
        turns = [turn for turn in turns if next(turn, _DONE) is not _DONE]


_DONE = object()


def _serve(connection: Connection) -> None:
    """A worker: warm up, then build each job it is sent until the build closes the connection."""
    global ACTIVE
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    for name in WARM:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from ..site import Outcome, run_mkdocs

    while True:
        try:
            job: Job = connection.recv()
        except EOFError:
            return
        os.environ.update(job.env)
        ACTIVE = Stream(connection, job.plan) if job.plan is not None else None
        try:
            outcome = run_mkdocs(job.config_file, job.strict, job.dirty)
            if ACTIVE is not None and not outcome.failure:
                ACTIVE.drain()
        except EOFError:
            return
        except Exception:  # noqa: BLE001 - a bug: its traceback goes to the build, which raises it
            outcome = Outcome("crash", traceback.format_exc())
        finally:
            ACTIVE = None
        connection.send(outcome)
        if outcome.failure:
            return  # the build stops; this language's announcements may still be on their way
