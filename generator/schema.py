"""JSON Schema files generated from the models; committed under `schema/` and checked by a test."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from .models import KINDS, OVERLAYS

SCHEMA_FOLDER = "schema"
BASE_ID = "https://civic-handbook.github.io/schema/"


def all_models() -> dict[str, type[BaseModel]]:
    """Every schema's name and model: the content kinds and their translation overlays."""
    models: dict[str, type[BaseModel]] = dict(KINDS)
    models.update({f"{kind}-translation": model for kind, model in OVERLAYS.items()})
    return models


def schema_text(name: str) -> str:
    """The JSON Schema of one kind, as the bytes written to `schema/<name>.schema.json`."""
    model = all_models()[name]
    schema = model.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{BASE_ID}{name}.schema.json",
              **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(root: Path) -> list[Path]:
    """Write every schema file under `root/schema/`; returns the paths written."""
    folder = root / SCHEMA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(all_models()):
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written
