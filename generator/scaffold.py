"""`handbook new`: commented skeletons that become valid once their TODOs are replaced; never overwrite."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import yaml

from . import i18n
from .errors import HandbookError
from .load import LoadError, load_yaml, require_handbook
from .models import LANG_PATTERN, OVERLAYS, SLUG_PATTERN
from .paths import FOLDERS, SETTINGS_FILE

CASE = """\
# yaml-language-server: $schema=../../schema/case.schema.json
# A case study. Replace every TODO, then run `handbook check`.
# Every outcome and challenge cites at least one source listed at the bottom;
# tell the case fairly: at least two challenges (limits, criticism, decline).
lang: {lang}                     # the language you write it in (translations go in <slug>.<lang>.yaml)
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
# questions:                 # up to 3, for a meeting to discuss: what would this case mean for us?
#   - "TODO: a question for a meeting, drawn from what this file says"
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
# Back its central advice with at least one study or review (research and sources, below).
# Text may use {{institution}}, {{place}} and {{group}}: they are filled in for each toolkit and fork.
lang: {lang}                     # the language you write it in (translations go in <slug>.<lang>.yaml)
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
research:                     # what studies and reviews found about this advice, each citing a source below
  - text: "TODO: what a study or review found, in your own words"
    strength: mixed           # supported, mixed or thin: say where the evidence is mixed or thin
    sources: [first-study]
worksheets:
  - id: first-sheet
    title: "TODO: the sheet's title"
    blocks:
      - fields: [Date, Place, Facilitator]
      - prompt: {{text: "TODO: a question to answer", lines: 4}}
sources:                      # steps and pitfalls may cite them too: `sources: [first-study]`
  - id: first-study
    title: "TODO: the title of a study or review that really exists"
    author: "TODO: author or organisation"
    year: TODO                # the year it was published
    # publisher: ...
    # url: https://...
    kind: article             # book, report, article, web, video, law
"""

TOOLKIT = """\
# yaml-language-server: $schema=../schema/toolkit.schema.json
# A toolkit: the path of recipes for one kind of place. Replace every TODO, then run `handbook check`.
lang: {lang}                     # the language you write it in (translations go in <slug>.<lang>.yaml)
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
    require_handbook(root)
    path = root / FOLDERS[kind] / f"{slug}.yaml"
    text = SKELETONS[kind].format(today=datetime.date.today().isoformat(), lang=_languages(root)[0])
    write_new(path, text)
    return path


def new_translation(root: Path, lang: str, source: Path) -> Path:
    """Write a translation overlay skeleton for `source` with `translated_from` filled in."""
    if not re.fullmatch(LANG_PATTERN, lang):
        raise HandbookError(f"{lang!r} is not a language code (like es or pt-BR)")
    languages = _languages(root)
    if lang not in languages:
        raise HandbookError(f"{lang!r} is not one of the handbook's languages ({', '.join(languages)}); "
                            f"add it first: `handbook i18n add {lang}`")
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
    own = doc.data.get("lang") if isinstance(doc.data, dict) else None
    if lang == (own if isinstance(own, str) else languages[0]):
        raise HandbookError(f"{shown} is written in {lang!r} already; a translation goes into another language")
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




def _languages(root: Path) -> list[str]:
    """The handbook's languages from handbook.yml (the first is the source language)."""
    require_handbook(root)
    try:
        data = load_yaml(root / SETTINGS_FILE, root).data
    except LoadError as exc:
        raise HandbookError(f"{exc.problem.as_text()}\nfix {SETTINGS_FILE} first") from None
    languages = data.get("languages") if isinstance(data, dict) else None
    return [str(lang) for lang in languages] if isinstance(languages, list) else ["en"]


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
