"""JSON Schema files generated from the models; committed under `schema/` and checked by a test.

The schemas are valid for any JSON Schema validator (patterns are ECMA-262 regular expressions, as the
standard asks), and the fields that take a vocabulary's values list them (`enum`), from the handbook's
`handbook/vocabulary.yaml`: an editor then refuses `scale: galaxy` as `handbook check` does. The open data
files (`data/cases.json`, `data/recipes.json`) have schemas of their own (`cases-data`, `recipes-data`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .load import LoadError, load_yaml
from .models import KINDS, OVERLAYS, VOCABULARY_FIELDS, Case, Recipe, Slug, Vocabulary
from .paths import VOCABULARY_FILE

SCHEMA_FOLDER = "schema"
BASE_ID = "https://civic-handbook.github.io/schema/"


class _Record(BaseModel):
    id: Slug = Field(description="The file's slug: the stable id of the entry.", examples=["porto-alegre"])
    url: str = Field(description="Its page on the site: absolute under the handbook's `site_url`, else relative to "
                     "the data file.", examples=["../cases/porto-alegre.html"])
    translation: Literal["source", "translated", "partial", "stale", "missing"] = Field(
        description="Its text in this language: source (written in it), translated, partial (some text not "
        "translated yet), stale (translated from an older version) or missing (in the language it is written in, "
        "which `lang` names).", examples=["translated"])


class CaseRecord(Case, _Record):
    """A case study in the open data: every field of its file, in the data's language, with its id and page."""


class RecipeRecord(Recipe, _Record):
    """A recipe in the open data: every field of its file, in the data's language, with its id and page."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    licence: str = Field(description="SPDX id of the licence of the data.", examples=["CC-BY-SA-4.0"])
    language: str = Field(description="The language of its text.", examples=["es"])
    schema_: str = Field(alias="schema", description="The name of this file's JSON Schema.")


class CasesData(_Data):
    """The open data file `data/cases.json`: every case study, in one language."""

    cases: list[CaseRecord]


class RecipesData(_Data):
    """The open data file `data/recipes.json`: every recipe, in one language."""

    recipes: list[RecipeRecord]


DATA = {"case": "cases-data", "recipe": "recipes-data"}  # the schema of each kind's open data file
_RECORDS = {"CaseRecord": "case", "RecipeRecord": "recipe"}


def all_models() -> dict[str, type[BaseModel]]:
    """Every schema's name and model: the content kinds, their translation overlays and the open data."""
    models: dict[str, type[BaseModel]] = dict(KINDS)
    models.update({f"{kind}-translation": model for kind, model in OVERLAYS.items()})
    models.update({DATA["case"]: CasesData, DATA["recipe"]: RecipesData})
    return models


def vocabulary_of(root: Path) -> Vocabulary | None:
    """The handbook's vocabulary, for the schemas' enums; None when it does not load (`check` says why)."""
    try:
        return Vocabulary.model_validate(load_yaml(root / VOCABULARY_FILE, root).data)
    except (LoadError, ValidationError):
        return None


def schema_text(name: str, vocabulary: Vocabulary | None = None) -> str:
    """The JSON Schema of one kind, as the bytes written to `schema/<name>.schema.json`."""
    model = all_models()[name]
    schema = model.model_json_schema()
    if vocabulary is not None:
        _enums(schema, name, vocabulary)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{BASE_ID}{name}.schema.json",
              **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _enums(schema: dict[str, Any], name: str, vocabulary: Vocabulary) -> None:
    """List the vocabulary's values in the fields that take them, wherever the schema describes a case or recipe."""
    targets = [(schema, name)] if name in VOCABULARY_FIELDS else []
    targets += [(found, _RECORDS[key]) for key, found in schema.get("$defs", {}).items() if key in _RECORDS]
    for target, kind in targets:
        for field, vocab in VOCABULARY_FIELDS[kind].items():
            values = sorted(getattr(vocabulary, vocab))
            prop = target["properties"][field]
            if values:
                (prop["items"] if prop.get("type") == "array" else prop)["enum"] = values


def write_schemas(root: Path, folder: Path | None = None, vocabulary: Vocabulary | None = None) -> list[Path]:
    """Write every schema file into `folder` (default: `root/schema/`), with the enums of `vocabulary` (default:
    the handbook's); returns the paths written."""
    folder = folder or root / SCHEMA_FOLDER
    vocabulary = vocabulary or vocabulary_of(root)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(all_models()):
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(name, vocabulary), encoding="utf-8")
        written.append(path)
    return written
