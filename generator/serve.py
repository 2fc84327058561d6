"""`handbook serve`: a live preview of one language, on MkDocs' own development server.

The preview has its own folder, `build/serve/<lang>/`, so a `handbook build` next to it does not disturb it.
Its MkDocs config carries `extra.handbook_serve`, which makes our hooks (mkdocs_hooks.py) load, check and
render the handbook again before every build (`preview`). MkDocs watches the content, the templates and the
settings, rebuilds on every saved change and reloads the browser.

The loading and rendering run in a process of their own (`Renderer`), forked before MkDocs' server starts:
in one process with MkDocs, the preview's memory grew by about 2 MB a save (benchmarks/serve_memory.py), while
either one alone stays flat.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import ContentError, HandbookError
from .languages import chosen
from .lock import held, serve_lock
from .parallel import end, fork
from .paths import FOLDERS
from .site import mkdocs_config, quiet_dirty_warning
from .speed.trace import mark
from .validate import Handbook, load_handbook

WATCHED = ("handbook", "toolkits", "templates", "handbook.yml", "mkdocs.yml")


def serve(root: Path, lang: str | None = None, dev_addr: str = "127.0.0.1:8000", open_browser: bool = False,
          commands: Any = None) -> None:
    """Build `lang` (default: the first language handbook.yml publishes) and serve it with live reload.
    `commands`, the `handbook` Click group, is documented on the command-line reference page."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    book = load_handbook(root, strict=False)  # the preview is not strict: a link MkDocs refuses is a warning
    if book.errors:
        raise ContentError(book.problems)
    lang = chosen(book, [lang])[0] if lang else book.settings.published[0]
    # its folder is its own, so it runs beside builds; a second preview of the language would share it
    with held(root, serve_lock(lang), f"handbook serve --lang {lang}", wait=False):
        _serve(root, book, lang, dev_addr, open_browser, commands)


def _serve(root: Path, book: Handbook, lang: str, dev_addr: str, open_browser: bool, commands: Any) -> None:
    global RENDERER
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    folder = root / "build" / "serve"
    (folder / lang / "docs").mkdir(parents=True, exist_ok=True)
    config = mkdocs_config(book, lang, folder, folder / lang / "site", serve=True)
    handler = _terminal_log()
    quiet_dirty_warning()
    RENDERER = Renderer.start(root, lang, commands)  # before MkDocs starts its server's threads
    try:
        # "dirty": MkDocs builds again only the pages whose Markdown changed (`preview` touches every page when
        # something all pages show changed)
        # what it watches: `watch`, from the hooks' `on_serve`
        mkdocs_serve(str(config), livereload=True, build_type="dirty", open_in_browser=open_browser,
                     dev_addr=dev_addr, strict=False)
    except OSError as exc:  # the address is taken or cannot be bound
        raise HandbookError(f"cannot serve on {dev_addr}: {exc.strerror or exc}") from None
    except MkDocsException as exc:
        raise HandbookError(f"the preview failed to build: {exc}") from None
    finally:
        if RENDERER is not None:
            RENDERER.stop()
            RENDERER = None
        logging.getLogger("mkdocs").removeHandler(handler)


def watch(server: Any, root: Path, docs: str) -> None:
    """Have MkDocs' server watch the handbook's sources instead of the docs folder the preview writes.

    MkDocs' own server polls what it watches every half second. This asks the system to tell of each change
    instead (inotify, FSEvents or ReadDirectoryChangesW, through watchdog, which MkDocs uses), so a rebuild
    starts as soon as a file is saved. Where the system refuses (its limit of watches is reached), the server
    polls as MkDocs does, and says so."""
    import watchdog.events as events
    import watchdog.observers

    changes = [events.FileCreatedEvent, events.FileModifiedEvent, events.FileAttribEvent, events.FileDeletedEvent,
               events.FileMovedEvent, events.FileClosedEvent]  # not a file opened or read: the build reads them

    class Notified(watchdog.observers.Observer):  # type: ignore[misc,valid-type]
        def schedule(self, handler: Any, path: Any, **options: Any) -> Any:
            return super().schedule(handler, path, **{**options, "event_filter": changes})

        def start(self) -> None:  # started here, before MkDocs' server starts it
            if not self.is_alive():
                super().start()

    server.unwatch(docs)  # we write it
    paths = [str(root / name) for name in WATCHED if (root / name).exists()]
    paths += [path for path, count in server._watched_paths.items() for _ in range(count)]  # mkdocs.yml's
    polling = server.observer
    for path in set(server._watched_paths):
        while path in server._watched_paths:
            server.unwatch(path)
    server.observer = Notified()
    try:
        for path in paths:
            server.watch(path)
        server.observer.start()
    except OSError as exc:
        logging.getLogger("mkdocs").info(f"Watching by polling every half second: {exc.strerror or exc}")
        server.observer.stop()
        server.observer, server._watched_paths, server._watch_refs = polling, {}, {}
        for path in paths:
            server.watch(path)


@dataclass
class Preview:
    """What one rendering of the previewed language found: its problems as `(level, text)`, and what MkDocs'
    config takes from the content (`site.mkdocs_settings`)."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    errors: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    everything: str = ""  # why every page is built again (what all of them show changed), if it is
    rest: bool = False  # only the saved files' own pages were written: the rest is to follow (`preview`)


ERRORS: list[str] = []  # the content errors of the last rendering: the preview shows them on every page
SETTINGS: dict[str, Any] = {}  # what MkDocs' config took from the content at the last rendering without errors


def preview(root: Path, lang: str, docs: Path, commands: Any = None, first: bool = False) -> Preview:
    """Load, check and render `lang` into `docs` again, with the open data and schemas the data page links
    to (the preview serves the language at the root of the server, where `data/` and `../schema/` both
    resolve inside it). Content with errors renders nothing: the preview stays as it was. `commands`, the
    `handbook` Click group, is documented on the command-line reference page.

    `first`: when what changed since the last rendering is only case, recipe or toolkit files, write just
    their own pages and say that the `rest` is to follow (the preview shows a saved file's page first, and
    the pages that list or cite it, the open data and the schemas a moment later, with another `preview`)."""
    from .export import write_site_data
    from .render import render_language
    from .schema import write_schemas
    from .site import mkdocs_settings
    from .speed.caches import ParseCache, folder

    parsed = _PARSED.get(root)
    if parsed is None:
        caches = folder(root)  # None when the repository holds a build/ folder: its caches are not trusted
        parsed = _PARSED[root] = ParseCache(caches.parent / "serve" / "parsed.marshal" if caches else None)
    parsed.used, parsed.changed = {}, set()
    parsed.validated = {} if parsed.validated is None else parsed.validated
    mark("preview: loading")
    book = load_handbook(root, parsed, strict=False)  # the preview is not strict: a bad link is a warning
    mark("preview: loaded")
    parsed.save()
    parsed.entries = parsed.used  # what the next save finds unchanged, kept in memory
    result = Preview([(problem.level, problem.as_text()) for problem in book.problems], len(book.errors))
    if book.errors:
        return result
    result.settings = mkdocs_settings(book, lang)
    shared = _shared_digest(root, lang, result.settings)
    kept = _KEPT.setdefault(docs, {})
    saved = parsed.changed
    if first and saved and _SHARED.get(docs) == shared and all(_has_page(path) for path in saved):
        render_language(book, lang, docs, print_links=False, commands=commands, kept=kept, only=saved)
        result.rest = True
        mark("preview: rendered")
        return result
    render_language(book, lang, docs, print_links=False, commands=commands, kept=kept)
    mark("preview: rendered")
    write_site_data(book, lang, docs / "data")
    vocabulary = book.vocabulary.model_dump_json()  # the schemas list its values
    if _SCHEMAS.get(docs) != vocabulary or not (docs / "schema").is_dir():
        write_schemas(root, docs / "schema", book.vocabulary)
        _SCHEMAS[docs] = vocabulary
    mark("preview: data written")
    result.everything = _everything(docs, shared)
    return result


def _has_page(path: str) -> bool:
    """Whether a content file has a page of its own (a case, recipe or toolkit, or a translation of one)."""
    return path.rpartition("/")[0] in FOLDERS.values()


_SHARED: dict[Path, str] = {}  # docs folder -> the digest of what every page shows, at its last rendering


def _shared_digest(root: Path, lang: str, settings: dict[str, Any]) -> str:
    """The digest of what every page shows: the navigation and names from the settings, the theme overrides,
    the base `mkdocs.yml` and the language's UI catalogue."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in [root / "mkdocs.yml", *sorted((root / "templates" / "overrides").rglob("*")),
                 *sorted((root / "templates" / "locales" / lang).rglob("*.po"))]:
        if path.is_file():
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _everything(docs: Path, shared: str) -> str:
    """MkDocs builds again only the pages whose Markdown changed; when something every page shows changed
    (`_shared_digest`), every page is marked changed, and this says why. The first rendering of a preview
    builds everything anyway: MkDocs serves from a new, empty folder."""
    before, _SHARED[docs] = _SHARED.get(docs), shared
    if before is None or before == shared:
        return ""
    now = time.time()
    for page in docs.rglob("*"):
        if page.is_file():
            os.utime(page, (now, now))
    return "the settings, theme or mkdocs.yml changed: building every page again"


_PARSED: dict[Path, Any] = {}  # the parse cache of each previewed handbook, kept between saves
_SCHEMAS: dict[Path, str] = {}  # docs folder -> the vocabulary its schemas were written with
_KEPT: dict[Path, dict[str, str]] = {}  # docs folder -> what its case pages show (`render.Renderer.inputs`)


class Renderer:
    """The process that runs `preview` for the hooks, one save after another."""

    def __init__(self, pid: int, connection: Connection) -> None:
        self.pid, self.connection = pid, connection

    @classmethod
    def start(cls, root: Path, lang: str, commands: Any) -> Renderer:
        return cls(*fork(lambda connection: _render_on_request(connection, root, lang, commands)))

    def render(self, docs: Path, first: bool = False) -> Preview:
        """`preview` in the renderer's process; its error, if any, is raised here."""
        try:
            self.connection.send((str(docs), first))
            ok, value = self.connection.recv()
        except (EOFError, OSError):
            raise HandbookError("the preview's renderer stopped; restart `handbook serve`") from None
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        end(self.pid, self.connection)


RENDERER: Renderer | None = None  # the running preview's renderer (the hooks ask it; without it they render)


def _render_on_request(connection: Connection, root: Path, lang: str, commands: Any) -> None:
    while True:
        try:
            docs, first = connection.recv()
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, preview(root, lang, Path(docs), commands, first))
        except HandbookError as exc:
            answer = (False, exc)
        except Exception:  # noqa: BLE001 - a bug: its traceback goes to the preview, which shows it
            answer = (False, RuntimeError(traceback.format_exc()))
        connection.send(answer)


def _terminal_log() -> logging.Handler:
    """MkDocs' messages (the address, rebuilds, warnings) on the terminal, as `mkdocs serve` shows them."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler
