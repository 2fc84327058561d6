"""Shared fixtures: a tiny handbook a test may change, and the `handbook` command run as a user runs it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# Debian's chromium, or Ubuntu's chromium-browser (`make test` installs it: .ci/packages)
CHROMIUM = Path(os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
                or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

Handbook = Callable[..., Result]


@pytest.fixture
def tiny_handbook(tmp_path: Path) -> Path:
    """A fresh copy of tests/fixtures/tiny: one case (with a Spanish translation), one recipe, one toolkit and a
    home page, which together pass `handbook check` with no problem at all."""
    return Path(shutil.copytree(FIXTURES / "tiny", tmp_path / "tiny"))


@pytest.fixture
def handbook() -> Handbook:
    """`handbook(root, "check", "--strict")` runs `handbook --root ROOT check --strict` in-process.

    Exceptions are not caught: a traceback fails the test, as it would fail a contributor."""

    def run(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, ["--root", str(root), *args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def edit() -> Callable[[Path, str, str], None]:
    """`edit(path, old, new)`: change one place in a content file, as a contributor would in an editor."""

    def replace(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return replace


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright: one for the whole session, shared by every browser
    test (Playwright's sync API runs one at a time)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
