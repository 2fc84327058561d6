"""`make build` and `make test` on a fresh machine: the Debian packages they need are installed when this user
may (root, or sudo without a password), else make stops at once with one line naming them.

The machine's own packages are left alone: `make` runs with a PATH of stand-ins for dpkg-query, apt-cache,
apt-get, sudo and id, which play a machine with some packages missing and record what would be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")
TEST_PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core", "fonts-noto-core",
                 "libharfbuzz-subset0", "default-jre-headless", "chromium", "poppler-utils"]
STANDINS = {
    # installed packages are listed in $MACHINE/installed, the release's packages in $MACHINE/known
    "dpkg-query": 'grep -qx "$3" "$MACHINE/installed" && printf "install ok installed"',
    "apt-cache": 'grep -qx "$2" "$MACHINE/known"',
    "id": 'echo "$MACHINE_UID"',
    "apt-get": 'echo "apt-get $*" >> "$MACHINE/log"; [ ! -e "$MACHINE/apt-fails" ]',
    "python3": '[ ! -e "$MACHINE/no-venv" ]',
}
SUDO = 'echo "sudo $*" >> "$MACHINE/log"; [ "$1" = -n ] && shift; [ "$1" = true ] || "$@"'


class Machine:
    """A fresh machine as the stand-ins play it."""

    def __init__(self, folder: Path, installed: list[str], uid: int = 1000, sudo: bool = False) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        (folder / "installed").write_text("".join(f"{p}\n" for p in installed), encoding="utf-8")
        (folder / "known").write_text("".join(f"{p}\n" for p in TEST_PACKAGES), encoding="utf-8")
        self.uid = uid
        for name, script in {**STANDINS, **({"sudo": SUDO} if sudo else {})}.items():
            path = self.bin / name
            path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
            path.chmod(0o755)
        for tool in ("sh", "grep", "env", "printf"):  # the real ones
            found = shutil.which(tool)
            assert found
            (self.bin / tool).symlink_to(found)

    def make(self, target: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": str(self.bin), "MACHINE": str(self.folder), "MACHINE_UID": str(self.uid), "HOME": "/"}
        assert MAKE is not None
        return subprocess.run([MAKE, "--no-print-directory", "-C", str(ROOT), target, f"PYTHON={self.bin}/python3"],
                              capture_output=True, text=True, env=env, check=False)

    @property
    def log(self) -> list[str]:
        path = self.folder / "log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


STOP = re.compile(r"^Makefile:\d+: \*\*\* (.*)\.  Stop\.\n$")


def test_nothing_is_installed_or_said_when_every_package_is_there(tmp_path: Path) -> None:
    machine = Machine(tmp_path, TEST_PACKAGES)
    done = machine.make("system-test")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert machine.log == []


def test_without_root_or_sudo_make_stops_at_once_with_one_line_naming_the_packages(tmp_path: Path) -> None:
    machine = Machine(tmp_path, TEST_PACKAGES[:-2])
    done = machine.make("system-test")
    assert done.returncode == 2 and done.stdout == ""
    stop = STOP.match(done.stderr)
    assert stop, done.stderr
    assert stop.group(1) == ("missing Debian packages: chromium poppler-utils; install them with `sudo apt-get "
                             "install chromium poppler-utils` (or run make as root), then run make again")
    assert machine.log == []


def test_make_test_stops_before_anything_else_runs(tmp_path: Path) -> None:
    machine = Machine(tmp_path, TEST_PACKAGES[:-1])
    done = machine.make("test")
    assert done.returncode == 2
    assert STOP.match(done.stderr), done.stderr  # the one line, and no lint or pytest before it
    assert "poppler-utils" in done.stderr and "ruff" not in done.stdout + done.stderr


def test_with_sudo_the_missing_packages_are_installed(tmp_path: Path) -> None:
    machine = Machine(tmp_path, TEST_PACKAGES[:-2], sudo=True)
    done = machine.make("system-test")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "Installing the Debian packages chromium poppler-utils"
    assert machine.log == [
        "sudo -n true",
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get update -qq",
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium "
        "poppler-utils",
        "apt-get install -y -qq --no-install-recommends chromium poppler-utils",
    ]


def test_as_root_apt_get_installs_them_and_a_build_needs_fewer(tmp_path: Path) -> None:
    machine = Machine(tmp_path, [], uid=0)
    (tmp_path / "no-venv").touch()
    done = machine.make("system-build")
    assert done.returncode == 0, done.stderr
    assert machine.log == ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends python3-venv "
                           "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core libharfbuzz-subset0"]


def test_libharfbuzz_subset_is_installed_with_the_others_where_the_release_has_it(tmp_path: Path) -> None:
    """It only makes WeasyPrint faster (worksheets are the same bytes every time without it): it never stops
    make, nor starts an installation alone, and is left out where the release does not have it."""
    machine = Machine(tmp_path, [p for p in TEST_PACKAGES if p != "libharfbuzz-subset0"])
    assert machine.make("system-test").returncode == 0 and machine.log == []
    older = Machine(tmp_path / "older", [p for p in TEST_PACKAGES if p not in ("libharfbuzz-subset0", "chromium")],
                    uid=0)
    (tmp_path / "older" / "known").write_text("chromium\npoppler-utils\n", encoding="utf-8")
    done = older.make("system-test")
    assert done.returncode == 0, done.stderr
    assert older.log == ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends chromium"]


def test_when_apt_get_fails_make_stops_with_one_line(tmp_path: Path) -> None:
    machine = Machine(tmp_path, TEST_PACKAGES[:-1], uid=0)
    (tmp_path / "apt-fails").touch()
    done = machine.make("system-test")
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1] + "\n"
    stop = STOP.match(last)
    assert stop and stop.group(1) == ("could not install the Debian packages poppler-utils (apt-get says why "
                                      "above); install them, then run make again"), done.stderr


def test_ci_installs_only_make_and_python_itself_and_leaves_the_rest_to_make_test() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run.rstrip().endswith("make test")
    assert "chromium" not in run and os.access(ROOT / ".ci" / "packages", os.X_OK)
