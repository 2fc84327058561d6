"""Each language's search index: Pagefind, run on the language's built site, writes `<lang>/pagefind/`.

Pagefind splits the index into chunks, and a reader's browser fetches only the chunks a query needs (about
200 KB for a first search of a 1,000-case handbook, where Material's search fetched its whole 12.3 MB index).
It stems every language the handbook publishes that it knows (en, es, pt, ca and most European languages); for
another it still finds whole words. The search box is ours (templates/assets/search.js), built on Pagefind's
JavaScript API, so Pagefind's own UI files are not shipped.

A site of more than `PART` cases gets its index in parts, so that a build after an edit makes again only the parts
whose indexed text changed, and a first build makes each part while MkDocs writes the next (`Index`, below).

What is indexed: the body of each page (`data-pagefind-body`, templates/overrides/main.html) without what is
marked `data-search-exclude` (the case filter, the contents, the lists of cards); each page's kind and, for a
case, its sector, model, scale and country, are facets (`search_marks` writes them into the page).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from .errors import HandbookError
from .parallel import cores
from .templating import translations

FOLDER = "pagefind"
PAGEFIND = "1.5.2"  # pyproject.toml pins it: the index files are read back (`_stable_filters`)
EXCLUDE = "[data-search-exclude]"
# Pagefind writes these too; our search box uses its JavaScript API alone, in the page's own thread
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js", "pagefind-worker.js")


def pagefind_binary() -> Path:
    """The Pagefind program the `pagefind[bin]` wheel installs."""
    try:
        from pagefind_bin import get_executable

        return Path(get_executable())
    except (ImportError, FileNotFoundError):
        raise HandbookError("the search index needs Pagefind: reinstall the tool (`pip install -e .`), which "
                            "installs it with the `pagefind[bin]` package") from None


def index_site(site: Path, lang: str, background: bool = False) -> None:
    """Index the built site of one language into `site/pagefind/`, the same bytes from the same pages.
    `background`: at a lower priority, so that the preview's next build does not wait for the processor."""
    Index(site, lang, background).finish()


# A large site's index is made in parts: the pages of cases go into `PARTS` parts by a hash of their names (so a
# part holds the same pages from build to build, and an edit changes one part), and every other page (the home
# page, the indexes, recipes, toolkits, prose) into the main index, `pagefind/`. A part is in
# `pagefind/part-NN/` and the search box merges it into the main index (Pagefind's `mergeIndex`, which sorts the
# results of every part by score); `pagefind/parts.json` lists the parts, and holds a digest of the pages each
# part (and the main index) was made from, without what the index leaves out of them (`indexed`): a build indexes
# again only the parts whose indexed text changed.
# Each index costs a reader's query one more chunk (about 12 KB at 1,000 cases): with ten parts of 100 cases, a
# further query fetched 157 KB where one index fetched 25 KB (benchmarks/README.md, "search"); two parts and the
# main index keep it under 50 KB.
PART = 100  # a site with more cases than this gets its index in parts
PARTS = 2
PARTS_FILE = "parts.json"
_MADE_BY = f"pagefind {PAGEFIND} --keep-index-url --exclude-selectors {EXCLUDE}"  # in every digest


def case_slug(page: str) -> str | None:
    """The case a page of the built site tells (`cases/<slug>.html`, or `cases/<slug>/index.html` with
    directory URLs); None for any other page."""
    folder, _, name = page.partition("/")
    if folder != "cases" or name == "index.html":
        return None
    if name.endswith("/index.html") and name.count("/") == 1:
        return name[: -len("/index.html")]
    return name[: -len(".html")] if "/" not in name and name.endswith(".html") else None


def part_count(cases: int) -> int:
    """How many parts hold the pages of `cases` cases: none (they are in the main index) for a small site."""
    return 0 if cases <= PART else PARTS


def part_of(slug: str | None, parts: int) -> str:
    """The part of the index a page goes to: "" (the main index) or "part-NN"."""
    if slug is None or not parts:
        return ""
    return f"part-{int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], 'big') % parts + 1:02d}"


def write_order(plan: list[str]) -> list[str]:
    """A language's `docs/` files (`render.Renderer.plan`) in the order that writes the pages of each part of the
    index together, part after part, then the rest in the plan's order: the part's index can then be made while
    MkDocs writes the next part (`Index.written`). The site is the same in any order."""
    slugs = {path: path[len("cases/"):-len(".md")] if page_kind(path) == "case" else None for path in plan}
    parts = part_count(sum(slug is not None for slug in slugs.values()))
    if not parts:
        return plan
    return sorted(plan, key=lambda path: part_of(slugs[path], parts) or "~")


def pages_of(site: Path) -> dict[str, list[str]]:
    """Every page of a language's built site by the part of the index it goes to ("" for the main index)."""
    pages = []
    for parent, dirs, names in os.walk(site):
        if parent == str(site):
            dirs[:] = [name for name in dirs if name != FOLDER]
        base = Path(parent).relative_to(site).as_posix()
        pages += [name if base == "." else f"{base}/{name}" for name in names if name.endswith(".html")]
    slugs = {page: case_slug(page) for page in sorted(pages)}
    parts = part_count(sum(slug is not None for slug in slugs.values()))
    found: dict[str, list[str]] = {"": []}
    for page, slug in slugs.items():
        found.setdefault(part_of(slug, parts), []).append(page)
    return found


_DIV = re.compile(rb'<div((?:\s+[^\s=>"]+(?:="[^"]*")?)*)\s*>')
_ATTRIBUTE = re.compile(rb'\s+([^\s=>"]+)(?:="[^"]*")?')  # a name, and its value taken whole
_EXCLUDED = EXCLUDE[1:-1].encode()  # data-search-exclude
_DIGEST_OF = "pages without what is left out of the index"  # in every digest: digests of whole pages differ


def indexed(page: bytes) -> bytes:
    """A built page without what the search index leaves out of it, as far as it can be told without parsing
    the page: from each `<div>` marked `data-search-exclude` to the first `</div>` after it, unless Pagefind's
    own marks are in there. That is all of such a `<div>` when nothing in it is another `<div>` (the lists of
    related cases, of the cases that cite a page, of the recipes to try, the case index's cards), and never more
    than it.

    A part's digest is made from these: editing a case's title changes the lists of the cases that cite it,
    which the index leaves out, so their part of the index is kept."""
    kept, at = [], 0
    mark = page.find(_EXCLUDED)
    while mark >= 0:
        start = page.rfind(b"<", at, mark)
        div = _DIV.match(page, start) if start >= 0 else None  # the tag the mark is in, if it is a <div>
        end = page.find(b"</div>", div.end()) if div and div.end() > mark else -1
        if (div and end >= 0 and _EXCLUDED in _ATTRIBUTE.findall(div.group(1))
                and b"data-pagefind" not in page[div.end():end]):  # Pagefind's own marks it may read all the same
            kept.append(page[at:div.start()])
            at = end + len(b"</div>")
        mark = page.find(_EXCLUDED, max(mark + 1, at))
    kept.append(page[at:])
    return b"".join(kept)


class Index:
    """One language's search index, made part by part: `written` starts a part's index as soon as MkDocs has
    written its pages (a first build, `mkdocs_hooks.on_page_context`); `finish` makes the parts still to make,
    keeps those whose indexed text did not change, and puts every new part in place."""

    def __init__(self, site: Path, lang: str, background: bool = False) -> None:
        self.site, self.lang, self.background = site, lang, background
        self.out = site / FOLDER
        self._started: dict[str, tuple[str, subprocess.Popen[bytes], Path]] = {}
        self._processes: list[subprocess.Popen[bytes]] = []
        self._part = ""  # the part whose pages MkDocs is writing
        self._pages: dict[str, list[str]] = {}

    def written(self, page: str, parts: int) -> None:
        """MkDocs is about to write `page` (a path in the site) of a site of `parts` parts: the pages written before
        it are on disk. Once MkDocs goes on to another part, the index of the part it left is begun."""
        part = part_of(case_slug(page), parts)
        if part != self._part and self._part and self._part not in self._started:
            self._start(self._part, self._pages[self._part])
        self._part = part
        self._pages.setdefault(part, []).append(page)

    def _start(self, part: str, pages: list[str]) -> None:
        work = Path(tempfile.mkdtemp(prefix=f".search-{self.lang}-", dir=self.site.parent))
        try:
            # at a lower priority: MkDocs, still writing, keeps its core
            self._started[part] = (self._digest(pages), self._run(pages, work, nice=True), work)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def _digest(self, pages: list[str]) -> str:
        digest = hashlib.sha256(f"{_MADE_BY} {self.lang} {_DIGEST_OF}".encode())
        for page in sorted(pages):
            digest.update(page.encode() + b"\0" + hashlib.sha256(indexed((self.site / page).read_bytes())).digest())
        return digest.hexdigest()[:32]

    def _run(self, pages: list[str] | None, work: Path, nice: bool = False) -> subprocess.Popen[bytes]:
        """Start Pagefind on `pages` (linked into `work`), or on the whole site (None), writing into `work/index`."""
        site = self.site
        if pages is not None:
            site = work / "pages"
            for page in pages:
                (site / page).parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(self.site / page, site / page)
                except OSError:  # a file system without hard links
                    shutil.copyfile(self.site / page, site / page)
        command = [str(pagefind_binary()), "--site", str(site), "--output-path", str(work / "index"),
                   "--keep-index-url", "--force-language", self.lang.lower(), "--exclude-selectors", EXCLUDE,
                   "--silent"]
        lower = shutil.which("nice") if self.background or nice else None  # POSIX systems have it
        try:
            with open(work / "said.txt", "wb") as said:
                process = subprocess.Popen([lower, "-n", "10", *command] if lower else command, stdout=said,
                                           stderr=subprocess.STDOUT)
        except OSError as exc:
            raise HandbookError(f"the {self.lang} search index could not be built: {exc}") from None
        self._processes.append(process)
        return process

    def cancel(self) -> None:
        """Stop the parts begun (the build failed)."""
        self._end(lambda works: None)

    def finish(self) -> None:
        """Make every part of the index whose indexed text changed (or that none made yet), and put them in place."""
        self._end(self._finish)

    def _end(self, step: Any) -> None:
        works = [work for _, _, work in self._started.values()]
        try:
            step(works)
        finally:
            for process in self._processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            for work in works:
                shutil.rmtree(work, ignore_errors=True)
            self._started.clear()
            self._processes.clear()

    def _finish(self, works: list[Path]) -> None:
        plan = pages_of(self.site)
        wanted = {part: self._digest(pages) for part, pages in plan.items()}
        kept = self._kept()
        (self.out / PARTS_FILE).unlink(missing_ok=True)  # until every part is in place: a stop makes all anew
        ready: dict[str, Path] = {}
        waiting = [(part, process, work) for part, (digest, process, work) in self._started.items()
                   if wanted.get(part) == digest]
        to_make = [part for part in plan if kept.get(part) != wanted[part]
                   and not any(part == started for started, _, _ in waiting)]
        running = len([1 for _, process, _ in waiting if process.poll() is None])
        while to_make or waiting:
            while to_make and running < cores():
                part = to_make.pop(0)
                work = Path(tempfile.mkdtemp(prefix=f".search-{self.lang}-", dir=self.site.parent))
                works.append(work)
                waiting.append((part, self._run(plan[part] if len(plan) > 1 else None, work), work))
                running += 1
            part, process, work = waiting.pop(0)
            try:
                code = process.wait(timeout=600)
            except subprocess.TimeoutExpired:
                raise HandbookError(f"the {self.lang} search index could not be built: Pagefind took over 10 "
                                    "minutes") from None
            if code != 0 or not (work / "index" / "pagefind-entry.json").is_file():
                said = (work / "said.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()
                raise HandbookError(f"the {self.lang} search index could not be built: "
                                    f"{said[-1] if said else process.returncode}")
            running -= 1
            ready[part] = work / "index"
        for part, index in sorted(ready.items()):
            self._put(part, index)
        for old in self.out.glob("part-*"):
            if old.name not in plan:
                shutil.rmtree(old)
        (self.out / PARTS_FILE).write_text(json.dumps(
            {"parts": [f"{part}/" for part in sorted(plan) if part], "digests": dict(sorted(wanted.items()))},
            indent=1) + "\n", encoding="utf-8")

    def _kept(self) -> dict[str, str]:
        """The digests of the parts the index folder holds, as the build that made them wrote them."""
        try:
            digests = json.loads((self.out / PARTS_FILE).read_text(encoding="utf-8"))["digests"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        if not isinstance(digests, dict):
            return {}
        return {part: digest for part, digest in digests.items()
                if (self.out / part / "pagefind-entry.json").is_file()}

    def _put(self, part: str, index: Path) -> None:
        """Put a newly made part (or the main index) in place, without Pagefind's files the site does not use."""
        for name in UNUSED + ((("pagefind.js",) + tuple(p.name for p in index.glob("wasm.*"))) if part else ()):
            (index / name).unlink(missing_ok=True)
        _stable_filters(index)
        if part:
            shutil.rmtree(self.out / part, ignore_errors=True)
            self.out.mkdir(parents=True, exist_ok=True)
            os.replace(index, self.out / part)
            return
        if self.out.exists():
            for old in self.out.iterdir():
                if not old.name.startswith("part-") and old.name != PARTS_FILE:
                    shutil.rmtree(old) if old.is_dir() else old.unlink()
        self.out.mkdir(parents=True, exist_ok=True)
        for new in index.iterdir():
            os.replace(new, self.out / new.name)


# Pagefind 1.5 writes a facet's values, and the list of facets in its meta file, in an order that changes from run
# to run (Pagefind issue 638: they come from hash maps). Each file is gzip of a signature then CBOR; the
# facet files and the meta file are written again with their values in order, under names made from their bytes.
SIGNATURE = b"pagefind_dcd"


def _stable_filters(out: Path) -> None:
    """Make `out`'s facet files, its meta file and the entry naming it the same bytes from the same site."""
    entry = json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    for lang, about in sorted(entry["languages"].items()):
        meta_path = out / f"pagefind.{about['hash']}.pf_meta"
        meta = _read(meta_path)
        filters = meta[3]
        for item in filters:  # [name, file hash]
            old = out / "filter" / f"{item[1]}.pf_filter"
            name, values = _read(old)
            old.unlink()
            item[1] = _write(out / "filter", "pf_filter", lang, 7, [name, sorted(values, key=lambda v: v[0])])
        filters.sort(key=lambda item: item[0])
        meta_path.unlink()
        about["hash"] = _write(out, "pf_meta", lang, 10, meta, prefix="pagefind.")
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")


def _read(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise HandbookError(f"{path.name}: not a Pagefind index file (Pagefind {PAGEFIND} is the version this "
                            "tool reads)")
    value, end = _cbor_item(data, len(SIGNATURE))
    return value


def _write(folder: Path, suffix: str, lang: str, digits: int, value: Any, prefix: str = "") -> str:
    """Write `value` as Pagefind does; the file's hash, by which the meta file or the entry names it."""
    data = SIGNATURE + _cbor(value)
    name = f"{lang}_{hashlib.sha256(data).hexdigest()[:digits]}"
    (folder / f"{prefix}{name}.{suffix}").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    """One CBOR item (RFC 8949) of the kinds Pagefind writes: integers, strings, arrays, maps and simple values."""
    major, info = data[pos] >> 5, data[pos] & 31
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info in simple:
            return simple[info], pos
        raise HandbookError(f"Pagefind wrote a CBOR value this tool does not read (simple value {info})")
    arg = info
    if info >= 24:
        size = 1 << (info - 24)
        arg, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        raw = data[pos:pos + arg]
        return (raw if major == 2 else raw.decode("utf-8")), pos + arg
    items = []
    for _ in range(arg * (2 if major == 5 else 1)):
        item, pos = _cbor_item(data, pos)
        items.append(item)
    return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), pos


def _cbor(value: Any) -> bytes:
    """`value` as CBOR, each length and integer in its shortest form, as Pagefind (minicbor) writes them."""
    if value is None or isinstance(value, bool):
        return bytes([0xF6 if value is None else 0xF5 if value else 0xF4])
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor(item) for item in value)
    return _cbor_head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())


def _cbor_head(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    size = next(n for n in (1, 2, 4, 8) if arg < 1 << (8 * n))
    return bytes([major << 5 | (24 + size.bit_length() - 1)]) + arg.to_bytes(size, "big")


def search_marks(kind: str, facets: dict[str, list[str]] | None = None) -> Markup:
    """What a page tells the index besides its text, never shown: its kind (shown by each result, and a facet)
    and, for a case, its facets (`facets`: name -> values, the labels the case filter shows)."""
    marks = [f'<span data-pagefind-filter="kind">{escape(kind)}</span>',
             f'<span data-pagefind-meta="kind">{escape(kind)}</span>']
    for name, values in (facets or {}).items():
        marks += [f'<span data-pagefind-filter="{escape(name)}">{escape(value)}</span>' for value in values]
    return Markup(f'<div class="hb-search-marks" hidden data-pagefind-ignore>{"".join(marks)}</div>')


KINDS = {"cases": "case", "recipes": "recipe", "toolkits": "toolkit"}  # the folder of a page: its kind


def page_kind(src_uri: str) -> str:
    """case, recipe or toolkit for the page of one; page for any other (an index, a prose or reference page)."""
    folder, _, name = src_uri.rpartition("/")
    return KINDS.get(folder, "page") if name != "index.md" else "page"


def box_strings(root: Path, lang: str) -> dict[str, Any]:
    """The search box's words in `lang` (templates/overrides/partials/search.html and assets/search.js), from
    the handbook's UI catalogues. The count's plural forms are given for 1 and for 2: right in the languages
    whose only plural forms are "one" and "other" (en, es, pt, ca and most European languages)."""
    catalogue = translations(root, lang)
    _ = catalogue.gettext
    ngettext = catalogue.ngettext
    kinds = {"case": _("Case study"), "recipe": _("Action recipe"), "toolkit": _("Toolkit"), "page": _("Page")}
    facets = {"kind": _("Kind of page"), "sector": _("Sector"), "model": _("Model"), "scale": _("Scale"),
              "country": _("Country")}
    script = {
        "none": _("No result for “%(query)s”. Try another word, or fewer filters."),
        "found": [ngettext("%(count)s result for “%(query)s”", "%(count)s results for “%(query)s”", n)
                  for n in (1, 2)],
        "matching": [ngettext("%(count)s page matches these filters", "%(count)s pages match these filters", n)
                     for n in (1, 2)],
        "loading": _("Loading the search…"),
        "failed": _("The search could not be loaded. Check your connection and try again."),
    }
    return {"search": _("Search"), "label": _("Search the handbook"), "close": _("Close"),
            "narrow": _("Narrow the results"), "all": _("All"), "more": _("Show more results"),
            "results": _("Results"), "kinds": kinds, "facets": facets, "script": script}
