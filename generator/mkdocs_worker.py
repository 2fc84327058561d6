"""MkDocs in processes of its own, started before the handbook is loaded (performance issue).

`handbook build` forks its workers first thing, from a process that has imported almost nothing. Each
imports MkDocs and Material while the build imports and loads the content, then builds the languages it
is given. A language's pages are announced to its worker as they are written: MkDocs reads each page as
soon as it is there (the `on_files` hook in `mkdocs_hooks.py`), so it never waits for the whole language,
and the content and its rendering never share a process, or its memory, with MkDocs.

With `--jobs 1`, with one core or where fork is not available, there is no worker: `run_mkdocs` runs in
the build's own process once every page is written.

Messages on a worker's connection: the build sends a job (`Job`); for a streamed job, it then sends the
plan (the files of docs/ in MkDocs' order; None cancels the job: nothing changed), then, every few files,
the position in the plan up to which they are written. The worker answers each job with an `Outcome`.
A job can be given before the content is loaded: MkDocs loads its config and waits for the plan.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import Any, NamedTuple

from .parallel import can_fork, cores

# imported by every worker while it waits for its first job: what MkDocs would import then anyway
WARM = ("mkdocs.commands.build", "mkdocs.config", "mkdocs.structure.files", "material.plugins.tags.plugin", "nh3")


class Job(NamedTuple):
    lang: str
    config_file: str
    strict: bool
    stream: bool  # the plan and the positions follow; else every page is written already
    env: dict[str, str]  # set before MkDocs runs (SOURCE_DATE_EPOCH is known only after the fork)


class Cancelled(Exception):
    """The build sent no plan: the language is reused from its cache."""


class Outcome(NamedTuple):
    """What MkDocs said: `failure` is "" (built), "mkdocs" (its error), "template" (a theme override's
    error, with `template` and `line`), "died" (the worker stopped), "crash" (a bug: `error` is the
    traceback) or "cancelled"."""

    failure: str
    error: str = ""
    messages: tuple[str, ...] = ()
    template: str = ""
    line: int = 0


class Stream:
    """A language's docs folder as another process writes it, file by file in the order of `streamed`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._plan: list[str] | None = None
        self._position: dict[str, int] = {}
        self._ready = -1  # the files of the plan up to this position are written

    @property
    def streamed(self) -> list[str]:
        """The plan (waited for when MkDocs first asks: it may come after the config). Cancelled: no plan."""
        if self._plan is None:
            plan = self._connection.recv()
            if plan is None:
                raise Cancelled
            self._plan, self._position = plan, {path: i for i, path in enumerate(plan)}
        return self._plan

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


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: str, strict: bool) -> Outcome:
    """Build one language's site with MkDocs in this process: its warnings, or why it failed."""
    import jinja2
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        build(load_config(config_file=config_file, strict=strict))
    except MkDocsException as exc:
        return Outcome("mkdocs", str(exc), tuple(collect.messages))
    except jinja2.TemplateError as exc:  # a broken theme override in templates/overrides/
        return Outcome("template", str(exc), tuple(collect.messages), getattr(exc, "name", None) or "?",
                       getattr(exc, "lineno", None) or 1)
    finally:
        logger.removeHandler(collect)
    return Outcome("", messages=tuple(collect.messages))


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

    from .load import read_text

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
        sys.stdout.flush()
        sys.stderr.flush()
        for _ in range(count):
            mine, theirs = Pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the worker, which never returns
                code = 1
                try:
                    mine.close()
                    for other in connections.values():
                        other.close()
                    _serve(theirs)
                    code = 0
                finally:
                    os._exit(code)
            theirs.close()
            connections[pid] = mine
        return cls(connections)

    def __bool__(self) -> bool:
        return bool(self._connections)

    def idle(self) -> int | None:
        """A worker with no job, if any."""
        return next((pid for pid in self._connections if pid not in self._jobs), None)

    def submit(self, pid: int, job: Job) -> Callable[[Any], None]:
        """Give `job` to a worker; returns `announcer(pid)`."""
        self._jobs[pid] = job
        self.announcer(pid)(job)
        return self.announcer(pid)

    def announcer(self, pid: int) -> Callable[[Any], None]:
        """How to send a worker the plan of its job, then how far the files are written."""
        connection = self._connections[pid]

        def send(message: Any) -> None:
            with contextlib.suppress(OSError):  # the worker stopped: `next_outcome` says how
                connection.send(message)

        return send

    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel(self, pid: int) -> None:
        """Take back a streamed job whose plan was not sent yet; returns once the worker is idle again."""
        self._jobs.pop(pid)
        self.announcer(pid)(None)
        try:
            outcome: Outcome = self._connections[pid].recv()
        except EOFError:  # it stopped: it will not be given another job
            outcome = Outcome("died")
        if outcome.failure != "cancelled":  # it failed before it asked for the plan, and has ended
            os.waitpid(pid, 0)
            self._connections.pop(pid).close()

    def next_outcome(self) -> tuple[int, Job, Outcome]:
        """Wait for a worker to finish its job: (worker, job, outcome)."""
        by_connection = {self._connections[pid]: pid for pid in self._jobs}
        pid = by_connection[wait(list(by_connection))[0]]  # type: ignore[index]
        job = self._jobs.pop(pid)
        try:
            outcome: Outcome = self._connections[pid].recv()
        except EOFError:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            self._connections.pop(pid).close()
            how = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
            outcome = Outcome("died", f"the MkDocs process stopped ({how})")
        return pid, job, outcome

    def stop(self) -> None:
        """End every worker (idle ones simply wait for a job that will not come) and collect it."""
        connections, self._connections, self._jobs = self._connections, {}, {}
        for pid, connection in connections.items():
            connection.close()
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def _serve(connection: Connection) -> None:
    """A worker: warm up, then build each job it is sent until the build closes the connection."""
    global ACTIVE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which stops this worker
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    for name in WARM:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    while True:
        try:
            job: Job = connection.recv()
        except EOFError:
            return
        os.environ.update(job.env)
        ACTIVE = Stream(connection) if job.stream else None
        try:
            outcome = run_mkdocs(job.config_file, job.strict)
            if ACTIVE is not None and not outcome.failure:
                ACTIVE.drain()
        except EOFError:
            return
        except Cancelled:
            outcome = Outcome("cancelled")
        except Exception:  # noqa: BLE001 - a bug: its traceback goes to the build, which raises it
            outcome = Outcome("crash", traceback.format_exc())
        finally:
            ACTIVE = None
        connection.send(outcome)
        if outcome.failure and outcome.failure != "cancelled":
            return  # the build stops; this language's announcements may still be on their way
