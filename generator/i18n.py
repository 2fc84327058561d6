"""Translation overlays: which text is translatable, its digest, and merging an overlay onto its source.

The overlay models in `models.py` are the single statement of what is translatable; everything
here walks them, so a new translatable field needs no change in this module.
"""

from __future__ import annotations

import hashlib
import json
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .load import Document, Path_
from .models import OVERLAYS

if TYPE_CHECKING:
    from .validate import Handbook

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


def untranslated(source: Any, overlay: Any, model: type[BaseModel], loc: Path_ = ()) -> list[Path_]:
    """Where an overlay leaves the source's text untranslated: text it leaves out, or keeps exactly as in the
    source when that text is a phrase of four words or more (a name or a number may rightly stay the same)."""
    if not isinstance(source, dict):
        return []
    overlay = overlay if isinstance(overlay, dict) else {}
    found: list[Path_] = []
    for name, (shape, sub) in _fields(model).items():
        src, ovl, here = source.get(name), overlay.get(name), (*loc, name)
        if src is None:
            continue
        if shape == "model" and sub is not None:
            found += untranslated(src, ovl, sub, here)
        elif shape == "list" and isinstance(src, list):
            items = ovl if isinstance(ovl, list) else []
            for i, item in enumerate(src):
                other = items[i] if i < len(items) else None
                if sub is not None:
                    found += untranslated(item, other, sub, (*here, i))
                elif _left(item, other):
                    found.append((*here, i))
        elif _left(src, ovl) and here[-2:] not in NAMES:
            found.append(here)
    return found


# a place's name and region often stay as they are: leaving them out is no sign of a partial translation
NAMES = {("place", "name"), ("place", "region")}


def _left(source: Any, overlay: Any) -> bool:
    """True when text is left untranslated: missing, or the same phrase as the source."""
    if not isinstance(source, str):
        return False
    return overlay is None or (overlay == source and len(source.split()) >= 4)


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




def status(book: Handbook) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Per language: which files are written in it, translated, partly translated, stale or missing, with the
    digest a translation needs, the fields a partial one leaves untranslated and those a stale one missed."""
    from .load import field_name
    from .paths import FOLDERS, PAGES_FOLDER

    report: dict[str, dict[str, list[dict[str, str]]]] = {}
    for lang in book.settings.languages:
        states: dict[str, list[dict[str, str]]] = {"written": [], "translated": [], "partial": [], "stale": [],
                                                   "missing": []}
        for kind in ("case", "recipe", "toolkit"):
            for slug, entry in sorted(book.entries(kind).items()):
                source = f"{FOLDERS[kind]}/{slug}.yaml"
                own = book.own_lang(kind, slug)
                item = {"kind": kind, "slug": slug, "source": source, "lang": own}
                if own == lang:
                    states["written"].append(item)
                    continue
                current = digest(kind, entry.doc.data)
                overlay = book.overlays.get((kind, slug, lang))
                item.update(digest=current, translation=f"{FOLDERS[kind]}/{slug}.{lang}.yaml")
                if overlay is None:  # no file, or one with no text translated yet (`check` warns of it)
                    written = (book.root / item["translation"]).is_file()
                    states["missing"].append({**item, "written": "yes"} if written else item)
                elif overlay.stale:
                    old = str(overlay.doc.data.get("translated_from"))
                    changed = changed_fields(book.root, source, kind, old, entry.doc.data)
                    states["stale"].append({**item, "translated_from": old, "changed": changed})
                elif overlay.untranslated:
                    fields = ", ".join(field_name(loc) for loc in overlay.untranslated)
                    states["partial"].append({**item, "untranslated": fields})
                else:
                    states["translated"].append(item)
        for name in sorted(book.pages):
            own = book.page_lang(name)
            item = {"kind": "page", "slug": name, "source": f"{PAGES_FOLDER}/{book.pages[name][own].name}",
                    "lang": own, "digest": "", "translation": f"{PAGES_FOLDER}/{name}.{lang}.md"}
            state = "written" if own == lang else "translated" if lang in book.pages[name] else "missing"
            states[state].append(item)
        report[lang] = states
    return report


def changed_fields(root: Path, source: str, kind: str, old_digest: str, data: Any) -> str:
    """The translatable fields of `source` that changed since the version whose digest is `old_digest`, found
    in the git history of the file ("" when that version is not in it: no git, or the digest was not copied)."""
    import subprocess

    from .load import LoadError, parse_yaml

    try:
        log = subprocess.run(["git", "log", "--format=%H", "-n", "200", "--", source], cwd=root, capture_output=True,
                             text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    for commit in log.stdout.split():
        shown = subprocess.run(["git", "show", f"{commit}:{source}"], cwd=root, capture_output=True, text=True,
                               timeout=20, check=False)
        try:
            old = parse_yaml(shown.stdout, source).data if shown.returncode == 0 else None
        except LoadError:
            continue
        if isinstance(old, dict) and digest(kind, old) == old_digest:
            before, now = extract(old, OVERLAYS[kind]), extract(data, OVERLAYS[kind])
            return ", ".join(name for name in sorted(set(before) | set(now)) if before.get(name) != now.get(name))
    return ""
