"""`handbook new`: commented skeletons that become valid once their TODOs are replaced; never overwrite."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
from pathlib import Path

import yaml

from . import i18n
from .errors import HandbookError
from .load import LoadError, load_yaml
from .models import LANG_PATTERN, OVERLAYS, SLUG_PATTERN
from .validate import FOLDERS, SETTINGS_FILE

CASE = """\
# yaml-language-server: $schema=../../schema/case.schema.json
# A case study. Replace every TODO, then run `handbook check`.
# Every outcome and challenge cites at least one source listed at the bottom;
# tell the case fairly: at least two challenges (limits, criticism, decline).
title: "TODO: the title, in plain text"
summary: "TODO: one or two sentences shown on the case's card"
place:
  name: "TODO: town or region"
  country: TODO               # ISO 3166-1 alpha-2 code, like BR, ES, GB
  # region: ...
  # lat: 0.0
  # lon: 0.0
period:
  start: TODO                 # the year it began, like 1989
  # end: 2010                 # leave out while it still runs
scale: city                   # institution, neighbourhood, city, region, national, international
sectors: [community]          # see handbook/vocabulary.yaml
models: [participatory-budgeting]
story: |
  TODO: what happened, in order. Markdown, no HTML.
decisions: |
  TODO: how decisions are made: who takes part, how, how often.
outcomes:
  - text: "TODO: one thing it achieved"
    sources: [first-source]
challenges:
  - text: "TODO: one criticism or limit"
    sources: [first-source]
  - text: "TODO: another criticism or limit"
    sources: [first-source]
lessons:
  - "TODO: what a local group can take from it"
recipes: []                   # slugs of recipes in handbook/recipes/
related: []                   # slugs of other case studies
sources:
  - id: first-source
    title: "TODO: the title of a book, report, article or page that really exists"
    author: "TODO: author or organisation"
    year: TODO                # the year it was published
    # publisher: ...
    # url: https://...
    kind: book                # book, report, article, web, video, law
reviewed: TODO                # the day you last checked the facts against the sources: YYYY-MM-DD
contributors: []
"""

RECIPE = """\
# yaml-language-server: $schema=../../schema/recipe.schema.json
# An action recipe. Replace every TODO, then run `handbook check`.
# Text may use {{institution}}, {{place}} and {{group}}: they are filled in for each toolkit and fork.
title: "TODO: what it helps people do"
summary: "TODO: one or two sentences shown on the recipe's card"
goal: |
  TODO: what the group has at the end.
time: "TODO: like 2 hours, then monthly"
people: "6-20"
difficulty: starter           # starter, intermediate or advanced
principles: [inclusion]       # see handbook/vocabulary.yaml
you_need:
  - "TODO: something to bring"
steps:
  - title: "TODO: the first step"
    time: 20 minutes
    text: |
      TODO: what to do, for someone who has never organised anything.
    worksheet: first-sheet
pitfalls:
  - pitfall: "TODO: what tends to go wrong"
    remedy: "TODO: what to do about it"
evidence: []                  # slugs of case studies where this worked, or failed
worksheets:
  - id: first-sheet
    title: "TODO: the sheet's title"
    blocks:
      - fields: [Date, Place, Facilitator]
      - prompt: {{text: "TODO: a question to answer", lines: 4}}
"""

TOOLKIT = """\
# yaml-language-server: $schema=../schema/toolkit.schema.json
# A toolkit: the path of recipes for one kind of place. Replace every TODO, then run `handbook check`.
title: "TODO: Start it at your ..."
institution: "TODO: the word for the place, like library"
summary: "TODO: one or two sentences shown on the card"
intro: |
  TODO: why start here, and what to expect.
stakeholders:
  - "TODO: everyone affected, one per line"
  - "TODO: including the people who are easy to forget"
decisions:
  - "TODO: something such a group can really decide"
recipes: [who-is-missing]     # the path: recipe slugs, in order
cases: []
"""

SKELETONS = {"case": CASE, "recipe": RECIPE, "toolkit": TOOLKIT}


def new_file(root: Path, kind: str, slug: str) -> Path:
    """Write a skeleton for a new case, recipe or toolkit; refuses a bad slug or an existing file."""
    if not re.fullmatch(SLUG_PATTERN, slug) or len(slug) > 64:
        raise HandbookError(f"{slug!r} is not a valid slug: use lowercase letters, digits and single hyphens, "
                            "at most 64 characters (like porto-alegre)")
    _require_handbook(root)
    path = root / FOLDERS[kind] / f"{slug}.yaml"
    text = SKELETONS[kind].format(today=datetime.date.today().isoformat())
    write_new(path, text)
    return path


def new_translation(root: Path, lang: str, source: Path) -> Path:
    """Write a translation overlay skeleton for `source` with `translated_from` filled in."""
    if not re.fullmatch(LANG_PATTERN, lang):
        raise HandbookError(f"{lang!r} is not a language code (like es or pt-BR)")
    languages = _languages(root)
    if lang not in languages[1:]:
        raise HandbookError(f"{lang!r} is not one of the handbook's translated languages "
                            f"({', '.join(languages[1:]) or 'none yet'}); add it to `languages` in handbook.yml first")
    shown = source
    source = source if source.is_absolute() else Path.cwd() / source
    kind = _kind_of(root, source)
    parts = source.name.split(".")
    if len(parts) != 2:
        raise HandbookError(f"{shown} is already a translation; give the source file (like {parts[0]}.yaml)")
    try:
        doc = load_yaml(source, root)
    except LoadError as exc:
        raise HandbookError(f"{exc.problem.as_text()}\nfix the source file first") from None
    overlay = i18n.extract(doc.data, OVERLAYS[kind])
    header = (f"# yaml-language-server: $schema={_schema_rel(kind)}\n"
              f"# Translation of {source.name} into {lang}. Translate the text; keep the structure and the\n"
              "# number of items. `translated_from` tells the handbook which version of the source this is.\n")
    body = yaml.dump({"translated_from": i18n.digest(kind, doc.data), **overlay}, Dumper=_Dumper,
                     allow_unicode=True, sort_keys=False, width=100)
    path = shown.with_name(f"{parts[0]}.{lang}.yaml")
    write_new(path, header + body)
    return path


class _Dumper(yaml.SafeDumper):
    """Writes text of several lines as a `|` block, the way contributors write it."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def _require_handbook(root: Path) -> None:
    if not (root / SETTINGS_FILE).is_file():
        raise HandbookError(f"no {SETTINGS_FILE} in {root.resolve()}; run this in a handbook's folder or pass --root")


def _languages(root: Path) -> list[str]:
    """The handbook's languages from handbook.yml (the first is the source language)."""
    _require_handbook(root)
    try:
        data = load_yaml(root / SETTINGS_FILE, root).data
    except LoadError as exc:
        raise HandbookError(f"{exc.problem.as_text()}\nfix {SETTINGS_FILE} first") from None
    languages = data.get("languages") if isinstance(data, dict) else None
    return [str(lang) for lang in languages] if isinstance(languages, list) else ["en"]


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as `|` blocks, so a translator sees paragraphs, not escaped newlines."""


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_BlockDumper.add_representer(str, _str_presenter)


def _kind_of(root: Path, source: Path) -> str:
    for kind, folder in FOLDERS.items():
        if source.parent.resolve() == (root / folder).resolve():
            return kind
    raise HandbookError(f"{source} is not a case, recipe or toolkit file (in {', '.join(FOLDERS.values())})")


def _schema_rel(kind: str) -> str:
    depth = FOLDERS[kind].count("/") + 1
    return "../" * depth + f"schema/{kind}-translation.schema.json"


def write_new(path: Path, text: str) -> None:
    """Create `path` with `text`, failing if anything already exists there (even a dangling symlink)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise HandbookError(f"{path} already exists; nothing was written") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


FORK_PARTS = ("handbook", "toolkits", "templates", "schema", "mkdocs.yml", "babel.cfg")

FORK_SETTINGS = """\
# yaml-language-server: $schema=schema/handbook.schema.json
# The settings of this local handbook, made by `handbook init` for {group}.
# Edit freely; run `handbook check` after.
title: {title}
description: {description}
languages: {languages}          # the first is the language the content is written in; all keep being checked
publish: [{lang}]               # the languages this site publishes
complete_languages: []
licence: {licence}
paper: {paper}
place: {place}
group: {group_json}
toolkit: {toolkit}              # the toolkit featured on the home page
# site_url: https://...         # where you publish it: fills links in the printed worksheets
# repo_url: https://...         # your repository: for "edit this page" links
"""


def init_fork(source: Path, target: Path, toolkit: str, lang: str, place: str, group: str,
              paper: str | None = None) -> list[Path]:
    """Write a ready-to-publish local handbook into `target`: content, templates and settings."""
    from .validate import load_handbook

    book = load_handbook(source)
    if book.errors:
        raise HandbookError(f"the handbook in {source} has errors; run `handbook check` there first")
    if toolkit not in book.toolkits:
        raise HandbookError(f"{toolkit!r} is not a toolkit of this handbook; choose one of "
                            f"{', '.join(sorted(book.toolkits))}")
    if lang not in book.settings.languages:
        raise HandbookError(f"{lang!r} is not a language of this handbook; choose one of "
                            f"{', '.join(book.settings.languages)}")
    for name, value in (("--place", place), ("--group", group)):
        if not value.strip() or "\n" in value:
            raise HandbookError(f"{name} must be one line of text")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise HandbookError(f"{target} already exists and is not empty; nothing was written")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for part in FORK_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, target / part, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
            written.append(target / part)
        elif src.is_file():
            shutil.copyfile(src, target / part)
            written.append(target / part)
    settings = book.settings
    languages = settings.languages  # every translation stays valid; `publish` picks what is built
    title = settings.text(settings.title, lang)
    text = FORK_SETTINGS.format(
        group=group, title=json.dumps(f"{title}: {place}", ensure_ascii=False),
        description=json.dumps(settings.text(settings.description, lang) or title, ensure_ascii=False),
        languages=json.dumps(languages), lang=lang, licence=settings.licence, paper=paper or settings.paper,
        place=json.dumps(place, ensure_ascii=False), group_json=json.dumps(group, ensure_ascii=False),
        toolkit=toolkit)
    write_new(target / "handbook.yml", text)
    written.append(target / "handbook.yml")
    return written
