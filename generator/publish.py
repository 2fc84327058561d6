"""Publishing a build: it is made in a staging folder beside `site/`, which replaces `site/` in one rename
once everything is there (a failed build leaves the previous `site/` untouched); and what a build must never
publish (a symbolic link, unreadable files, a wall-clock date)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import HandbookError
from .load import display_path


def staging_folder(root: Path) -> Path:
    """A new, empty folder beside `site/` for the build to write into."""
    staging = Path(tempfile.mkdtemp(prefix=".site-new-", dir=root))
    staging.chmod(0o755)  # mkdtemp makes it private: a web server running as another user could not read it
    return staging


def source_date_epoch(root: Path) -> str:
    """SOURCE_DATE_EPOCH if set; else the last commit's time; else 0. No wall-clock time reaches the site."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True,
                             timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "0"


def refuse_links(folder: Path, root: Path, why: str) -> None:
    """Raise when `folder` is, or holds, a symbolic link: a link could bring any file of the machine into the site."""
    links = [folder] if folder.is_symlink() else []
    for parent, dirs, files in os.walk(folder):  # a linked folder is listed, never entered
        links += [Path(parent, name) for name in sorted(dirs + files) if os.path.islink(os.path.join(parent, name))]
    if links:
        names = ", ".join(display_path(link, root) for link in links[:5]) + (", ..." if len(links) > 5 else "")
        raise HandbookError(f"{names}: symbolic link{'s are' if len(links) > 1 else ' is'} not allowed here; {why}")


def kept_languages(published: list[str], langs: list[str], site: Path) -> list[str]:
    """The published languages this build does not build but the current site has: kept as they are."""
    return [lang for lang in published if lang not in langs and (site / lang).is_dir()
            and not (site / lang).is_symlink()]


PRINTED = ("worksheets", "handouts", "book")  # the folders of PDFs a build without worksheets keeps from the last one


def keep(site: Path, staging: Path, kept: list[str], no_worksheets: list[str]) -> None:
    """Copy into the new site what a build of some languages (or without worksheets) does not make again: the
    other languages' sites, and the worksheets, handouts and books of the languages built without them."""
    for lang in kept:
        shutil.copytree(site / lang, staging / lang, symlinks=True)
    for lang in no_worksheets:
        for folder in PRINTED:
            sheets = site / lang / folder
            if sheets.is_dir() and not sheets.is_symlink() and not (staging / lang / folder).exists():
                shutil.copytree(sheets, staging / lang / folder, symlinks=True)


def world_readable(folder: Path) -> None:
    """Folders 0755 and files 0644 throughout: whoever serves or copies the site can read all of it."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(parent, name), 0o755, follow_symlinks=False)
        for name in files:
            path = os.path.join(parent, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


def merge(source: Path, target: Path) -> None:
    """Move every file of `source` to the same place under `target` (no file is ever replaced), then drop it."""
    for item in sorted(source.iterdir()):
        if item.is_dir() and (target / item.name).is_dir():
            merge(item, target / item.name)
        elif (target / item.name).exists():
            raise HandbookError(f"{display_path(target / item.name, target)} was written twice (this is a bug)")
        else:
            os.rename(item, target / item.name)
    source.rmdir()


def swap(staging: Path, site: Path) -> None:
    """Put the new site in place: rename the old one aside, rename the new one in, then delete the old."""
    old = None
    if site.exists() or site.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=".site-old-", dir=site.parent))
        os.rename(site, old / "site")
    try:
        os.rename(staging, site)
    except OSError:
        if old is not None:
            os.rename(old / "site", site)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
