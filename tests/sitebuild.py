"""Helpers shared by the site and browser tests: a copy of the real handbook, built once per test session,
and a local web server for a built site."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

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


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 on a free port; yields the base address (no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
