"""Load every content file, validate it against the models and check every cross-reference.

The result is a `Handbook`: the validated content, per-language overlays, and every problem found.
Nothing downstream reads YAML again.
"""

from __future__ import annotations

import calendar
import dataclasses
import difflib
import functools
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from . import i18n
from .errors import Problem
from .links import check_links
from .load import (
    Document,
    LoadError,
    Parsed,
    Path_,
    display_path,
    field_name,
    load_yaml,
    read_text,
    symlinked_part,
)
from .models import (
    LANG_PATTERN,
    OVERLAYS,
    SLUG_PATTERN,
    VOCABULARY_FIELDS,
    Case,
    Recipe,
    Settings,
    Toolkit,
    Vocabulary,
)
from .paths import FOLDERS, PAGES_FOLDER, SETTINGS_FILE, VOCABULARY_FILE

M = TypeVar("M", bound=BaseModel)

MODELS: dict[str, type[BaseModel]] = {"case": Case, "recipe": Recipe, "toolkit": Toolkit}
PLACEHOLDERS = ("institution", "place", "group")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)(?::[^\W\d_]{1,20})?\}")
_SLUG = re.compile(SLUG_PATTERN)
_LANG = re.compile(LANG_PATTERN)


@dataclass
class Entry(Generic[M]):
    """One validated content file in the source language."""

    kind: str
    slug: str
    doc: Document
    model: M


@dataclass
class Overlay:
    """A translation of one file into one language, already merged and validated."""

    kind: str
    slug: str
    lang: str
    doc: Document
    model: BaseModel
    stale: bool
    untranslated: tuple[Path_, ...] = ()  # text it leaves in the file's own language (a partial translation)


@dataclass
class Handbook:
    """Everything the build needs, validated; `problems` lists what is wrong."""

    root: Path
    settings: Settings = field(default_factory=lambda: Settings.model_validate({"title": "Handbook"}))
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary(scales={}, sectors={}, models={},
                                                                        principles={}))
    cases: dict[str, Entry[Case]] = field(default_factory=dict)
    recipes: dict[str, Entry[Recipe]] = field(default_factory=dict)
    toolkits: dict[str, Entry[Toolkit]] = field(default_factory=dict)
    overlays: dict[tuple[str, str, str], Overlay] = field(default_factory=dict)
    pages: dict[str, dict[str, Path]] = field(default_factory=dict)  # name -> lang -> file
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    # files that exist but do not load or validate (handbook.yml only when not even its languages are known)
    broken: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def source_lang(self) -> str:
        return self.settings.languages[0]

    def entries(self, kind: str) -> dict[str, Entry[Any]]:
        by_kind: dict[str, dict[str, Entry[Any]]] = {"case": self.cases, "recipe": self.recipes,
                                                     "toolkit": self.toolkits}
        return by_kind[kind]

    def own_lang(self, kind: str, slug: str) -> str:
        """The language a case, recipe or toolkit is written in: its `lang`, else the handbook's first language."""
        return str(self.entries(kind)[slug].model.lang or self.source_lang)

    def localized(self, kind: str, slug: str, lang: str) -> tuple[Any, str]:
        """The model in `lang` and its translation state: source (written in `lang`), translated, partial (some
        text left in the file's own language), stale (its source changed since) or missing (shown in its own
        language)."""
        entry = self.entries(kind)[slug]
        if lang == (entry.model.lang or self.source_lang):
            return entry.model, "source"
        overlay = self.overlays.get((kind, slug, lang))
        if overlay is None:
            return entry.model, "missing"
        return overlay.model, "stale" if overlay.stale else "partial" if overlay.untranslated else "translated"

    def page_lang(self, name: str) -> str:
        """The language a prose page is written in: `NAME.md` is in the first language; a page that exists only
        as `NAME.LANG.md` files is in the first of its languages that `languages` lists."""
        files = self.pages[name]
        if self.source_lang in files:
            return self.source_lang
        return next((lang for lang in self.settings.languages if lang in files), next(iter(files)))


def load_handbook(root: Path, cache: Parsed | None = None, strict: bool = True) -> Handbook:
    """Load and validate the whole handbook under `root`; problems are collected, never raised.

    With a `cache` (`speed.caches.ParseCache`), files that did not change since it was saved are not parsed
    again. A link that MkDocs refuses is an error, as it fails a `strict` build, else a warning (`handbook
    build --no-strict`, `serve`)."""
    global _cache
    _cache = cache
    _real_folders.clear()
    try:
        return _load_handbook(root, strict)
    finally:
        _cache = None
        _real_folders.clear()


# the load in progress (kept out of Handbook, which is sent to other processes): its cache, and the folders
# found to be real folders (no symbolic link on the way)
_cache: Parsed | None = None
_real_folders: set[Path] = set()


def _load_handbook(root: Path, strict: bool) -> Handbook:
    book = Handbook(root=root)
    settings_doc = _load(book, root / SETTINGS_FILE)
    settings = _model(book, settings_doc, Settings) if settings_doc is not None else None
    if settings is None:
        book.broken.add(SETTINGS_FILE)
    book.settings = settings or _salvage_settings(book, settings_doc) or book.settings
    _load_pages(book)
    vocab_doc = _load(book, root / VOCABULARY_FILE)
    vocabulary = _model(book, vocab_doc, Vocabulary) if vocab_doc is not None else None
    if vocabulary is None:
        book.broken.add(VOCABULARY_FILE)
    book.vocabulary = vocabulary or book.vocabulary
    sources: dict[tuple[str, str], Document] = {}
    for kind in MODELS:
        _load_kind(book, kind, sources)
    _check_folders(book)
    _check_references(book, sources)
    translations = [(o.kind, o.slug, o.doc) for o in book.overlays.values()]
    book.problems += check_links(book, [(kind, slug, doc) for (kind, slug), doc in sources.items()] + translations,
                                 strict)
    _check_settings(book, settings_doc)
    _check_vocabulary(book, vocab_doc)
    book.problems.sort(key=lambda p: (p.path, p.line, p.col, p.message))
    return book


# ---------------------------------------------------------------- loading


def _real_folder(book: Handbook, folder: Path) -> bool:
    """False, with one problem, when `folder` or a folder above it inside the handbook is a symbolic link:
    a link could bring in files from anywhere on the machine, so it is never followed."""
    if folder in _real_folders:  # asked once per file: each folder is looked at once per load
        return True
    link = symlinked_part(folder, book.root)
    if link is None:
        _real_folders.add(folder)
        return True
    shown = display_path(link, book.root)
    if not any(p.path == shown and p.field == "" and "symbolic link" in p.message for p in book.problems):
        book.problems.append(Problem(shown, 1, 1, "", "is a symbolic link, which is not followed; content "
                                     "folders must be real folders inside the repository"))
    return False


def _load(book: Handbook, path: Path) -> Document | None:
    book.files += 1
    if not _real_folder(book, path.parent):
        return None
    if not path.exists() and not path.is_symlink():
        book.problems.append(Problem(display_path(path, book.root), 1, 1, "",
                                     "the file is missing; every handbook needs one"))
        return None
    try:
        return load_yaml(path, book.root, _cache)
    except LoadError as exc:  # with its document when only values were refused: the rest is checked too
        book.problems.extend(exc.problems)
        return exc.document


def _model(book: Handbook, doc: Document, model: type[M], lang: str = "") -> M | None:
    if doc.data is None:
        book.problems.append(Problem(doc.path, 1, 1, "", "the file is empty"))
        return None
    if not isinstance(doc.data, dict):
        book.problems.append(Problem(doc.path, 1, 1, "", "the file must hold a map of fields (name: value)"))
        return None
    validated = getattr(_cache, "validated", None)  # the preview's: models of the files not changed since
    if validated is not None:
        found = validated.get((doc.path, model))
        if found is not None and found[0] is doc.data:
            return found[1]
    try:
        result = model.model_validate(doc.data)
    except ValidationError as exc:
        refused = [p.field for p in book.problems if p.path == doc.path and p.field]  # by the loader: said once
        book.problems.extend(p for p in _explain(doc, exc, model, book.root)
                             if not any(_within(p.field, field) for field in refused))
        return None
    if validated is not None:
        validated[(doc.path, model)] = (doc.data, result)
    return result


def _within(field: str, outer: str) -> bool:
    """Whether the field `field` is `outer` or inside it (`place.name` is inside `place`, `a[0]` inside `a`)."""
    return field == outer or field.startswith((f"{outer}.", f"{outer}["))


def _salvage_settings(book: Handbook, doc: Document | None) -> Settings | None:
    """The settings without their fields that have errors (reported already), when `languages` is not one of
    them: what depends on the languages (translations, pages, labels) is then checked in the same run."""
    if doc is None or not isinstance(doc.data, dict):
        return None
    data = {"title": "Handbook", **doc.data}
    for _ in range(len(data)):
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
            wrong = {error["loc"][0] for error in errors if error["loc"]}
            if "languages" in wrong or any(not error["loc"] for error in errors):  # no field to leave out
                return None
            data = {key: value for key, value in data.items() if key not in wrong}
            continue
        book.broken.discard(SETTINGS_FILE)  # its errors are reported; the languages can be trusted
        return settings
    return None


def _load_kind(book: Handbook, kind: str, sources: dict[tuple[str, str], Document]) -> None:
    folder = book.root / FOLDERS[kind]
    if not _real_folder(book, folder) or not folder.is_dir():
        return
    overlays: list[tuple[Path, str, str]] = []
    written: set[str] = set()  # slugs whose source file exists, even when it does not load
    for path in sorted(folder.iterdir()):
        name = _parse_name(book, path)
        if name is None:
            continue
        slug, lang = name
        if lang:
            overlays.append((path, slug, lang))
            continue
        written.add(slug)
        doc = _load(book, path)
        if doc is None:
            continue
        sources[(kind, slug)] = doc
        before = len(book.problems)
        model = _model(book, doc, MODELS[kind])
        if model is not None:
            book.entries(kind)[slug] = Entry(kind, slug, doc, model)
            _check_lang(book, doc, getattr(model, "lang", None))
        _check_placeholders(book, doc, kind, {(p.line, p.col) for p in book.problems[before:]})
    book.broken |= {f"{FOLDERS[kind]}/{slug}.yaml" for slug in written - set(book.entries(kind))}
    for path, slug, lang in overlays:
        if slug in written and slug not in book.entries(kind):
            _load(book, path)  # its source has errors (reported there): only the translation's own YAML is checked
            continue
        _load_overlay(book, kind, path, slug, lang, sources.get((kind, slug)))


def _parse_name(book: Handbook, path: Path) -> tuple[str, str] | None:
    """(slug, lang) from `slug.yaml` or `slug.lang.yaml`; reports names that break the rules."""
    shown = display_path(path, book.root)
    if path.name.startswith(".") or path.is_dir() or path.suffix != ".yaml":  # `_check_folders` reports them
        return None
    parts = path.name[: -len(".yaml")].split(".")
    slug, lang = parts[0], parts[1] if len(parts) == 2 else ""
    if len(parts) > 2 or not _SLUG.match(slug) or len(slug) > 64:
        book.problems.append(Problem(shown, 1, 1, "", "the file name must be a slug: lowercase letters, digits "
                                     "and single hyphens, at most 64 characters (like porto-alegre.yaml)"))
        return None
    if lang and not _LANG.match(lang):
        book.problems.append(Problem(shown, 1, 1, "", f"the file name ends in {lang!r}, which is not a language "
                                     "code (like es or pt-BR)"))
        return None
    return slug, lang


def _load_overlay(book: Handbook, kind: str, path: Path, slug: str, lang: str, source: Document | None) -> None:
    shown = display_path(path, book.root)
    if SETTINGS_FILE in book.broken:  # the languages are unknown: only the translation's own YAML is checked
        _load(book, path)
        return
    if lang not in book.settings.languages:
        listed = ", ".join(book.settings.languages)
        book.problems.append(Problem(shown, 1, 1, "", f"this is a translation into {lang!r}, which is not one of "
                                     f"the languages in {SETTINGS_FILE} ({listed}); add it to `languages` there "
                                     "(`handbook i18n add` does it), or rename or delete this file"))
        return
    if source is None:
        book.problems.append(Problem(shown, 1, 1, "", f"this is a translation of {slug}.yaml, which does not exist; "
                                     "rename or delete it"))
        return
    own = _declared_lang(source) or book.source_lang
    if lang == own:
        book.problems.append(Problem(shown, 1, 1, "", f"{slug}.yaml is written in {lang!r} already (its `lang`), so "
                                     "it needs no translation into it; delete this file, or merge its text into "
                                     f"{slug}.yaml"))
        return
    doc = _load(book, path)
    if doc is None:
        return
    overlay_model = _model(book, doc, OVERLAYS[kind])
    if isinstance(doc.data, dict) and "translated_from" not in doc.data:  # tell the translator what to write
        hint = f"; write `translated_from: {i18n.digest(kind, source.data)}`, the digest of the source as it is now"
        book.problems[:] = [dataclasses.replace(p, message=p.message + hint)
                            if (p.path, p.field) == (shown, "translated_from") else p for p in book.problems]
    if overlay_model is None:
        return
    for loc, message in i18n.structure_problems(source, doc, kind):
        line, col = doc.where(loc)
        book.problems.append(Problem(shown, line, col, field_name(loc), message))
    entry = book.entries(kind).get(slug)
    if entry is None:
        return
    merged = i18n.merge(source.data, doc.data, OVERLAYS[kind])
    merged_doc = doc.with_data(merged)
    model = _model(book, merged_doc, MODELS[kind])
    if model is None:
        return
    current = i18n.digest(kind, source.data)
    if i18n.digest(kind, merged) == current:  # a skeleton from `handbook new translation`, not translated yet
        book.problems.append(Problem(shown, 1, 1, "", f"no text is translated yet (it is all as in {slug}.yaml); "
                                     f"until some is, the {lang} site shows the source text with a note that it "
                                     "is not translated", "warning"))
        return
    stale = doc.data.get("translated_from") != current
    untranslated = tuple(i18n.untranslated(source.data, doc.data, OVERLAYS[kind]))
    book.overlays[(kind, slug, lang)] = Overlay(kind, slug, lang, doc, model, stale, untranslated)


def _declared_lang(doc: Document) -> str | None:
    """The `lang` a content file declares (None when it declares none, or something that is not text)."""
    value = doc.data.get("lang") if isinstance(doc.data, dict) else None
    return value if isinstance(value, str) else None


def _check_lang(book: Handbook, doc: Document, lang: str | None) -> None:
    """A file's `lang` must be one of the handbook's languages (when those are known)."""
    if lang is None or lang in book.settings.languages or SETTINGS_FILE in book.broken:
        return
    line, col = doc.where(("lang",))
    book.problems.append(Problem(doc.path, line, col, "lang", f"{lang!r} is not one of the languages in "
                                 f"{SETTINGS_FILE} ({', '.join(book.settings.languages)}); add it there "
                                 f"(`handbook i18n add {lang}`) or write one of them"))


def _load_pages(book: Handbook) -> None:
    folder = book.root / PAGES_FOLDER
    if not _real_folder(book, folder) or not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.suffix != ".md":
            continue
        parts = path.name[: -len(".md")].split(".")
        shown = display_path(path, book.root)
        try:
            read_text(path, shown)
        except LoadError as exc:
            book.problems.append(exc.problem)
            continue
        book.files += 1
        lang = parts[1] if len(parts) == 2 else book.source_lang
        unknown = len(parts) == 2 and lang not in book.settings.languages and SETTINGS_FILE not in book.broken
        if len(parts) > 2 or not _SLUG.match(parts[0]) or unknown:
            book.problems.append(Problem(shown, 1, 1, "", "page files are named NAME.md or NAME.LANG.md, with a "
                                         "language listed in handbook.yml"))
            continue
        versions = book.pages.setdefault(parts[0], {})
        if lang in versions:
            book.problems.append(Problem(shown, 1, 1, "", f"{versions[lang].name} is this page in {lang!r} already; "
                                         "keep one of the two files"))
            continue
        versions[lang] = path
    if "index" not in book.pages:
        book.problems.append(Problem(PAGES_FOLDER, 1, 1, "", "index.md (the home page) is missing"))


_SPELLINGS = {".yaml": (".yml", ".json", ".yaml"), ".md": (".markdown", ".mdown", ".md", ".txt")}  # renamed, they work


def _check_folders(book: Handbook) -> None:
    """Every file or folder of a content folder that the build would not read is an error: a case saved as
    `.yml` must not silently disappear from the site. Hidden files and editors' backups (`x.yaml~`) are left alone."""
    for folder, suffix in [*((f, ".yaml") for f in FOLDERS.values()), (PAGES_FOLDER, ".md")]:
        path = book.root / folder
        if not _real_folder(book, path) or not path.is_dir():
            continue
        for item in sorted(path.iterdir()):
            name = item.name
            if name.startswith((".", "#")) or name.endswith("~") or (name.endswith(suffix) and not item.is_dir()):
                continue
            shown = display_path(item, book.root)
            if item.is_dir():
                message = f"this folder is not read: the files of {folder}/ sit directly in it; move them up"
            elif item.suffix.lower() in _SPELLINGS[suffix]:
                message = (f"this file is not read: the files of {folder}/ end in {suffix}; rename it to "
                           f"{item.stem}{suffix}")
            else:
                message = (f"this file is not read: {folder}/ holds only {suffix} files; rename it to end in "
                           f"{suffix}, or move it out of the folder")
            book.problems.append(Problem(shown, 1, 1, "", message))


# ---------------------------------------------------------------- explaining model errors


def _explain(doc: Document, exc: ValidationError, model: type[BaseModel], root: Path) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[Path_] = set()
    errors = exc.errors(include_url=False)
    strays = _strays(doc, errors, model)
    for error in errors:
        loc = _data_loc(doc.data, error["loc"])
        if loc in seen or loc in strays.values():  # a union reports one error per alternative; the first is enough
            continue
        seen.add(loc)
        line, col = doc.where_key(loc) if error["type"] == "extra_forbidden" else doc.where(loc)
        message = _message(error, loc, model)
        if loc in strays:
            message = _stray_message(doc, loc, strays[loc])
        elif error["type"] == "missing":
            swallowed = _swallowed(doc, loc, root)
            if swallowed is not None:
                line, col, message = swallowed
        problems.append(Problem(doc.path, line, col, field_name(loc), message))
    return problems


def _strays(doc: Document, errors: list[Any], model: type[BaseModel]) -> dict[Path_, Path_]:
    """Unknown fields that are fields of an empty map just above them (`name:` and `country:` written under
    `place:` without indentation): each with that map's location."""
    strays: dict[Path_, Path_] = {}
    for error in errors:
        loc = _data_loc(doc.data, error["loc"])
        if error["type"] != "extra_forbidden" or not loc:
            continue
        parent, name = loc[:-1], loc[-1]
        owner = _model_at(model, loc)
        data = _at(doc.data, parent)
        if owner is None or not isinstance(data, dict):
            continue
        line = doc.where_key(loc)[0]
        for field_, info in owner.model_fields.items():
            subs = [a for a in _flatten(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
            empty = field_ in data and data[field_] is None and (*parent, field_) in doc.keys
            if empty and subs and name in subs[0].model_fields and doc.where_key((*parent, field_))[0] < line:
                strays[loc] = (*parent, field_)
    return strays


def _stray_message(doc: Document, loc: Path_, parent: Path_) -> str:
    line, col = doc.where_key(parent)
    return (f"is a field of `{parent[-1]}:` on line {line}, which is empty because this line is not indented "
            f"under it; indent it: put {col + 1} spaces before it")


def _at(data: Any, loc: Path_) -> Any:
    for part in loc:
        if not _has(data, part):
            return None
        data = data[part]
    return data


def _swallowed(doc: Document, loc: Path_, root: Path) -> tuple[int, int, str] | None:
    """(line, column, message) when a missing field is written, but indented so far that YAML read it as
    part of the text of the field above it."""
    parent = _at(doc.data, loc[:-1])
    name = str(loc[-1])
    pattern = re.compile(rf"(?m)^[ \t]*{re.escape(name)}:(?:[ \t]|$)")
    texts = [key for key, value in parent.items() if isinstance(value, str) and pattern.search(value)] \
        if isinstance(parent, dict) else []
    if not texts:
        return None
    holder = (*loc[:-1], texts[0])
    start = doc.where(holder)[0]
    try:
        lines = read_text(root / doc.path, doc.path).splitlines()
    except LoadError:
        return None
    at = next((n for n in range(start, len(lines) + 1) if pattern.match(lines[n - 1])), None)
    if at is None:
        return None
    indent = len(lines[at - 1]) - len(lines[at - 1].lstrip())
    key_line, key_col = doc.where_key(holder)
    return (at, indent + 1, f"is written on this line, but indented like the text of `{texts[0]}:` above it "
            f"(line {key_line}), so YAML reads it as part of that text and finds no {name}; line it up with "
            f"`{texts[0]}:` (remove {indent - key_col + 1} spaces before it)")


def _data_loc(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of pydantic's error location that names real places in the data (drops union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
        elif isinstance(part, str) and "[" not in part and part not in _TYPE_TAGS and isinstance(node, dict):
            out.append(part)  # a missing field: its parent map is where to look
            break
        else:
            continue
        out.append(part)
    return tuple(out)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def _message(error: Any, loc: Path_, model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    name = str(loc[-1]) if loc else ""
    owner = _model_at(model, loc)
    if kind == "missing":
        return "is required but missing"
    if kind.split("_")[0] in _WANTED and isinstance(error["input"], str) and error["input"].startswith("TODO"):
        return f"still holds the skeleton's TODO; write {_WANTED.get(kind.split('_')[0], 'the real value')}"
    if kind == "extra_forbidden":
        known = sorted(owner.model_fields) if owner else sorted(_all_field_names())
        return "is not a known field" + (_suggest(name, known) or f"; the fields here are {', '.join(known)}")
    if error["input"] is None and kind.endswith("_type"):
        info = owner.model_fields.get(name) if owner else None
        optional = info is not None and not info.is_required()
        return "is empty; write a value" + (" or delete the line" if optional else "")
    if kind == "string_too_long":
        return f"is {len(error['input'])} characters long; the limit is {ctx.get('max_length')}"
    if kind == "too_long":
        many = f"{len(error['input'])} items" if isinstance(error["input"], list) else "too many items"
        return f"has {many}; the limit is {ctx.get('max_length')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt')):g}, not {error['input']}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt')):g}, not {error['input']}"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") in (0, 1):
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items"
    if kind == "string_pattern_mismatch":
        return _pattern_message(name, error["input"])
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = {"string_type": "text", "list_type": "a list", "dict_type": "a map"}.get(kind, "a map of fields")
        return f"must be {wanted}, not {_shape(error['input'])}"
    if kind.startswith("int_"):
        return f"must be a whole number, like 1998, not {error['input']!r}"
    if kind.startswith("float_"):
        return f"must be a number, like -30.03, not {error['input']!r}"
    if kind.startswith("date_"):
        return _date_message(error["input"])
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {error['input']!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


_WANTED = {"int": "a whole number, like 1998", "float": "a number, like -30.03",
           "date": "a date as YYYY-MM-DD, like 2026-11-26"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _date_message(value: Any) -> str:
    """What is wrong with a date: its form, or a month or day that the calendar does not have."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return f"must be a date written YYYY-MM-DD (year, month, day), like 2026-11-26, not {value!r}"
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return (f"{value!r} has no month {match.group(2)}: the month, between the two hyphens, goes from 01 "
                "to 12 (YYYY-MM-DD: year, month, day)")
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    return (f"{value!r} has no day {match.group(3)}: {calendar.month_name[month]} {year} has {days} days "
            "(YYYY-MM-DD: year, month, day)")


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model that the field at `loc` belongs to (None when `loc` leaves the models, as in a dict)."""
    current = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        subs = [a for a in _flatten(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)] \
            if info else []
        if not subs:
            return None
        current = subs[0]
    return current


def _shape(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return f"the text {value!r}"


def _pattern_message(name: str, value: Any) -> str:
    if name == "url" or name in ("site_url", "repo_url"):
        return f"{value!r} must be a full address starting with https://"
    if name == "country":
        return f"{value!r} must be a two-letter ISO 3166-1 country code in capitals, like BR or ES"
    if name == "translated_from":
        return f"{value!r} must be the 12-character digest printed by `handbook i18n status`"
    return f"{value!r} must be a slug: lowercase letters, digits and single hyphens (like porto-alegre)"


@functools.cache
def _all_field_names() -> frozenset[str]:
    names: set[str] = set()
    models: list[type[BaseModel]] = [*MODELS.values(), *OVERLAYS.values(), Settings, Vocabulary]
    for model in models:
        _collect_names(model, names)
    return frozenset(names)


def _collect_names(model: type[BaseModel], names: set[str]) -> None:
    for name, info in model.model_fields.items():
        names.add(name)
        for arg in _flatten(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg is not model:
                _collect_names(arg, names)


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [a for arg in args for a in _flatten(arg)]


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# ---------------------------------------------------------------- cross-references


_KINDS = {"recipe": "recipe", "case study": "case", "toolkit": "toolkit"}


def _ref(book: Handbook, doc: Document, loc: Path_, value: str, known: dict[str, Any], what: str,
         hint: str = "") -> None:
    """Report `value` when it is not one of `known`: the slug of another file, or an id in this one."""
    kind = _KINDS.get(what)
    if value in known or (kind and f"{FOLDERS[kind]}/{value}.yaml" in book.broken):  # its own errors are reported
        return
    line, col = doc.where(loc)
    hint = f"there is no {FOLDERS[kind]}/{value}.yaml" if kind else hint
    book.problems.append(Problem(doc.path, line, col, field_name(loc), f"{value!r} is not a known {what}"
                                 f"{_suggest(value, sorted(known)) or f' ({hint})'}"))


def _check_references(book: Handbook, sources: dict[tuple[str, str], Document]) -> None:
    """Vocabulary, ids and cross-references of every content file that loaded, valid or not: a type error
    elsewhere in a file does not hide them. What is written where a problem is reported already is skipped."""
    checks = {"case": _check_case, "recipe": _check_recipe, "toolkit": _check_toolkit}
    for (kind, slug), doc in sources.items():
        if isinstance(doc.data, dict):
            wrong = [p.field for p in book.problems if p.path == doc.path and p.level == "error"]
            checks[kind](book, _Written(doc, wrong, slug in book.entries(kind)), slug)


@dataclass
class _Written:
    """A content file as written, for its references: the values of a field that are text, where no problem
    is reported already (`wrong` holds the fields with problems; `valid` when there are none)."""

    doc: Document
    wrong: list[str]
    valid: bool

    def ok(self, loc: Path_) -> bool:
        name = field_name(loc)
        return not any(_within(name, field_) for field_ in self.wrong)

    def text(self, *loc: str | int) -> list[tuple[Path_, str]]:
        """The text at `loc`, or each text item of the list at `loc`, with its location."""
        value = _at(self.doc.data, loc)
        found = [((*loc, i), item) for i, item in enumerate(value)] if isinstance(value, list) else [(loc, value)]
        return [(where, item) for where, item in found if isinstance(item, str) and self.ok(where)]

    def items(self, name: str) -> list[tuple[int, dict[str, Any]]]:
        """The maps of the list `name` (sources, worksheets), by their index."""
        value = _at(self.doc.data, (name,))
        return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _check_toolkit(book: Handbook, tk: _Written, slug: str) -> None:
    for loc, r in tk.text("recipes"):
        _ref(book, tk.doc, loc, r, book.recipes, "recipe")
    for loc, c in tk.text("cases"):
        _ref(book, tk.doc, loc, c, book.cases, "case study")


def _vocab(book: Handbook, doc: Document, loc: Path_, value: str, vocab: str) -> None:
    known = getattr(book.vocabulary, vocab)
    if value not in known and VOCABULARY_FILE not in book.broken:  # else every value would be reported
        line, col = doc.where(loc)
        book.problems.append(Problem(doc.path, line, col, field_name(loc),
                                     f"{value!r} is not in the {vocab} vocabulary"
                                     f"{_suggest(value, sorted(known)) or _options(known)}"))


def _options(known: dict[str, Any]) -> str:
    listed = f"use one of {', '.join(sorted(known))}, " if 0 < len(known) <= 12 else ""
    return f"; {listed}or add it to {VOCABULARY_FILE}"


def _ids(book: Handbook, file: _Written, name: str, what: str) -> dict[str, int]:
    """The ids of the list `name` (each with its first index), reporting an id given twice."""
    ids: dict[str, int] = {}
    for i, item in file.items(name):
        value = item.get("id")
        if not isinstance(value, str):
            continue
        if value in ids and file.ok((name, i, "id")):
            line, col = file.doc.where((name, i, "id"))
            book.problems.append(Problem(file.doc.path, line, col, f"{name}[{i}].id",
                                         f"{value!r} is already the id of {name}[{ids[value]}]; "
                                         f"give each {what} its own id"))
        ids.setdefault(value, i)
    return ids


def _check_vocabularies(book: Handbook, file: _Written, kind: str) -> None:
    """Every value of a vocabulary field of the file (scale, sectors, models; principles) is in its vocabulary."""
    for field_, vocab in VOCABULARY_FIELDS[kind].items():
        for loc, value in file.text(field_):
            _vocab(book, file.doc, loc, value, vocab)


def _check_case(book: Handbook, case: _Written, slug: str) -> None:
    doc = case.doc
    _check_vocabularies(book, case, "case")
    for loc, r in case.text("recipes"):
        _ref(book, doc, loc, r, book.recipes, "recipe")
    for loc, c in case.text("related"):
        if c == slug:
            line, col = doc.where(loc)
            book.problems.append(Problem(doc.path, line, col, field_name(loc),
                                         "a case cannot be related to itself; remove it"))
        else:
            _ref(book, doc, loc, c, book.cases, "case study")
    _check_sources(book, case, ("outcomes", "challenges"), "an outcome or challenge", required=True)


def _check_recipe(book: Handbook, recipe: _Written, slug: str) -> None:
    doc = recipe.doc
    _check_vocabularies(book, recipe, "recipe")
    for loc, c in recipe.text("evidence"):
        _ref(book, doc, loc, c, book.cases, "case study")
    _check_sources(book, recipe, ("research", "steps", "pitfalls"), "a research finding, step or pitfall")
    sheets = _ids(book, recipe, "worksheets", "worksheet")
    if not isinstance(doc.data.get("worksheets", []), list):
        return
    for i, _ in recipe.items("steps"):
        for loc, sheet in recipe.text("steps", i, "worksheet"):
            _ref(book, doc, loc, sheet, sheets, "worksheet id", "no worksheet of this recipe has that id")


def _check_sources(book: Handbook, file: _Written, groups: tuple[str, ...], citers: str,
                   required: bool = False) -> None:
    """The file's source ids are unique, every id its `groups` cite is listed, and every source is cited (else
    a warning naming `citers`, what may cite it). When `sources` is not a list (or missing where `required`),
    which ids exist is unknown: its own problem is reported."""
    doc = file.doc
    ids = _ids(book, file, "sources", "source")
    listed = doc.data.get("sources")
    if not isinstance(listed if listed is not None or required else [], list):
        return
    cited: set[str] = set()
    for group in groups:
        for i, item in file.items(group):
            cited.update(sid for sid in item.get("sources") or () if isinstance(sid, str))
            for loc, sid in file.text(group, i, "sources"):
                _ref(book, doc, loc, sid, ids, "source id", "no source listed in this file has that id")
    for sid, i in ids.items():
        if sid not in cited and file.valid:
            line, col = doc.where(("sources", i, "id"))
            book.problems.append(Problem(doc.path, line, col, f"sources[{i}]",
                                         f"{sid!r} is never cited by {citers}; cite it or remove it", "warning"))


def _check_placeholders(book: Handbook, doc: Document, kind: str, taken: set[tuple[int, int]]) -> None:
    """Warn about `{placeholders}` that will not be filled (case studies have none at all), and report the
    skeleton's TODOs, except where a problem is reported already (the `taken` line and column)."""
    if not doc.marked:  # the file's text holds no `{` and no TODO at all
        return
    allowed = PLACEHOLDERS if kind in ("recipe", "toolkit") else ()
    for loc, text in _marked_strings(doc.data, ()):
        unfilled = [match for match in _PLACEHOLDER.finditer(text) if match.group(1) not in allowed]
        todo = text.strip().startswith("TODO")
        if not (unfilled or todo) or doc.where(loc) in taken:  # positions only where there is a problem
            continue
        line, col = doc.where(loc)
        for match in unfilled:
            hint = f"use one of {{{'}, {'.join(allowed)}}}" if allowed else "case studies take no placeholders"
            book.problems.append(Problem(doc.path, line, col, field_name(loc),
                                         f"{match.group(0)} is not a placeholder that will be filled; {hint}",
                                         "warning"))
        if todo:
            book.problems.append(Problem(doc.path, line, col, field_name(loc),
                                         "still holds the skeleton's TODO; write the real text"))


def _marked_strings(data: Any, loc: Path_) -> Iterator[tuple[Path_, str]]:
    """Every string under `data` that holds a `{` or a TODO, with its location (a fast walk: it sees every
    string of every file)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if type(value) is str:
            if "{" in value or "TODO" in value:
                yield (*loc, key), value
        elif value is not None:
            yield from _marked_strings(value, (*loc, key))


def _check_settings(book: Handbook, doc: Document | None) -> None:
    if doc is None:
        return
    toolkit = book.settings.toolkit
    if toolkit is not None:
        _ref(book, doc, ("toolkit",), toolkit, book.toolkits, "toolkit")
    from .languages import unsupported

    for i, lang in enumerate(book.settings.languages):
        why = unsupported(lang)
        if why:
            line, col = doc.where(("languages", i))
            book.problems.append(Problem(doc.path, line, col, f"languages[{i}]", f"{why}; the site cannot be built "
                                         "in it"))
    for i, lang in enumerate(book.settings.complete_languages):
        if lang not in book.settings.languages:
            line, col = doc.where(("complete_languages", i))
            book.problems.append(Problem(doc.path, line, col, f"complete_languages[{i}]",
                                         f"{lang!r} is not listed in languages"))


def _check_vocabulary(book: Handbook, doc: Document | None) -> None:
    from .languages import unsupported

    if doc is None:
        return
    for vocab in ("scales", "sectors", "models", "principles"):
        for value, labels in getattr(book.vocabulary, vocab).items():
            missing = [lang for lang in book.settings.languages if lang not in labels and not unsupported(lang)]
            if missing:
                line, col = doc.where((vocab, value))
                book.problems.append(Problem(doc.path, line, col, f"{vocab}.{value}",
                                             f"has no label in {', '.join(missing)}", "warning"))
