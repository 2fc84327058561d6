"""`handbook build`, the pipeline, top to bottom:

1. load and check the content (`validate.load_handbook`); any error stops the build before it writes;
2. render each language's pages into `build/<lang>/docs` (`render.py`);
3. build each language's site with MkDocs (`site.py`: its config, running it, its messages);
4. write the root page, the schemas and the open data (`export.py`, `schema.py`);
5. render the worksheets, a handout per case and the book of each language (`worksheets.py`, `handout.py`,
   `book.py`);
6. publish: the service worker that keeps the site readable offline (`offline.py`), then the new site, made in
   a staging folder, replaces `site/` in one rename (`publish.py`).

Everything that exists only for speed is behind one door, `generator/speed/` (the `fast` object here): MkDocs
in worker processes reading each page as it is written, files not parsed again, languages not built again.
With `Speed.off()` the same steps make the same site, in one process.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import speed
from .errors import ContentError
from .lock import BUILD_LOCK, held
from .publish import (
    keep,
    kept_languages,
    merge,
    refuse_links,
    source_date_epoch,
    staging_folder,
    swap,
    world_readable,
)
from .speed.trace import mark

if TYPE_CHECKING:
    from .render import RenderResult
    from .site import Outcome
    from .validate import Handbook

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build made: per language, the pages; and how long it took."""

    languages: list[str] = field(default_factory=list)
    pages: int = 0
    worksheets: int = 0
    handouts: int = 0
    books: int = 0  # files: a PDF per paper and an EPUB per language
    seconds: float = 0.0
    reused: list[str] = field(default_factory=list)


REUSED = "nothing changed since the last build: reused it"
NO_SITE_URL = ("note: handbook.yml sets no site_url, so the site names no address of its own: no canonical links "
               "or sitemap, and the open data and worksheets give no web address; set site_url to where you "
               "publish it")
EXTRAS = ".extras"  # inside the staging folder: MkDocs empties <lang>/ when it starts, so extras wait here


def build(root: Path, langs: list[str] | None = None, worksheets: bool = True, strict: bool = True,
          progress: Progress = lambda _: None, jobs: int | None = None, commands: Any = None,
          fast: bool = True) -> BuildReport:
    """Check the content and build the whole site into `root/site`, atomically. `commands`, the `handbook`
    Click group, is documented on the command-line reference page. `fast=False` builds without
    `generator/speed/` (the tests compare the two)."""
    started = time.monotonic()
    accel = speed.start(root, langs, jobs) if fast else speed.Speed.off()  # first: see speed/__init__.py
    try:
        with held(root, BUILD_LOCK, "handbook build", wait=True, notice=progress):  # one build at a time here
            report = _build(root, langs, worksheets, strict, progress, accel, commands)
    finally:
        accel.stop()
    report.seconds = time.monotonic() - started
    return report


def _build(root: Path, langs: list[str] | None, worksheets: bool, strict: bool, progress: Progress,
           fast: speed.Speed, commands: Any) -> BuildReport:
    from .offline import write_service_workers
    from .validate import load_handbook  # pydantic and the rest: imported while the workers import MkDocs

    os.environ["SOURCE_DATE_EPOCH"] = source_date_epoch(root)
    progress("Checking the content")
    if fast.on and fast.cache is None:
        progress(f"warning: {speed.caches.COMMITTED}")
    with fast.loading():
        book = load_handbook(root, fast.parsed, strict)
    mark("content loaded and checked")
    fast.save_parsed()  # the next build, or the next check after a fix, parses only the files that changed
    if book.errors:
        raise ContentError(book.problems)
    langs = _languages(book, langs)
    refuse_links(root / "templates", root, "the build copies from templates/ into the site; replace each link "
                 "with the real file")
    if not book.settings.site_url:
        progress(NO_SITE_URL)
    site = root / "site"
    kept = kept_languages(book.settings.published, langs, site)
    report = BuildReport(languages=langs)
    staging = staging_folder(root)
    try:
        progress(f"Building {len(langs)} language{'s' if len(langs) != 1 else ''}: {', '.join(langs)}")
        _sites(book, langs, staging, strict, worksheets, progress, report, fast, commands,
               meanwhile=lambda: _write_extras(book, langs, kept, staging / EXTRAS))
        merge(staging / EXTRAS, staging)
        if worksheets:
            report.worksheets = _worksheets(book, langs, staging, fast.cache, progress)
            report.handouts, report.books = _handouts_and_books(book, langs, staging, fast.cache, progress)
        keep(site, staging, kept, [] if worksheets else langs)
        write_service_workers(root, staging, langs)  # offline once visited; last, as it names every file
        world_readable(staging)
        refuse_links(staging, staging, "a built site never holds links (this is a bug: please report it)")
        swap(staging, site)
        mark("site swapped in")
    except BaseException:
        fast.stop()  # first: a worker still building another language writes into the staging folder
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _languages(book: Handbook, langs: list[str] | None) -> list[str]:
    from .languages import chosen

    return chosen(book, langs) if langs else book.settings.published


def _sites(book: Handbook, langs: list[str], staging: Path, strict: bool, print_links: bool, progress: Progress,
           report: BuildReport, fast: speed.Speed, commands: Any, meanwhile: Callable[[], None]) -> None:
    """Steps 2 to 4: render each language and build it with MkDocs into `staging/<lang>` (or reuse its last
    build when none of its inputs changed), doing `meanwhile` (the open data) while MkDocs builds. The pages
    link the printable worksheets when they are built (`print_links`)."""
    from . import site
    from .render import RenderJob

    options = {"strict": strict, "print_links": print_links}
    reused: dict[str, int] = {}
    todo: list[speed.workers.Language] = []
    for lang in langs:
        pages = fast.reuse(book, lang, options, staging / lang)
        if pages is not None:
            reused[lang] = pages
            continue
        docs = book.root / "build" / lang / "docs"
        render = RenderJob(book, lang, docs, print_links, commands, fast.pages_kept(lang, docs))
        config = site.mkdocs_config(book, lang, book.root / "build", staging / lang)
        mark(f"{lang}: render planned, config written")
        why = fast.prefill(book.root, lang, options, config, staging / lang, render.gone)
        mark(f"{lang}: last site copied" if not why else f"{lang}: {why}")
        if not why:
            progress(f"  {lang}: building again only the pages that changed")
        elif lang in fast.shared and why != "no site to start from":
            progress(f"  {lang}: building every page: {why}")
        todo.append(speed.workers.Language(lang, render, config, dirty=not why))
    results: dict[str, RenderResult] = {item.lang: item.render.result for item in todo}

    def check(lang: str, outcome: Outcome) -> None:
        site.warnings(lang, outcome, results[lang].sources)  # raises when it failed: the build stops

    def meanwhile_and_keys() -> None:
        progress("Writing open data")
        meanwhile()
        fast.work_out_keys(book, list(results), options)
        mark("open data and keys written; waiting for MkDocs")

    if fast.workers:
        env = {"SOURCE_DATE_EPOCH": os.environ["SOURCE_DATE_EPOCH"], "NO_MKDOCS_2_WARNING": "1"}
        outcomes = fast.workers.build(todo, strict, env, check, meanwhile_and_keys)
    else:
        outcomes = {}
        for item in todo:
            item.render.run()
            outcomes[item.lang] = site.run_mkdocs(str(item.config), strict, item.dirty)
            check(item.lang, outcomes[item.lang])
        meanwhile_and_keys()
    for lang in langs:
        if lang in reused:
            report.pages += reused[lang]
            report.reused.append(lang)
            progress(f"  {lang}: {reused[lang]} pages ({REUSED})")
            continue
        pages = len(results[lang].pages)
        report.pages += pages
        fast.keep(lang, staging / lang, pages)
        progress(f"  {lang}: {pages} pages")
        for warning in site.warnings(lang, outcomes[lang], results[lang].sources):
            progress(f"  {lang}: warning: {warning}")


def _worksheets(book: Handbook, langs: list[str], staging: Path, cache: Path | None, progress: Progress) -> int:
    """Step 5: every worksheet and pack of the languages built, in both paper sizes."""
    from .worksheets import build_worksheets

    everything = set(langs) == set(book.settings.published)  # every sheet is made: the cache drops the others
    written = build_worksheets(book, langs, ["a4", "letter"], staging,
                               cache_dir=cache / "worksheets" if cache else None, prune=everything,
                               progress=progress)
    return len(written)


def _handouts_and_books(book: Handbook, langs: list[str], staging: Path, cache: Path | None,
                        progress: Progress) -> tuple[int, int]:
    """Step 5 too: a handout per case, and the whole handbook as a book per language (PDF and EPUB), made and
    cached as the worksheets are."""
    from .book import build_books
    from .handout import build_handouts

    everything = set(langs) == set(book.settings.published)
    handouts = build_handouts(book, langs, ["a4", "letter"], staging, cache / "handouts" if cache else None,
                              everything, progress)
    books = build_books(book, langs, ["a4", "letter"], staging, cache / "books" if cache else None, everything,
                        progress)
    return len(handouts), len(books)


def _write_extras(book: Handbook, langs: list[str], kept: list[str], folder: Path) -> None:
    """Step 4: what does not need MkDocs (the root page, schemas, open data), written while MkDocs builds.
    The root page lists the languages built and those `kept` from the last build."""
    from .export import write_site_data
    from .schema import write_schemas

    folder.mkdir(parents=True, exist_ok=True)
    _write_root_index(book, [lang for lang in book.settings.published if lang in langs or lang in kept], folder)
    write_schemas(book.root, folder / "schema", book.vocabulary)
    for lang in langs:
        write_site_data(book, lang, folder / lang / "data")


def _write_root_index(book: Handbook, langs: list[str], staging: Path) -> None:
    from .languages import language_name
    from .templating import environment, render

    env = environment(book.root, "site", book.source_lang)
    site = book.settings.site_url
    home = f"{str(site).rstrip('/')}/" if site else None  # without a site_url, nothing absolute
    languages = [{"code": code, "name": language_name(code), "href": f"{home or ''}{code}/index.html",
                  "title": book.settings.text(book.settings.title, code)} for code in langs]
    html = render(env, "site", "index.html.j2", title=book.settings.text(book.settings.title, book.source_lang),
                  languages=languages, codes=langs, home=home)
    (staging / "index.html").write_text(html, encoding="utf-8")

