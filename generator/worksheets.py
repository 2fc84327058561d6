"""Printable worksheets: Jinja2 HTML from `templates/worksheets/`, rendered to fillable PDFs by WeasyPrint.

One PDF per recipe (its worksheets) and per toolkit (a pack: a cover, then the worksheets of its recipes),
per language and paper size. Output is reproducible byte for byte, cached by a hash of its inputs, and
rendered on every core. WeasyPrint may read nothing but the files of `templates/worksheets/`.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import mimetypes
import os
import re
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .errors import HandbookError
from .languages import language_name
from .models import Block, Recipe, Toolkit, Worksheet
from .parallel import cores
from .paths import page_address
from .templating import environment, fill, placeholder_values, render, translations
from .validate import Handbook

FOLDER = "worksheets"
STYLESHEET = "worksheet.css"
PAPERS = {"a4": "A4", "letter": "letter"}  # our name -> CSS page size
PARALLEL_FROM = 4  # fewer PDFs than this render in this process: starting workers costs more
PDF_OPTIONS: dict[str, Any] = {"pdf_tags": True, "attachments": None, "custom_metadata": False}


def recipe_pdf(slug: str, paper: str) -> str:
    """File name of a recipe's worksheets, under `<lang>/worksheets/`."""
    return f"{slug}-{paper}.pdf"


def pack_pdf(slug: str, paper: str) -> str:
    """File name of a toolkit's pack, under `<lang>/worksheets/`."""
    return f"{slug}-pack-{paper}.pdf"


# ---------------------------------------------------------------- what the templates see


@dataclass(frozen=True)
class Blank:
    """One form field: its unique name and its human label."""

    name: str
    label: str


@dataclass(frozen=True)
class BlockView:
    kind: str
    text: str = ""
    name: str = ""
    lines: int = 0
    items: list[Blank] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Blank]] = field(default_factory=list)

    @property
    def field_count(self) -> int:
        return len(self.items) + sum(len(r) for r in self.rows) + (1 if self.kind == "prompt" else 0)


@dataclass(frozen=True)
class SheetView:
    anchor: str
    title: str
    intro: str
    step_number: int
    step_title: str
    blocks: list[BlockView]


@dataclass(frozen=True)
class SectionView:
    """One recipe's worksheets, in the language they are shown in."""

    slug: str
    title: str
    lang: str
    state: str
    address: str
    sheets: list[SheetView]
    source_language: str = ""  # the name of the language the recipe is written in, for the untranslated note


@dataclass(frozen=True)
class CoverView:
    title: str
    summary: str
    lang: str
    state: str
    address: str
    place: str
    group: str
    stakeholders: list[str]
    source_language: str = ""


@dataclass(frozen=True)
class DocumentView:
    lang: str
    title: str
    handbook_title: str
    licence: str
    page_size: str
    date: str
    sections: list[SectionView]
    cover: CoverView | None = None
    page_number: Markup = Markup('<span class="page-number"></span>')
    page_count: Markup = Markup('<span class="page-count"></span>')


# ---------------------------------------------------------------- building the views


def _blocks(blocks: list[Block], prefix: str, values: dict[str, str], row_label: str) -> list[BlockView]:
    views = []
    for i, block in enumerate(blocks, 1):
        name = f"{prefix}-{i}"
        if block.note is not None:
            views.append(BlockView("note", text=fill(block.note, values)))
        elif block.fields is not None:
            views.append(BlockView("fields", items=[Blank(f"{name}-{n}", fill(label, values))
                                                    for n, label in enumerate(block.fields, 1)]))
        elif block.prompt is not None:
            views.append(BlockView("prompt", text=fill(block.prompt.text, values), name=name,
                                   lines=block.prompt.lines))
        elif block.table is not None:
            columns = [fill(c, values) for c in block.table.columns]
            rows = [[Blank(f"{name}-r{r}c{c}", row_label % {"column": col, "row": r})
                     for c, col in enumerate(columns, 1)] for r in range(1, block.table.rows + 1)]
            views.append(BlockView("table", columns=columns, rows=rows))
        elif block.checklist is not None:
            views.append(BlockView("checklist", items=[Blank(f"{name}-{n}", fill(item, values))
                                                       for n, item in enumerate(block.checklist, 1)]))
    return views


def _sheet(recipe: Recipe, sheet: Worksheet, prefix: str, values: dict[str, str], row_label: str) -> SheetView:
    step_number, step_title = next(((n, fill(s.title, values)) for n, s in enumerate(recipe.steps, 1)
                                    if s.worksheet == sheet.id), (0, ""))
    anchor = f"{prefix}-{sheet.id}"
    return SheetView(anchor, fill(sheet.title, values), fill(sheet.intro or "", values), step_number, step_title,
                     _blocks(sheet.blocks, anchor, values, row_label))


def _address(book: Handbook, lang: str, kind: str, slug: str) -> str:
    """The page's published address, printed in the footer ("" without a `site_url`)."""
    return page_address(book.settings.site_url, lang, kind, slug) or ""


def _section(book: Handbook, slug: str, lang: str, values: dict[str, str], prefix: str) -> SectionView:
    recipe, state = book.localized("recipe", slug, lang)
    row_label = translations(book.root, lang).gettext("%(column)s, row %(row)s")
    sheets = [_sheet(recipe, sheet, prefix, values, row_label) for sheet in recipe.worksheets]
    own = book.own_lang("recipe", slug)
    return SectionView(slug, fill(recipe.title, values), own if state == "missing" else lang, state,
                       _address(book, lang, "recipe", slug), sheets, _language_name(own, lang))


def _language_name(code: str, lang: str) -> str:
    return language_name(code, lang, capital=False)


def build_date() -> str:
    """The documents' date, from SOURCE_DATE_EPOCH (the reproducible-builds convention), or 1970."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "0").strip() or "0"
    try:
        moment = datetime.datetime.fromtimestamp(int(raw), datetime.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise HandbookError(f"SOURCE_DATE_EPOCH is {raw!r}; it must be a number of seconds since 1970") from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _document(book: Handbook, lang: str, paper: str, title: str, sections: list[SectionView],
              cover: CoverView | None = None) -> DocumentView:
    settings = book.settings
    return DocumentView(lang, title, settings.text(settings.title, lang), settings.licence,
                        PAPERS[paper], build_date(), sections, cover)


def recipe_document(book: Handbook, slug: str, lang: str, paper: str) -> DocumentView:
    """What a recipe's PDF shows: its worksheets, placeholders filled with the generic phrases."""
    values = placeholder_values(book.root, book.settings, lang)
    section = _section(book, slug, lang, values, slug)
    return _document(book, lang, paper, section.title, [section])


def pack_document(book: Handbook, slug: str, lang: str, paper: str) -> DocumentView:
    """What a toolkit's pack shows: a cover, then its recipes' worksheets with the toolkit's institution."""
    toolkit, state = book.localized("toolkit", slug, lang)
    assert isinstance(toolkit, Toolkit)
    values = placeholder_values(book.root, book.settings, lang, toolkit.institution)
    sections: list[SectionView] = []
    for n, recipe in enumerate(toolkit.recipes, 1):
        entry = book.recipes.get(recipe)
        if entry is not None and entry.model.worksheets:
            prefix = recipe if recipe not in toolkit.recipes[: n - 1] else f"{recipe}-{n}"
            sections.append(_section(book, recipe, lang, values, prefix))
    cover = CoverView(fill(toolkit.title, values), fill(toolkit.summary, values),
                      book.own_lang("toolkit", slug) if state == "missing" else lang, state,
                      _address(book, lang, "toolkit", slug), book.settings.place or "", book.settings.group or "",
                      [fill(s, values) for s in toolkit.stakeholders],
                      _language_name(book.own_lang("toolkit", slug), lang))
    return _document(book, lang, paper, cover.title, sections, cover)


def render_html(book: Handbook, template: str, doc: DocumentView, env: jinja2.Environment | None = None) -> str:
    """The HTML of one document from `templates/worksheets/<template>`."""
    return render(env or environment(book.root, FOLDER, doc.lang), FOLDER, template, doc=doc)


# ---------------------------------------------------------------- rendering PDFs


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class TemplateFetcher(URLFetcher):
        """Serves the files of one folder; refuses every other URL (other files, http, data, ...)."""

        def __init__(self, folder: Path) -> None:
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.folder = folder.resolve()
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = local_file(url, self.folder)
            if path is None:
                self.refused.append(url)
                raise ValueError(f"worksheets may only use files in templates/{FOLDER}/, not {url[:200]}")
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    return TemplateFetcher


def local_file(url: str, folder: Path) -> Path | None:
    """The file a `file:` URL names, when it is a real file inside `folder` (after resolving symlinks)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
        return None
    path = Path(urllib.request.url2pathname(parts.path)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def fetcher(folder: Path) -> Any:
    """A WeasyPrint URL fetcher that serves only the files under `folder`."""
    return _fetcher_class()(folder)


def render_pdf(html: str, folder: str) -> bytes:
    """PDF bytes of one worksheet document; runs in a worker process."""
    from weasyprint import HTML

    base = Path(folder).resolve()
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(base))
    with _font_dates():
        pdf: bytes = document.write_pdf(finisher=with_appearances, **PDF_OPTIONS)
    return pdf


_OBJECT_STREAM = re.compile(rb"<<[^<>]*/Type\s*/ObjStm[^<>]*>>\s*stream\r?\n")
_PAGE_TREE = re.compile(rb"<<[^<>]*/Type\s*/Pages\b[^<>]*>>")
_COUNT = re.compile(rb"/Count\s+(\d+)")


def page_count(pdf: bytes) -> int:
    """How many pages a PDF of ours has: the `/Count` of its page tree, which WeasyPrint writes either as it is or
    in a compressed object stream (0 when there is none)."""
    parts = [pdf]
    for match in _OBJECT_STREAM.finditer(pdf):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompressobj().decompress(pdf[match.end():]))
    return max((int(count) for part in parts for tree in _PAGE_TREE.findall(part) for count in _COUNT.findall(tree)),
               default=0)


def with_appearances(document: Any, pdf: Any) -> None:
    """Give every text field an appearance stream (empty, like the field): WeasyPrint leaves them to the viewer
    (`NeedAppearances`), and viewers that ignore it show a field badly, or not at all. Fields of one size share one."""
    import pydyf

    shared: dict[tuple[float, float], Any] = {}
    for obj in list(pdf.objects):
        if not isinstance(obj, pydyf.Dictionary) or obj.get("FT") != "/Tx" or "AP" in obj:
            continue
        x1, y1, x2, y2 = (float(v) for v in obj["Rect"])
        size = (round(abs(x2 - x1), 3), round(abs(y2 - y1), 3))
        if size not in shared:
            shared[size] = pydyf.Stream([b"/Tx BMC", b"EMC"], {
                "Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array((0, 0, *size))})
            pdf.add_object(shared[size])
        obj["AP"] = pydyf.Dictionary({"N": shared[size].reference})


@contextlib.contextmanager
def _font_dates() -> Iterator[None]:
    """Where HarfBuzz's subsetter is missing, WeasyPrint subsets fonts with fontTools, which stamps each font
    with the time unless SOURCE_DATE_EPOCH is set: it is set (to the documents' own date, `build_date`) while
    a PDF is written, so the same worksheet has the same bytes on every run, on every setup."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = (before or "").strip() or "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _input_hash(html: str, css: bytes, paper: str) -> str:
    import weasyprint
    from weasyprint.pdf import fonts

    subsetter = b"harfbuzz" if fonts.harfbuzz_subset else b"fonttools"  # the same PDF, but not the same bytes
    digest = hashlib.sha256()
    for part in (html.encode(), css, paper.encode(), weasyprint.__version__.encode(), repr(PDF_OPTIONS).encode(),
                 subsetter):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, so a reader never sees half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Job:
    """One PDF to produce."""

    target: Path
    html: str
    key: str


def _jobs(book: Handbook, langs: list[str], papers: list[str], out: Path, css: bytes) -> list[Job]:
    jobs: list[Job] = []
    for lang in langs:
        env = environment(book.root, FOLDER, lang)
        folder = out / lang / "worksheets"
        for paper in papers:
            for slug, entry in book.recipes.items():
                if entry.model.worksheets:
                    html = render_html(book, "recipe.html.j2", recipe_document(book, slug, lang, paper), env)
                    jobs.append(Job(folder / recipe_pdf(slug, paper), html, _input_hash(html, css, paper)))
            for slug in book.toolkits:
                html = render_html(book, "pack.html.j2", pack_document(book, slug, lang, paper), env)
                jobs.append(Job(folder / pack_pdf(slug, paper), html, _input_hash(html, css, paper)))
    _check_unique(jobs)
    return jobs


def _check_unique(jobs: list[Job]) -> None:
    seen: set[Path] = set()
    for job in jobs:
        if job.target in seen:
            raise HandbookError(f"two worksheet PDFs would both be {job.target}: a recipe's slug ends in "
                                "'-pack' and matches a toolkit; rename one of them")
        seen.add(job.target)


def _render_all(jobs: list[Job], folder: Path) -> Iterable[tuple[Job, bytes]]:
    if len(jobs) < PARALLEL_FROM:
        for job in jobs:
            yield job, _render_one(job, folder)
        return
    workers = min(len(jobs), cores())
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [(job, pool.submit(render_pdf, job.html, str(folder))) for job in jobs]
        for job, future in futures:
            try:
                pdf = future.result()
            except Exception as exc:
                pool.shutdown(cancel_futures=True)
                raise HandbookError(f"could not render {job.target.name}: {exc}") from exc
            yield job, pdf


def _render_one(job: Job, folder: Path) -> bytes:
    try:
        return render_pdf(job.html, str(folder))
    except Exception as exc:
        raise HandbookError(f"could not render {job.target.name}: {exc}") from exc


def build_worksheets(book: Handbook, langs: list[str], papers: list[str], out: Path,
                     cache_dir: Path | None = None, prune: bool = False,
                     progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Write every recipe's worksheets and every toolkit's pack, for `langs` x `papers`, under
    `out/<lang>/worksheets/`; with `cache_dir`, PDFs whose inputs are unchanged are copied, not rendered.
    Rendering takes minutes on a first build: `progress` is told how far it got (`Rendering worksheets 12/90`).

    With `prune` (a build of every language and paper), cached PDFs this run did not use are deleted:
    the cache holds the current worksheets, not every version there ever was."""
    unknown = [p for p in papers if p not in PAPERS]
    if unknown:
        raise HandbookError(f"unknown paper size {unknown[0]!r}; use one of {', '.join(PAPERS)}")
    folder = book.root / "templates" / FOLDER
    css = (folder / STYLESHEET).read_bytes()
    return render_cached(_jobs(book, langs, papers, out, css), folder, cache_dir, prune, progress)


def render_cached(jobs: list[Job], folder: Path, cache_dir: Path | None = None, prune: bool = False,
                  progress: Callable[[str], None] = lambda _: None, noun: str = "worksheets") -> list[Path]:
    """Write every job's PDF (WeasyPrint reading only the files of `folder`); with `cache_dir`, a PDF whose key
    is cached is copied, not rendered, and with `prune` the cached PDFs no job used are deleted.
    The worksheets, the case handouts and the books are all made by this."""
    todo: list[Job] = []
    for job in jobs:
        cached = cache_dir / f"{job.key}.pdf" if cache_dir else None
        if cached is not None and cached.is_file():
            write_atomic(job.target, cached.read_bytes())
        else:
            todo.append(job)
    unique = list({job.key: job for job in todo}.values())
    total, step = len(unique), max(1, -(-len(unique) // 10))  # at most about ten lines
    reused = len(jobs) - len(todo)
    if not total:
        progress(f"{noun.capitalize()}: {reused} PDFs, unchanged since the last build")
    else:
        progress(f"Rendering {noun} 0/{total}" + (f" ({reused} more unchanged)" if reused else ""))
    for count, (done, pdf) in enumerate(_render_all(unique, folder), 1):
        if count % step == 0 or count == total:
            progress(f"Rendering {noun} {count}/{total}")
        if cache_dir is not None:
            write_atomic(cache_dir / f"{done.key}.pdf", pdf)
        for job in todo:
            if job.key == done.key:
                write_atomic(job.target, pdf)
    if prune and cache_dir is not None and cache_dir.is_dir():
        used = {f"{job.key}.pdf" for job in jobs}
        for old in cache_dir.glob("*.pdf"):
            if old.name not in used:
                old.unlink()
    return [job.target for job in jobs]
