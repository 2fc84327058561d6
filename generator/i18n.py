"""Translation overlays: which text is translatable, its digest, and merging an overlay onto its source.

The overlay models in `models.py` are the single statement of what is translatable; everything
here walks them, so a new translatable field needs no change in this module.
"""

from __future__ import annotations

import hashlib
import json
import typing
from typing import Any

from pydantic import BaseModel

from .load import Document, Path_
from .models import OVERLAYS

META = frozenset({"translated_from"})


def _inner(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """('model' | 'list' | 'text', submodel) for an overlay field annotation `X | None`."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    target = args[0] if args else annotation
    if typing.get_origin(target) is list:
        item = typing.get_args(target)[0]
        return ("list", item if isinstance(item, type) and issubclass(item, BaseModel) else None)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return ("model", target)
    return ("text", None)


def _fields(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel] | None]]:
    return {name: _inner(f.annotation) for name, f in model.model_fields.items() if name not in META}


def extract(data: Any, model: type[BaseModel]) -> Any:
    """The translatable part of source data, in the source's structure."""
    if not isinstance(data, dict):
        return None
    out: dict[str, Any] = {}
    for name, (shape, sub) in _fields(model).items():
        value = data.get(name)
        if value is None:
            continue
        if shape == "model" and sub is not None:
            part = extract(value, sub)
            if part:
                out[name] = part
        elif shape == "list" and sub is not None and isinstance(value, list):
            out[name] = [extract(item, sub) or {} for item in value]
        else:
            out[name] = value
    return out


def digest(kind: str, data: Any) -> str:
    """First 12 hex digits of the SHA-256 of the source's translatable text."""
    text = json.dumps(extract(data, OVERLAYS[kind]), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def merge(source: Any, overlay: Any, model: type[BaseModel]) -> Any:
    """Source data with the overlay's text laid over it (what is left out stays as in the source)."""
    if not isinstance(source, dict) or not isinstance(overlay, dict):
        return source
    out = dict(source)
    for name, (shape, sub) in _fields(model).items():
        if name not in overlay or overlay[name] is None or name not in source:
            continue
        value = overlay[name]
        if shape == "model" and sub is not None:
            out[name] = merge(source[name], value, sub)
        elif shape == "list" and sub is not None and isinstance(source[name], list):
            out[name] = [merge(s, o, sub) for s, o in zip(source[name], value, strict=False)]
        else:
            out[name] = value
    return out


def structure_problems(source: Document, overlay: Document, kind: str) -> list[tuple[Path_, str]]:
    """Where an overlay's shape differs from its source: lists of other lengths, fields the source lacks."""
    found: list[tuple[Path_, str]] = []
    _compare(source.data, overlay.data, OVERLAYS[kind], (), found)
    return found


def _compare(src: Any, ovl: Any, model: type[BaseModel], loc: Path_, found: list[tuple[Path_, str]]) -> None:
    if not isinstance(src, dict) or not isinstance(ovl, dict):
        return
    for name, (shape, sub) in _fields(model).items():
        if name not in ovl or ovl[name] is None:
            continue
        here = (*loc, name)
        if name not in src or src[name] is None:
            found.append((here, "is translated but the source file has no such field"))
        elif shape == "list" and isinstance(ovl[name], list) and isinstance(src[name], list):
            if len(ovl[name]) != len(src[name]):
                found.append((here, f"has {len(ovl[name])} items but the source has {len(src[name])}; "
                                    "keep the same items in the same order"))
            elif sub is not None:
                for i, (s, o) in enumerate(zip(src[name], ovl[name], strict=True)):
                    _compare_item(s, o, sub, (*here, i), found)
        elif shape == "model" and sub is not None:
            _compare(src[name], ovl[name], sub, here, found)


def _compare_item(src: Any, ovl: Any, sub: type[BaseModel], loc: Path_, found: list[tuple[Path_, str]]) -> None:
    if isinstance(src, dict) and isinstance(ovl, dict) and sub.__name__ == "BlockOverlay":
        src_kind = next(iter(src), None)
        ovl_kind = next(iter(ovl), None)
        if ovl_kind != src_kind:
            found.append((loc, f"is a {ovl_kind} block but the source block is a {src_kind}"))
            return
    _compare(src, ovl, sub, loc, found)




def status(book: Any) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Per language: which files are translated, missing or stale, with the digest a translation needs."""
    from .validate import FOLDERS

    report: dict[str, dict[str, list[dict[str, str]]]] = {}
    for lang in book.settings.languages[1:]:
        states: dict[str, list[dict[str, str]]] = {"translated": [], "stale": [], "missing": []}
        for kind in ("case", "recipe", "toolkit"):
            for slug, entry in sorted(book.entries(kind).items()):
                current = digest(kind, entry.doc.data)
                source = f"{FOLDERS[kind]}/{slug}.yaml"
                overlay = book.overlays.get((kind, slug, lang))
                item = {"kind": kind, "slug": slug, "source": source, "digest": current,
                        "translation": f"{FOLDERS[kind]}/{slug}.{lang}.yaml"}
                if overlay is None:  # no file, or one with no text translated yet (`check` warns of it)
                    written = (book.root / item["translation"]).is_file()
                    states["missing"].append({**item, "written": "yes"} if written else item)
                elif overlay.stale:
                    states["stale"].append({**item, "translated_from": str(overlay.doc.data.get("translated_from"))})
                else:
                    states["translated"].append(item)
        for name, files in sorted(book.pages.items()):
            item = {"kind": "page", "slug": name, "source": f"handbook/pages/{name}.md", "digest": "",
                    "translation": f"handbook/pages/{name}.{lang}.md"}
            states["translated" if lang in files else "missing"].append(item)
        report[lang] = states
    return report
