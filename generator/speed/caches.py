"""Content-hash caches, all under `build/cache` (`folder`, which trusts only this tool's own): a file that did
not change is not parsed again (`ParseCache`), and a language whose inputs did not change is not rendered or
built again (`language_key`, `restore`, `store`).

A language's key hashes everything that goes into its pages: the validated content in the source
language and its own translations, the settings and vocabulary, the pages, the templates, the
base MkDocs config, the build options and the tool itself (its code and MkDocs/Material/Pagefind versions).
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .. import load
from ..load import Document

if TYPE_CHECKING:  # imported before the content loads (`speed.start`): pydantic and the models are not
    from ..validate import Handbook
    from .prefetch import Split

_CODE = Path(__file__).parents[1]


class ParseCache:
    """What each file held when it was last parsed, found by the hash of its name and text: a file that did
    not change is not parsed again. `handbook build` keeps it in `build/cache/parsed.marshal` between builds,
    the preview in `build/serve/parsed.marshal`.

    marshal reads plain data several times faster than parsing YAML. It trusts its input, so the cache is
    only ever a file this tool wrote in its own `build/` folder: no cache is used when git tracks files
    under `build/` (`folder`). A cache from another version of the loader, or one that does not read, is
    ignored."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.used: dict[bytes, Any] = {}
        self.entries: dict[bytes, Any] = {}
        self.read: dict[str, tuple[str, bytes]] = {}  # (text, key) that `start` read, by the file as shown
        self.parsed: dict[bytes, Document] = {}  # parsed from the back by this process, positions and all
        # (file, model) -> (its data, validated): set by the preview, whose files keep their data while unchanged
        self.validated: dict[tuple[str, type], tuple[Any, Any]] | None = None
        self.changed: set[str] = set()  # files parsed by `load` itself: for the preview, which parses in one
        # process, the files new or changed since its last rendering
        self._split: Split | None = None  # the files being parsed by two processes
        self._met = False  # this process has parsed from the back until it met the other
        self.version = hashlib.blake2b(Path(load.__file__).read_bytes() + yaml.__version__.encode(),
                                       digest_size=16).digest()
        if path is None:
            return
        try:
            saved = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if isinstance(saved, dict) and saved.get("version") == self.version and isinstance(saved.get("files"), dict):
            self.entries = saved["files"]

    @staticmethod
    def _key(text: str, shown: str) -> bytes:
        return hashlib.blake2b(shown.encode("utf-8") + b"\0" + text.encode("utf-8"), digest_size=16).digest()

    def start(self, root: Path) -> None:
        """Read the handbook's YAML files now and, when many changed, start parsing them in a second process
        (`prefetch.Split`): `handbook build` and `check` do this before they import pydantic and the models. A
        file that does not read is left alone here; its error is reported when it is loaded."""
        from .prefetch import Split, content_files

        todo: list[tuple[bytes, tuple[str, str]]] = []
        for path, shown in content_files(root):
            try:
                text = load.read_text(path, shown)
            except load.LoadError:
                continue
            key = self._key(text, shown)
            self.read[shown] = (text, key)
            if key not in self.entries:
                todo.append((key, (text, shown)))
        self._split = Split.start(todo)

    def load(self, path: Path, shown: str) -> Document:
        """Load one file (`load.load_yaml`): parsed only if it changed since it was kept, or by `start`'s second
        process; the first load parses from the last file back until it meets that process."""
        if self._split is not None and not self._met:
            self.parsed.update(self._split.from_the_back())
            self._met = True
        found = self.read.pop(shown, None)
        text, key = found if found is not None else (load.read_text(path, shown), b"")
        key = key or self._key(text, shown)
        if key not in self.parsed and key not in self.entries:
            self.done()  # it may be one the second process parsed
        if key in self.parsed:
            doc = self.parsed.pop(key)
        elif key in self.entries:
            doc = Document(shown, self.entries[key], text=text)
        else:
            doc = load.parse_yaml(text, shown)  # a file that does not load raises here, and is not kept
            self.changed.add(shown)
        self.used[key] = doc.data
        return doc

    def done(self) -> None:
        """Take what the second process parsed, if it is still to come; it has ended then."""
        if self._split is not None:
            split, self._split = self._split, None
            self.entries.update(split.from_the_front())

    def stop(self) -> None:
        """End the second process, if it still runs (the load did not happen, or failed)."""
        if self._split is not None:
            self._split.stop()
            self._split = None

    def save(self) -> None:
        """Keep what this run parsed (and only that) for the next one, when it changed."""
        if self.path is None or self.used.keys() == self.entries.keys():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_bytes(marshal.dumps({"version": self.version, "files": self.used}))
        os.replace(temporary, self.path)


def _files_digest(hasher: Any, folder: Path, pattern: str = "**/*") -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(pattern)):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            hasher.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def language_key(book: Handbook, lang: str, options: dict[str, Any]) -> str:
    """The hash of every input of one language's site."""
    h = hashlib.sha256()
    h.update(json.dumps({"lang": lang, "options": options, "mkdocs": _version("mkdocs"),
                         "material": _version("mkdocs-material"), "pagefind": _version("pagefind_bin")},
                        sort_keys=True).encode())
    h.update(book.settings.model_dump_json().encode())
    h.update(book.vocabulary.model_dump_json().encode())
    for kind in ("case", "recipe", "toolkit"):
        for slug, entry in sorted(book.entries(kind).items()):
            h.update(f"{kind}:{slug}:".encode() + entry.model.model_dump_json().encode())
            overlay = book.overlays.get((kind, slug, lang))
            if overlay is not None:
                h.update(f"{lang}:{overlay.stale}:".encode() + overlay.model.model_dump_json().encode())
    for name, files in sorted(book.pages.items()):
        for page_lang in sorted({book.source_lang, lang} & set(files)):
            h.update(f"page:{name}:{page_lang}:".encode() + files[page_lang].read_bytes())
    root = book.root
    for part in ("pages", "overrides", "assets", "site"):
        _files_digest(h, root / "templates" / part)
    _files_digest(h, root / "templates" / "locales" / lang)
    if (root / "mkdocs.yml").is_file():
        h.update((root / "mkdocs.yml").read_bytes())
    _files_digest(h, _CODE, "**/*.py")
    return h.hexdigest()


def shared_key(root: Path, lang: str, config: str, options: dict[str, Any]) -> str:
    """The hash of what every page of a language's site shows besides its own Markdown: its MkDocs config (the
    navigation, the names), the base `mkdocs.yml`, the theme overrides, the UI catalogue, the build options and
    the tool itself. While it stays the same, MkDocs need build again only the pages whose Markdown changed."""
    h = hashlib.sha256()
    h.update(json.dumps({"lang": lang, "options": options, "mkdocs": _version("mkdocs"),
                         "material": _version("mkdocs-material"), "pagefind": _version("pagefind")},
                        sort_keys=True).encode())
    h.update(config.encode())
    if (root / "mkdocs.yml").is_file():
        h.update((root / "mkdocs.yml").read_bytes())
    _files_digest(h, root / "templates" / "overrides")
    _files_digest(h, root / "templates" / "locales" / lang)
    _files_digest(h, _CODE, "**/*.py")
    return h.hexdigest()


def prefill(cache: Path, shared: str, target: Path) -> bool:
    """Copy the language's last site to `target` for MkDocs to build again only what changed, when the last
    build had the same `shared_key`. A real copy, times kept (MkDocs compares them): MkDocs writes into its
    files, and the last site's files are the published site's too."""
    saved = _saved_key(cache)
    if not saved.get("shared") or saved.get("shared") != shared:
        return False
    from ..search import FOLDER

    if target.exists():
        shutil.rmtree(target)
    site = str(cache / "site")
    shutil.copytree(cache / "site", target, copy_function=shutil.copy2,
                    ignore=lambda folder, names: [FOLDER] if folder == site and FOLDER in names else [])
    # the search index is linked, not copied: the build replaces the parts whose pages changed, and never
    # writes into a file of it (`search.Index`)
    if (cache / "site" / FOLDER).is_dir():
        try:
            shutil.copytree(cache / "site" / FOLDER, target / FOLDER, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(target / FOLDER, ignore_errors=True)
    return True


COMMITTED = ("build/ holds files committed to git, so no cache is used (a cache from the repository could put "
             "into the site what nobody reviewed); take them out with `git rm -r --cached build`")


def folder(root: Path) -> Path | None:
    """`build/cache`, where every cache lives; None when git tracks files under `build/`.

    A pull request could commit a `build/` folder whose caches hold a site, parsed content or PDFs that
    no reviewer saw in the YAML, and a build would publish them. Caches are only ever this tool's own."""
    try:
        tracked = subprocess.run(["git", "ls-files", "-z", "--", "build"], cwd=root, capture_output=True,
                                 timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):  # no git: no repository to have committed anything
        return root / "build" / "cache"
    if tracked.returncode == 0 and tracked.stdout:
        return None
    return root / "build" / "cache"


KEPT = ".pages.json"  # in a language's docs folder: what each page there shows (`render.Renderer.inputs`)


def take_kept(docs: Path) -> dict[str, str]:
    """What each case page of `docs` shows, as the last build that wrote them saved it with the same tool; the
    file is removed, so a build that stops half way, or a build without the speed layer, leaves none behind
    (the render then makes every page again)."""
    path = docs / KEPT
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
    except (OSError, ValueError):
        return {}
    pages = saved.get("pages") if isinstance(saved, dict) and saved.get("code") == _code() else None
    if not isinstance(pages, dict) or not all(isinstance(v, str) for v in pages.values()):
        return {}
    return pages


def put_kept(docs: Path, pages: dict[str, str]) -> None:
    """Save what `take_kept` gives the next build, once this build's pages are written and built."""
    (docs / KEPT).write_text(json.dumps({"code": _code(), "pages": pages}, sort_keys=True), encoding="utf-8")


@functools.cache
def _code() -> str:
    h = hashlib.sha256()
    _files_digest(h, _CODE, "**/*.py")
    return h.hexdigest()


def saved(cache: Path) -> bool:
    """Whether a language site is kept in `cache` (if not, there is nothing to compare a key with)."""
    return (cache / "key.json").is_file()


def _saved_key(cache: Path) -> dict[str, Any]:
    try:
        saved = json.loads((cache / "key.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) and (cache / "site").is_dir() else {}


def matches(cache: Path, key: str) -> bool:
    """Whether `cache` holds the site of the inputs hashed to `key`."""
    return _saved_key(cache).get("key") == key


def restore(cache: Path, key: str, target: Path) -> int | None:
    """Put a cached language site at `target` (hard links, so it is quick); its page count, or None."""
    saved = _saved_key(cache)
    if saved.get("key") != key:
        return None
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(cache / "site", target, copy_function=_link_or_copy)
    return int(saved.get("pages", 0))


def store(cache: Path, key: str, source: Path, pages: int, shared: str = "") -> None:
    """Keep a copy of a freshly built language site for the next build (hard links: it is never written to)."""
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    shutil.copytree(source, cache / "site", copy_function=_link_or_copy)
    (cache / "key.json").write_text(json.dumps({"key": key, "pages": pages, "shared": shared}), encoding="utf-8")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
