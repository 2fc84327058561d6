"""Helpers shared by the site and browser tests: a copy of the real handbook, built once per test session,
a local web server for a built site, and what a test of a running server needs (a free port, a page's bytes,
waiting for a condition)."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import json
import shutil
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

REPO = Path(__file__).resolve().parent.parent
PARTS = ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates")
_built: dict[str, Path] = {}


def copy_source(target: Path) -> Path:
    """The repository's handbook (settings, content, templates), to build or change without touching it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


def with_templates(root: Path) -> Path:
    """A fixture handbook (which has only content) given the repository's templates and MkDocs settings."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


def handbook(root: Path, *args: str) -> Result:
    """`handbook --root ROOT ARGS...`, in-process, as a user runs it."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def built_handbook(factory: pytest.TempPathFactory) -> Path:
    """The real handbook copied into a temporary folder and built (no worksheets), once per session."""
    if "root" not in _built:
        root = copy_source(factory.mktemp("handbook") / "book")
        result = handbook(root, "build", "--no-worksheets")
        assert result.exit_code == 0, result.output
        _built["root"] = root
    return _built["root"]


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` by its relative path, with the SHA-256 of its bytes."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def search_pages(site: Path, index: str | None = None) -> dict[str, dict]:
    """What a language's search index (`site/pagefind/` and its parts, generator/search.py) holds for each page,
    by its address in the site (`cases/mondragon.html`): `content` (its text), `meta` (title, kind) and `filters`
    (its facets). `index`: only the index in that folder of the site (`pagefind`, `pagefind/part-01`)."""
    pages = {}
    folders = [site / index] if index else [site / "pagefind", *sorted((site / "pagefind").glob("part-*"))]
    for path in [path for folder in folders for path in sorted((folder / "fragment").glob("*.pf_fragment"))]:
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd"), path
        fragment = json.loads(data[len(b"pagefind_dcd"):])
        pages[fragment["url"].lstrip("/")] = fragment
    return pages


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves a page stops the files it was still fetching: not a failure of the site (the
        standard server prints a traceback for it)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 on a free port; yields the base address (no trailing slash)."""
    server = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> bytes:
    """The bytes a local address answers with; nothing when it does not answer (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local address we started
            return bytes(response.read())
    except OSError:
        return b""


def wait_for(check: Callable[[], object], timeout: float = 90.0, every: float = 0.2) -> None:
    """Return once `check()` is true (an OSError counts as not yet); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(every)
    raise AssertionError("timed out")
