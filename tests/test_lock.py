"""Builds that share a folder never step on each other: two builds take turns (the second says which one it
waits for, on one line), a preview runs beside a build, and a second preview of the same language stops at once.
Each command runs as a user runs it, in a process of its own, at the same time as the other."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from generator.lock import BUILD_LOCK

from sitebuild import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
HANDBOOK = str(Path(sys.executable).with_name("handbook"))
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1700000000"}
BUILD = ["build", "--jobs", "1", "--lang", "en", "--no-worksheets"]
WAITING = re.compile(r"^Waiting for `handbook build` \(process (\d+), started at \d\d:\d\d:\d\d\) to finish "
                     r"\(builds in one folder take turns\)$", re.M)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The tiny handbook with the repository's templates: a handbook that builds."""
    book = Path(shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", tmp_path / "tiny"))
    shutil.copytree(ROOT / "templates", book / "templates")
    shutil.copy(ROOT / "mkdocs.yml", book / "mkdocs.yml")
    return book


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([HANDBOOK, "--root", str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)



def holder(root: Path) -> str:
    """The process id written in the build lock by the build that holds it ("" before any build took it)."""
    path = root / BUILD_LOCK
    return path.read_text(encoding="utf-8").split("\n")[0] if path.is_file() else ""


def site_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root / "site").as_posix() for p in (root / "site").rglob("*") if p.is_file())


@pytest.mark.slow
def test_two_builds_at_once_take_turns_and_the_site_is_whole(root: Path) -> None:
    first = start(root, *BUILD)
    # the first holds the lock: it is building
    wait_for(lambda: holder(root) == str(first.pid), timeout=120, every=0.05)
    os.kill(first.pid, signal.SIGSTOP)  # held up, as by a slow machine, until the second has started
    try:
        second = start(root, *BUILD)
        assert second.stderr is not None
        told = second.stderr.readline()  # the first line it prints: which build it waits for
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out_first, err_first = first.communicate(timeout=300)
    out_second, err_second = second.communicate(timeout=300)
    err_second = told + err_second
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    assert "Traceback" not in err_first + err_second
    assert WAITING.findall(err_second) == [str(first.pid)], err_second
    assert out_first.startswith("Built 10 pages") and out_second.startswith("Built 10 pages")
    assert not list(root.glob(".site-*")), "a staging folder was left behind"
    built = site_files(root)
    assert {"index.html", "en/index.html", "en/cases/porto-alegre.html", "en/data/cases.json",
            "schema/case.schema.json"} <= set(built)
    # the site is what one build alone makes
    shutil.rmtree(root / "site")
    alone = start(root, *BUILD)
    assert alone.wait(timeout=300) == 0
    assert site_files(root) == built



def serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local address we started
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_a_build_runs_beside_a_preview_and_a_second_preview_stops_at_once(root: Path) -> None:
    port = free_port()
    preview = start(root, "serve", "--dev-addr", f"127.0.0.1:{port}")
    try:
        url = f"http://127.0.0.1:{port}/cases/porto-alegre.html"
        wait_for(lambda: serving(url))
        build = start(root, *BUILD)
        out, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
        assert "Waiting" not in err and "Traceback" not in err
        assert (root / "site" / "en" / "cases" / "porto-alegre.html").is_file()
        assert serving(url)  # the preview goes on
        again = start(root, "serve", "--dev-addr", f"127.0.0.1:{free_port()}")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 1
        assert re.fullmatch(rf"Error: `handbook serve --lang en` \(process {preview.pid}, started at \d\d:\d\d:\d\d\) "
                            r"is already running in this folder; stop it first, or use that one\n", err), err
    finally:
        preview.terminate()
        preview.wait(timeout=30)
