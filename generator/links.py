"""The links of contributed Markdown, checked as MkDocs checks them in the build, so that `handbook check`
accepts a file only if `handbook build` builds it.

Each Markdown field (and prose page) that holds a link is converted by Python-Markdown with the site's own
Markdown extensions, after the same escaping as in the build (`text.markdown_text`); every link and image
is then judged by MkDocs' rule (`mkdocs.structure.pages._RelativePathTreeprocessor.path_to_url`): an address
with a scheme is left to the page cleaner (which keeps only http, https and mailto), and any other must be the
path of a file of the site. What MkDocs would refuse (a warning, which fails a strict build) is a problem here,
at its file and line: an address written with character references (`jav&#x61;script:`), a tab, a path
starting with `/`, or a page that does not exist.
"""

from __future__ import annotations

import posixpath
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel

from .errors import Problem
from .load import Document, LoadError, Path_, field_name, read_text
from .models import Markdown
from .paths import FOLDERS

if TYPE_CHECKING:
    import markdown

    from .validate import Handbook

_LINKED = re.compile(r"\]\s*[(:\[]")  # `](`, `]:` or `][`: the text may hold a link or an image
_REFERENCE = re.compile(r"&#?[A-Za-z0-9]+;")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
EXAMPLE = "../recipes/who-is-missing.md"


def markdown_paths(model: type[BaseModel], prefix: Path_ = ()) -> list[Path_]:
    """Where a model's Markdown fields are: ('story',), ('outcomes', '*', 'text'), ... ('*': every item)."""
    paths: list[Path_] = []
    for name, info in model.model_fields.items():
        here = (*prefix, name)
        if info.metadata == list(typing.get_args(Markdown)[1:]) or Markdown in typing.get_args(info.annotation):
            paths.append(here)
            continue
        for arg in _flatten(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                inner = (*here, "*") if typing.get_origin(info.annotation) is list else here
                paths += markdown_paths(arg, inner)
    return paths


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [a for arg in args for a in _flatten(arg)]


def texts(data: Any, path: Path_, loc: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """The text found at `path` in `data` (as written: any shape), with its location."""
    if not path:
        if isinstance(data, str):
            yield loc, data
        return
    first, rest = path[0], path[1:]
    if first == "*":
        for i, item in enumerate(data if isinstance(data, list) else []):
            yield from texts(item, rest, (*loc, i))
    elif isinstance(data, dict) and first in data:
        yield from texts(data[first], rest, (*loc, first))


def check_links(book: Handbook, documents: list[tuple[str, str, Document]], strict: bool = True) -> list[Problem]:
    """The links MkDocs would refuse in the Markdown of `documents` ((kind, slug, file) of sources and
    translations) and of the prose pages. They are errors, or warnings when the build is not `strict`."""
    from .models import Case, Recipe, Toolkit

    level = "error" if strict else "warning"
    fields = {"case": markdown_paths(Case), "recipe": markdown_paths(Recipe), "toolkit": markdown_paths(Toolkit)}
    checker: _Checker | None = None
    problems: list[Problem] = []
    for kind, slug, doc in documents:
        page = f"{_folder(kind)}/{slug}.md"
        found = [(loc, text) for path in fields[kind] for loc, text in texts(doc.data, path) if _LINKED.search(text)]
        for loc, text in found:
            checker = checker or _Checker(book)
            for url, why in checker.refused(text, page):
                line, col = checker.locate(doc, loc, url)
                problems.append(Problem(doc.path, line, col, field_name(loc), why, level))
    for name, files in sorted(book.pages.items()):
        for path in files.values():
            shown = f"{_pages_folder()}/{path.name}"
            try:
                text = read_text(path, shown)
            except LoadError:
                continue  # reported by the load
            if not _LINKED.search(text):
                continue
            checker = checker or _Checker(book)
            for url, why in checker.refused(_body(text), f"{name}.md"):
                line, col = _find(text.split("\n"), 1, url) or (1, 1)
                problems.append(Problem(shown, line, col, "", why, level))
    return problems


def _folder(kind: str) -> str:
    from .paths import PAGE_FOLDERS

    return PAGE_FOLDERS[kind]


def _pages_folder() -> str:
    from .paths import PAGES_FOLDER

    return PAGES_FOLDER


def _body(text: str) -> str:
    """A prose page's Markdown as the build converts it: without its `# Title` line (kept blank, so that the
    lines still count from the top of the file)."""
    lines = text.lstrip("\ufeff").split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                lines[i] = ""
            break
    return "\n".join(lines)


class _Checker:
    """One Python-Markdown converter with the site's extensions, reused for every text, and the files of the site."""

    def __init__(self, book: Handbook) -> None:
        from .paths import page_paths
        from .text import markdown_text

        self.escape = markdown_text
        self.files = page_paths(book) | _assets(book.root)
        for broken in book.broken:  # a file with errors of its own: a link to its page is not one more problem
            kind = next((k for k, folder in FOLDERS.items() if broken.startswith(f"{folder}/")), None)
            if kind is not None:
                self.files.add(f"{_folder(kind)}/{broken.rpartition('/')[2].split('.')[0]}.md")
        self.found: list[str] = []
        self.md = _markdown(book.root, self.found)
        self.sources: dict[str, list[str]] = {}
        self.root = book.root

    def refused(self, text: str, page: str) -> list[tuple[str, str]]:
        """(the address, why) of each link of `text` that MkDocs would refuse on `page`."""
        self.found.clear()
        self.md.reset()
        self.md.convert(str(self.escape(text)))
        return [(written(url), why) for url in self.found if (why := refused(url, page, self.files))]

    def locate(self, doc: Document, loc: Path_, url: str) -> tuple[int, int]:
        """Where `url` is written in the text at `loc`: its line and column in the file, else the text's."""
        line, col = doc.where(loc)
        if doc.path not in self.sources:
            try:
                self.sources[doc.path] = read_text(self.root / doc.path, doc.path).split("\n")
            except LoadError:
                self.sources[doc.path] = []
        return _find(self.sources[doc.path], line, url) or (line, col)


def _find(lines: list[str], start: int, url: str) -> tuple[int, int] | None:
    """The first line from `start` on that holds `url` (or, for an address cut by a line break or changed by
    Markdown, its first word), with the column where it starts."""
    for needle in (url, url.split()[0] if url.split() else url, url[:12]):
        for number in range(start, len(lines) + 1):
            at = lines[number - 1].find(needle) if needle else -1
            if at >= 0:
                return number, at + 1
    return None


def written(url: str) -> str:
    """An address as the contributor wrote it, before `text.markdown_text` escaped its `<`, `>` and `&`."""
    return url.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def refused(url: str, page: str, files: set[str]) -> str:
    """Why MkDocs would refuse the address `url` of a link on `page` (the path of a page of the site), or ""."""
    from markdown.util import AMP_SUBSTITUTE

    scheme, netloc, path, _, _ = urlsplit(url)
    if scheme or netloc or AMP_SUBSTITUTE in url or not (path or url.startswith(("/", "\\"))):
        return ""  # a web address (the page cleaner keeps only http, https and mailto), or a place on the page
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(path)).lstrip("/"))
    if target in files and not url.startswith(("/", "\\")):  # MkDocs refuses a path from the top (strict)
        return ""
    url = written(url)
    if url.startswith("<"):
        return (f"the link {url!r} is written in <angle brackets>, which this handbook does not read as an "
                "address; write it without them")
    reference = _REFERENCE.search(url)
    if reference:
        return (f"the link {url!r} is written with the character reference {reference.group(0)}, which a link "
                "cannot hold; write a web address starting with https://, or the path of a page of this "
                f"handbook (like {EXAMPLE})")
    if _CONTROL.search(url):
        return (f"the link {url!r} holds a space, tab or line break, which a link cannot hold; write a web "
                f"address starting with https://, or the path of a page of this handbook (like {EXAMPLE})")
    if url.startswith(("/", "\\")):
        return (f"the link {url!r} starts with {url[0]}, which leads nowhere on the published site; link to a "
                f"page of this handbook by its path from this page (like {EXAMPLE}), or write a full address "
                "starting with https://")
    target = written(target)
    return (f"the link {url!r} leads to {target}, which is not a page of this handbook; write the path of a page "
            f"from this one (like {EXAMPLE}), or a full address starting with https://")


def _assets(root: Path) -> set[str]:
    from .paths import ASSETS

    folder = root / ASSETS
    return {f"assets/{item.name}" for item in folder.iterdir() if item.is_file()} if folder.is_dir() else set()


def _markdown(root: Path, found: list[str]) -> markdown.Markdown:
    """Python-Markdown with the extensions of the site's mkdocs.yml (and MkDocs' own), collecting into `found`
    the address of every link and image once the page is converted, where MkDocs checks them."""
    import markdown
    from markdown.extensions import Extension
    from markdown.treeprocessors import Treeprocessor

    class Collect(Treeprocessor):
        def run(self, root: Any) -> None:
            for element in root.iter():
                url = element.get("href") if element.tag == "a" else element.get("src") if element.tag == "img" \
                    else None
                if url is not None:
                    found.append(url)

    class Links(Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
            md.treeprocessors.register(Collect(md), "handbook_links", 0)

    names, configs = _extensions(root)
    try:
        return markdown.Markdown(extensions=[*names, Links()], extension_configs=configs)
    except Exception:  # noqa: BLE001 - an extension that does not load fails the build itself, with its message
        return markdown.Markdown(extensions=["toc", "tables", "fenced_code", Links()])


def _extensions(root: Path) -> tuple[list[str], dict[str, Any]]:
    """The Markdown extensions MkDocs uses for the site: its own, then those of mkdocs.yml, with their settings."""
    names: list[str] = ["toc", "tables", "fenced_code"]
    configs: dict[str, Any] = {}
    try:
        from mkdocs.utils.yaml import yaml_load

        with open(root / "mkdocs.yml", "rb") as handle:
            listed = yaml_load(handle).get("markdown_extensions") or []
    except Exception:  # noqa: BLE001 - a broken mkdocs.yml is reported by the build
        return names, configs
    for item in listed if isinstance(listed, list) else []:
        name, config = (item, None) if isinstance(item, str) else next(iter(item.items()), (None, None)) \
            if isinstance(item, dict) else (None, None)
        if isinstance(name, str) and name not in names:
            names.append(name)
        if isinstance(name, str) and isinstance(config, dict):
            configs[name] = config
    return names, configs
