"""`handbook init`: a local group's own handbook, as a complete repository that checks, builds and publishes
itself, and that can take the upstream handbook's later improvements with git.

When the handbook it starts from is a git repository, the new one is a clone of it (so `git pull upstream
main` merges later improvements into the group's edits); otherwise its files are copied. Either way it gets
its own `handbook.yml` (the group's language first), README (in that language), `.ci/run` and
`.gitattributes` (which keep those three files the group's own in a merge)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .errors import HandbookError
from .languages import unsupported, write_catalogue
from .scaffold import write_new
from .templating import environment, render

FORK_TEMPLATES = "templates/fork"
# never copied from a handbook that is not a git repository: what a build, a venv or a test run leaves behind,
# at its top level, and anywhere in it
LEFT_AT_TOP = (".git", ".venv", "site", "build", ".site-*", ".cache")
LEFT_ANYWHERE = ("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")
OWN_FILES = ("README.md", "handbook.yml", ".ci/run")  # the group's own: a merge of upstream keeps its version


def init_fork(source: Path, target: Path, toolkit: str, lang: str, place: str, group: str,
              paper: str | None = None, site_url: str | None = None) -> list[str]:
    """Make the group's handbook in `target`; returns what a user should know, one line each."""
    from .validate import load_handbook

    book = load_handbook(source)
    if book.errors:
        raise HandbookError(f"the handbook in {source} has errors; run `handbook check` there first")
    _check_options(book, toolkit, lang, place, group, site_url)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise HandbookError(f"{target} already exists and is not empty; nothing was written")
    notes = _clone(source, target) if _is_git_root(source) else _copy(source, target)
    settings = book.settings
    languages = [lang, *(code for code in settings.languages if code != lang)]
    values: dict[str, Any] = {"group": group, "place": place, "lang": lang, "toolkit": toolkit, "languages": languages,
              "title": f"{settings.text(settings.title, lang)}: {place}", "site_url": site_url,
              "description": settings.text(settings.description, lang), "licence": settings.licence,
              "paper": paper or settings.paper, "upstream": settings.repo_url or ""}
    _replace(target / "handbook.yml", _settings_text(values))
    _replace(target / "README.md", _readme(source, lang, values))
    _replace(target / ".ci" / "run", (source / FORK_TEMPLATES / "ci-run").read_text(encoding="utf-8"), mode=0o755)
    attributes = target / ".gitattributes"
    kept = "".join(f"/{name} merge=ours\n" for name in OWN_FILES)
    old = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    _replace(attributes, old + ("" if kept in old else kept))
    catalogue = write_catalogue(target, lang)
    if catalogue is not None:
        notes.append(f"{catalogue.relative_to(target)} holds the site's buttons and headings to translate into {lang}")
    return notes


def _check_options(book: Any, toolkit: str, lang: str, place: str, group: str, site_url: str | None) -> None:
    toolkits = book.toolkits
    if toolkit not in toolkits:
        raise HandbookError(f"{toolkit!r} is not a toolkit of this handbook; choose one of "
                            f"{', '.join(sorted(toolkits))}")
    why = unsupported(lang)
    if why:
        raise HandbookError(f"--lang: {why}")
    for name, value in (("--place", place), ("--group", group)):
        if not value.strip() or "\n" in value or len(value) > 2000:
            raise HandbookError(f"{name} must be one line of text")
    if site_url is not None and not re.fullmatch(r"https?://[^\s<>\"]+", site_url):
        raise HandbookError(f"--site-url {site_url!r} must be a full address, like "
                            "https://our-group.github.io/handbook/")


def _is_git_root(folder: Path) -> bool:
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True,
                             timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and Path(out.stdout.strip()).resolve() == folder.resolve()


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=300, check=False)


def _clone(source: Path, target: Path) -> list[str]:
    """A git clone of `source`, whose `upstream` remote is where `source` came from (its `origin`, or itself)."""
    notes = []
    if _git(source, "status", "--porcelain", "--untracked-files=no").stdout.strip():
        notes.append(f"note: {source} has changes that are not committed; the new handbook has its last commit only")
    origin = _git(source, "remote", "get-url", "origin").stdout.strip()
    cloned = subprocess.run(["git", "clone", "--quiet", "--origin", "upstream", "--", str(source.resolve()),
                             str(target)], capture_output=True, text=True, timeout=600, check=False)
    if cloned.returncode != 0:
        raise HandbookError(f"git could not copy {source} into {target}: {cloned.stderr.strip()}")
    if origin:
        _git(target, "remote", "set-url", "upstream", origin)
    _git(target, "config", "merge.ours.driver", "true")  # `.gitattributes`: the group's own files stay its own
    notes.append(f"{target} is a git clone; its remote `upstream` is {origin or source.resolve()}")
    return notes


def _copy(source: Path, target: Path) -> list[str]:
    top, anywhere = shutil.ignore_patterns(*LEFT_AT_TOP), shutil.ignore_patterns(*LEFT_ANYWHERE)

    def left(folder: str, names: list[str]) -> set[str]:
        return anywhere(folder, names) | (top(folder, names) if Path(folder) == source else set())

    shutil.copytree(source, target, symlinks=True, ignore=left, dirs_exist_ok=True)
    return [f"note: {source} is not a git repository, so its files were copied; to take later improvements with "
            "`git pull`, make your handbook from a clone of the upstream repository instead"]


def _replace(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a file of the new handbook: the copy from upstream, if any, is replaced (it is the group's own now)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    write_new(path, text)
    os.chmod(path, mode)


SETTINGS = """\
# yaml-language-server: $schema=schema/handbook.schema.json
# The settings of {group}'s handbook, made by `handbook init`. Edit freely; run `handbook check` after.
title: {title}
description: {description}
languages: [{languages}]  # the first is the language of new content and of `handbook serve`
publish: [{lang}]              # the languages the site publishes (`handbook i18n add LANG` adds one)
licence: {licence}
paper: {paper}                 # your usual paper, a4 or letter (both are built)
place: {place}
group: {group_json}
toolkit: {toolkit}             # the toolkit featured on the home page
{site_url}# repo_url: https://github.com/OUR-NAME/OUR-HANDBOOK   # your repository, for "edit this page" links
# How your group's name and your place read after a word like "de" or "en", in each language: translations
# write {{group:de}} or {{place:en}}; without a form here, the word is put before the name ("de {group_name}").
# group_forms:
#   {lang}: {{de: "de {group_name}", en: "en {group_name}"}}
"""


def _settings_text(values: dict[str, Any]) -> str:
    site_url = values["site_url"]
    return SETTINGS.format(
        group=values["group"], group_name=values["group"], title=json.dumps(values["title"], ensure_ascii=False),
        description=json.dumps(values["description"] or values["title"], ensure_ascii=False),
        languages=", ".join(values["languages"]), lang=values["lang"],
        licence=values["licence"], paper=values["paper"], place=json.dumps(values["place"], ensure_ascii=False),
        group_json=json.dumps(values["group"], ensure_ascii=False), toolkit=values["toolkit"],
        site_url=f"site_url: {json.dumps(site_url)}  # where the site is published\n" if site_url else
        "# site_url: https://OUR-NAME.github.io/OUR-HANDBOOK/   # where you publish it: canonical links and PDFs\n")


def _readme(source: Path, lang: str, values: dict[str, Any]) -> str:
    """The group's README, in its language when a template for it exists (else in English)."""
    folder = source / FORK_TEMPLATES
    name = next((f"README.{code}.md.j2" for code in (lang, lang.split("-")[0], "en")
                 if (folder / f"README.{code}.md.j2").is_file()), None)
    if name is None:
        raise HandbookError(f"{FORK_TEMPLATES}/README.en.md.j2 is missing; it is part of the tool")
    env = environment(source, "fork", lang, autoescape=False)
    return render(env, "fork", name, **values)
