"""Offline once visited: each language's site gets a service worker (`<lang>/sw.js`, from
`templates/offline/sw.js`) that keeps the site's own files in a cache named after the build.

On installation it keeps every page and the search index, unless they weigh more than `BUDGET` (a handbook of
hundreds of cases): then it keeps what every page and a first search need, the home page and each section's
index, and every other file once a reader has opened it.

Its version is a digest of every file of the language's site, so a build that changes anything writes a new
worker, which replaces the old one and deletes its cache; an unchanged build writes the same bytes. The pages
register it (`templates/overrides/main.html`); the live preview does not."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .errors import HandbookError
from .templating import template_file

WORKER = "sw.js"
TEMPLATE = f"templates/offline/{WORKER}"
TOKEN = "var OFFLINE = HANDBOOK_OFFLINE;"
# every page, its styles and scripts, and the search index (Pagefind's library, its language's WebAssembly, its
# meta file, index chunks, fragments and facets)
PRECACHED = (".html", ".css", ".js", ".json", ".svg", ".pagefind", ".pf_meta", ".pf_index", ".pf_fragment",
             ".pf_filter")
BUDGET = 8_000_000  # bytes kept on installation; a larger site keeps its shell, and each file when it is opened
SHELL = (".css", ".js", ".json", ".svg", ".pagefind", ".pf_meta")  # what every page and a first search need


def _files(folder: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every file of a language's site, '/'-separated and relative to it, in a stable order (not the worker),
    but for the folders `skip` names."""
    found = []
    for parent, dirs, names in os.walk(folder):
        if parent == str(folder):
            dirs[:] = [name for name in dirs if f"{name}/" not in skip]
        dirs.sort()
        base = Path(parent).relative_to(folder).as_posix()
        found += [name if base == "." else f"{base}/{name}" for name in sorted(names)]
    return [path for path in found if path != WORKER]


def service_worker(root: Path, folder: Path, name: str = "", skip: tuple[str, ...] = ()) -> str:
    """The worker for the language site in `folder`: its version, and the files kept on installation. Its caches
    are named after the language (`name`, the folder's by default), so that the workers of two languages a reader
    visited never delete each other's. The root's worker (`ROOT`) leaves the language folders (`skip`) alone."""
    files = _files(folder, skip)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.encode() + b"\0" + hashlib.sha256((folder / path).read_bytes()).digest())
    template = template_file(root, "offline", WORKER).decode("utf-8")
    digest.update(template.encode())
    kept = [path for path in files if path.endswith(PRECACHED) and not path.endswith(".map")]
    if sum((folder / path).stat().st_size for path in kept) > BUDGET:  # a phone should not fetch a whole large site
        kept = [path for path in kept if path.endswith(SHELL) or path.rpartition("/")[2] == "index.html"
                or "/" not in path]
    settings = json.dumps({"name": name or folder.name, "version": digest.hexdigest()[:16], "files": ["./", *kept],
                           "skip": list(skip)}, separators=(",", ":"))
    if TOKEN not in template:
        raise HandbookError(f"{TEMPLATE} must hold the line {TOKEN!r}: the build writes the version there")
    return template.replace(TOKEN, f"var OFFLINE = {settings};", 1)


ROOT = "root"  # the name of the root page's worker: no language is called so


def write_service_workers(root: Path, site: Path, langs: list[str]) -> None:
    """Write `<lang>/sw.js` for each language built into `site`, then the root's `sw.js`: it keeps the page that
    leads to the languages (and the schemas), and leaves each language's folder to that language's worker."""
    for lang in langs:
        (site / lang / WORKER).write_text(service_worker(root, site / lang), encoding="utf-8")
    languages = tuple(sorted(f"{folder.name}/" for folder in site.iterdir() if (folder / WORKER).is_file()))
    (site / WORKER).write_text(service_worker(root, site, ROOT, languages), encoding="utf-8")
