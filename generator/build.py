"""`handbook build`: check, render every language, build each with MkDocs, add worksheets and data,
then swap the result into `site/` atomically. A failed build leaves the previous `site/` untouched."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import cache
from . import render as rendering
from .errors import ContentError, HandbookError
from .headstart import HeadStart, head_start
from .languages import language_name
from .load import ParseCache, display_path
from .lock import BUILD_LOCK, held
from .mkdocs_worker import Job, Outcome, Workers, run_mkdocs
from .render import RenderResult
from .templating import environment, render, ui_gettext
from .trace import mark
from .validate import Handbook, load_handbook

LUNR_LANGS = {"ar", "da", "de", "du", "el", "es", "fi", "fr", "he", "hi", "hu", "hy", "it", "ja", "jp", "kn", "ko",
              "nl", "no", "pt", "ro", "ru", "sa", "sv", "ta", "te", "th", "tr", "vi", "zh", "en"}
Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build made: per language, the pages; and how long it took."""

    languages: list[str] = field(default_factory=list)
    pages: int = 0
    worksheets: int = 0
    seconds: float = 0.0
    reused: list[str] = field(default_factory=list)


def source_date_epoch(root: Path) -> str:
    """SOURCE_DATE_EPOCH if set; else the last commit's time; else 0. No wall-clock time reaches the site."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True,
                             timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "0"


def mkdocs_settings(book: Handbook, lang: str) -> dict[str, Any]:
    """The parts of a language's MkDocs config that come from the content: name, navigation, links."""
    settings = book.settings
    _ = ui_gettext(book.root, lang)
    nav: list[Any] = [{_("Home"): "index.md"}, {_("Case studies"): "cases/index.md"},
                      {_("Action recipes"): "recipes/index.md"}, {_("Toolkits"): "toolkits/index.md"}]
    for name, label in (("how-to-use", _("How to use")), ("contribute", _("Contribute")), ("about", _("About"))):
        if name in book.pages:
            nav.append({label: f"{name}.md"})
    extra_pages = sorted(set(book.pages) - {"index", "how-to-use", "contribute", "about"})
    nav.extend(f"{name}.md" for name in extra_pages)
    nav.append({_("Open data"): "data.md"})
    nav.append({_("Reference"): [{_("Fields"): "reference/fields.md"}, {_("Command line"): "reference/cli.md"}]})
    config: dict[str, Any] = {
        "site_name": settings.text(settings.title, lang),
        "site_description": settings.text(settings.description, lang) or None,
        "nav": nav,
        "copyright": _("Content licensed %(licence)s", licence=settings.licence),
    }
    if settings.site_url:
        config["site_url"] = f"{str(settings.site_url).rstrip('/')}/{lang}/"
    if settings.repo_url:
        config["repo_url"] = str(settings.repo_url)
    return config


def mkdocs_config(book: Handbook, lang: str, build_dir: Path, site_dir: Path, serve: bool = False) -> Path:
    """Write `build/<lang>/mkdocs.yml`, which INHERITs the handbook's `mkdocs.yml`.

    With `serve`, the config is for `handbook serve`: the hooks render the content again before every build,
    and the site is served from the root of the preview server."""
    root = book.root.resolve()
    search: dict[str, Any] = {"lang": [lang] if lang in LUNR_LANGS else ["en"]}
    if lang not in LUNR_LANGS:  # no stemmer for this language: do not apply English stemming or stop words
        search["pipeline"] = ["trimmer"]
    _ = ui_gettext(root, lang)
    toc = str(_("On this page"))  # the contents on a phone (mkdocs_hooks.on_page_context)
    extra: dict[str, Any] = {"alternate": alternates(book), "generator": False, "handbook_toc": toc}
    if serve:  # one language, at the root of the preview server: no language menu leading nowhere
        extra = {"generator": False, "handbook_toc": toc, "handbook_serve": {"root": str(root), "lang": lang}}
    content = mkdocs_settings(book, lang)
    config: dict[str, Any] = {
        "INHERIT": str(root / "mkdocs.yml"),
        "site_name": content.pop("site_name"),
        "site_description": content.pop("site_description"),
        "docs_dir": "docs",
        "site_dir": str(site_dir.resolve()),
        "theme": {"name": "material", "language": lang, "custom_dir": str(root / "templates" / "overrides")},
        "hooks": [str(Path(__file__).with_name("mkdocs_hooks.py"))],
        "plugins": [{"search": search}, {"tags": {}}],
        "extra": extra,
        "extra_css": ["assets/handbook.css"],
        "extra_javascript": ["assets/handbook.js"],
        **content,
    }
    if serve:
        config.pop("site_url", None)
    config = {k: v for k, v in config.items() if v is not None}
    path = build_dir / lang / "mkdocs.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def alternates(book: Handbook) -> list[dict[str, str]]:
    """Each published language, for the language menu and the `hreflang` links: `root` is its site's address
    (relative without a `site_url`), to which the hooks add the page's path (`mkdocs_hooks.on_page_context`)."""
    site = book.settings.site_url
    out = []
    for code in book.settings.published:
        root = f"{str(site).rstrip('/')}/{code}/" if site else f"../{code}/"
        out.append({"name": language_name(code), "lang": code, "root": root, "link": f"{root}index.html"})
    return out


_DOC_FILE = re.compile(r"Doc file '([^']+)'")


def _locate(message: str, sources: dict[str, str]) -> str:
    """Name the content file behind a generated page in a MkDocs message: what a contributor has to edit."""
    match = _DOC_FILE.search(message)
    if match and match.group(1) in sources:
        page = match.group(1)
        return f"{sources[page]}: {message.replace(match.group(0), f'the page {page}', 1)}"
    return message


def _warnings(lang: str, outcome: Outcome, sources: dict[str, str]) -> list[str]:
    """The warnings of a language's MkDocs build, each naming its content file; raises when it failed."""
    if outcome.failure == "mkdocs":
        details = "\n".join(f"  {_locate(message, sources)}" for message in outcome.messages)
        raise HandbookError(f"the {lang} site failed to build: {outcome.error}\n{details}".rstrip())
    if outcome.failure == "template":
        raise HandbookError(f"templates/overrides/{outcome.template}:{outcome.line}: error: template: "
                            f"{outcome.error} (the {lang} site failed to build)")
    if outcome.failure == "died":
        raise HandbookError(f"the {lang} site failed to build: {outcome.error}")
    if outcome.failure:  # a bug, not the content: its traceback
        raise RuntimeError(f"the {lang} site failed to build:\n{outcome.error}")
    return [_locate(message, sources) for message in outcome.messages]


REUSED = "nothing changed since the last build: reused it"
NO_SITE_URL = ("note: handbook.yml sets no site_url, so the site names no address of its own: no canonical links "
               "or sitemap, and the open data and worksheets give no web address; set site_url to where you "
               "publish it")


def build(root: Path, langs: list[str] | None = None, worksheets: bool = True, strict: bool = True,
          progress: Progress = lambda _: None, jobs: int | None = None, start: HeadStart | None = None,
          commands: Any = None) -> BuildReport:
    """Check the content and build the whole site into `root/site`, atomically. `commands`, the `handbook`
    Click group, is documented on the command-line reference page.

    `start` is what the caller started before it imported this module (the CLI does: MkDocs imports itself
    and the YAML is parsed while the rest is imported); without it, the build starts it. It stops it."""
    started = time.monotonic()
    start = start or head_start(root, langs, jobs)
    try:
        with held(root, BUILD_LOCK, "handbook build", wait=True, notice=progress):  # one build at a time here
            return _build(root, langs, worksheets, strict, progress, start, started, commands)
    finally:
        start.stop()


def _build(root: Path, langs: list[str] | None, worksheets: bool, strict: bool, progress: Progress,
           start: HeadStart, started: float, commands: Any = None) -> BuildReport:
    os.environ["SOURCE_DATE_EPOCH"] = source_date_epoch(root)
    progress("Checking the content")
    caches, parsed, workers = start.caches, start.parsed, start.workers
    if caches is None:
        progress(f"warning: {cache.COMMITTED}")
    site = root / "site"
    staging = Path(tempfile.mkdtemp(prefix=".site-new-", dir=root))
    staging.chmod(0o755)  # mkdtemp makes it private: a web server running as another user could not read it
    try:
        early: dict[str, tuple[int, str]] = {}  # language -> (its worker, its config) given during the load

        def settled(partial: Handbook) -> None:
            _start_early(partial, langs, root / "build", staging, strict, workers, early)

        mark("imports done, loading")
        book = load_handbook(root, parsed, settled, strict)  # files unchanged since the last build are not parsed again
        mark("content loaded and checked")
        if book.errors:
            parsed.save()  # the next check, after a fix, parses only the files that changed
            raise ContentError(book.problems)
        langs = _languages(book, langs)
        _refuse_template_links(root)
        if not book.settings.site_url:
            progress(NO_SITE_URL)
        report = BuildReport(languages=langs)
        kept = _kept_languages(book, langs, site)
        _build_languages(book, langs, root / "build", caches, staging, strict, worksheets, progress, report, workers,
                         early, lambda: _write_extras(book, langs, kept, staging / EXTRAS, parsed), commands)
        _merge(staging / EXTRAS, staging)
        if worksheets:
            report.worksheets = _worksheets(book, langs, staging, caches, progress)
        _keep(site, staging, kept, [] if worksheets else langs)
        from .offline import write_service_workers  # offline once visited; last, as it names every file

        write_service_workers(root, staging, langs)
        _world_readable(staging)
        refuse_links(staging, staging, "a built site never holds links (this is a bug: please report it)")
        _swap(staging, site)
        mark("site swapped in")
    except BaseException:
        workers.stop()  # first: a worker still building another language writes into the staging folder
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - started
    return report


def _start_early(partial: Handbook, langs: list[str] | None, build_dir: Path, staging: Path, strict: bool,
                 workers: Workers, early: dict[str, tuple[int, str]]) -> None:
    """Once the settings and pages are loaded (the rest still loading), give each language its MkDocs job:
    MkDocs loads its config, which depends on nothing else, while the content loads, then waits for its plan.
    Anything unusual (an unknown language, a link in templates/) is left to the build to report, after the load."""
    try:
        chosen = _languages(partial, langs)
        _refuse_template_links(partial.root)
    except HandbookError:
        return
    env = _worker_env()
    for lang in chosen:
        worker = workers.idle()
        if worker is None:
            return
        (build_dir / lang / "docs").mkdir(parents=True, exist_ok=True)  # MkDocs checks that it exists
        config = mkdocs_config(partial, lang, build_dir, staging / lang)
        workers.submit(worker, Job(lang, str(config), strict, True, env))
        early[lang] = (worker, config.read_text(encoding="utf-8"))


def _worker_env() -> dict[str, str]:
    """What a worker sets before MkDocs runs: it was forked before the build knew SOURCE_DATE_EPOCH."""
    return {"SOURCE_DATE_EPOCH": os.environ["SOURCE_DATE_EPOCH"], "NO_MKDOCS_2_WARNING": "1"}


def _refuse_template_links(root: Path) -> None:
    refuse_links(root / "templates", root, "the build copies from templates/ into the site; replace each link "
                 "with the real file")


def refuse_links(folder: Path, root: Path, why: str) -> None:
    """Raise when `folder` is, or holds, a symbolic link: a link could bring any file of the machine into the site."""
    links = [folder] if folder.is_symlink() else []
    for parent, dirs, files in os.walk(folder):  # a linked folder is listed, never entered
        links += [Path(parent, name) for name in sorted(dirs + files) if os.path.islink(os.path.join(parent, name))]
    if links:
        names = ", ".join(display_path(link, root) for link in links[:5]) + (", ..." if len(links) > 5 else "")
        raise HandbookError(f"{names}: symbolic link{'s are' if len(links) > 1 else ' is'} not allowed here; {why}")


def _languages(book: Handbook, langs: list[str] | None) -> list[str]:
    from .languages import chosen

    return chosen(book, langs) if langs else book.settings.published


def _build_languages(book: Handbook, langs: list[str], build_dir: Path, caches: Path | None, staging: Path,
                     strict: bool, print_links: bool, progress: Progress, report: BuildReport, workers: Workers,
                     early: dict[str, tuple[int, str]], meanwhile: Callable[[], None], commands: Any = None) -> None:
    """Render each language and build it with MkDocs, or reuse its last build when none of its inputs changed.

    With workers, each language's plan goes to its worker (given its job during the load: `early`, or now)
    before its pages are rendered (a page of each language in turn), so MkDocs reads them as they are
    written; a language with no idle worker is rendered whole and waits for one. While the workers build,
    this process does `meanwhile` (the open data) and the cache keys for the next build."""
    progress(f"Building {len(langs)} language{'s' if len(langs) != 1 else ''}: {', '.join(langs)}")
    options = {"strict": strict, "print_links": print_links}
    env = _worker_env()
    keys: dict[str, str | None] = {}  # the languages to build, with their key when it was needed already
    results: dict[str, RenderResult] = {}
    outcomes: dict[str, Outcome] = {}
    streamed: list[tuple[rendering.RenderJob, Callable[[int], None]]] = []  # with their worker
    later: list[tuple[rendering.RenderJob, Job]] = []  # for the first worker that is done
    queued: list[Job] = []
    reused: dict[str, int] = {}  # language -> its pages
    for lang in langs:
        key = None
        given = early.pop(lang, None)
        if caches is not None and cache.saved(caches / lang):
            key = cache.language_key(book, lang, options)
            if given is not None and cache.matches(caches / lang, key):
                workers.cancel(given[0])  # first: its MkDocs empties the folder the saved site goes to
                given = None
            pages = cache.restore(caches / lang, key, staging / lang)
            if pages is not None:
                reused[lang] = pages
                continue
        keys[lang] = key
        job = rendering.RenderJob(book, lang, build_dir / lang / "docs", print_links, commands)
        config = mkdocs_config(book, lang, build_dir, staging / lang)
        results[lang] = job.result
        if given is not None and config.read_text(encoding="utf-8") != given[1]:
            workers.cancel(given[0])  # its config changed during the load (it depends on the settings alone)
            given = None
        if not workers:
            job.run()
            outcomes[lang] = run_mkdocs(str(config), strict)
            _warnings(lang, outcomes[lang], job.result.sources)  # raises at once when it failed
            continue
        worker = given[0] if given is not None else workers.idle()
        if worker is None:
            later.append((job, Job(lang, str(config), strict, False, env)))
            continue
        announce = workers.announcer(worker) if given is not None else \
            workers.submit(worker, Job(lang, str(config), strict, True, env))
        announce(job.plan)
        streamed.append((job, announce))
    for worker, _ in early.values():  # none is left: the same languages are chosen before and after the load
        workers.cancel(worker)
    rendering.render_together(streamed)  # a page of each language in turn: every worker starts at once
    mark("pages rendered")
    for job, whole in later:
        job.run()
        queued.append(whole)
    progress("Writing open data")
    meanwhile()
    if caches is not None:  # a first build works its keys out while MkDocs builds
        keys = {lang: key or cache.language_key(book, lang, options) for lang, key in keys.items()}
    mark("open data and keys written; waiting for MkDocs")
    while workers.busy():
        worker, done, outcome = workers.next_outcome()
        _warnings(done.lang, outcome, results[done.lang].sources)  # raises when it failed: the build stops
        outcomes[done.lang] = outcome
        if queued:
            workers.submit(worker, queued.pop(0))
    for lang in langs:
        if lang in reused:
            report.pages += reused[lang]
            report.reused.append(lang)
            progress(f"  {lang}: {reused[lang]} pages ({REUSED})")
            continue
        pages = len(results[lang].pages)
        report.pages += pages
        if caches is not None:
            cache.store(caches / lang, str(keys[lang]), staging / lang, pages)
        progress(f"  {lang}: {pages} pages")
        for warning in _warnings(lang, outcomes[lang], results[lang].sources):
            progress(f"  {lang}: warning: {warning}")


def _worksheets(book: Handbook, langs: list[str], staging: Path, caches: Path | None, progress: Progress) -> int:
    from .worksheets import build_worksheets

    everything = set(langs) == set(book.settings.published)  # every sheet is made: the cache drops the others
    written = build_worksheets(book, langs, ["a4", "letter"], staging,
                               cache_dir=caches / "worksheets" if caches else None, prune=everything,
                               progress=progress)
    from .handout import build_handouts  # a handout per case, made and cached the same way (not counted here)

    build_handouts(book, langs, ["a4", "letter"], staging, caches / "handouts" if caches else None, everything,
                   progress)
    from .book import build_books  # the whole handbook as a book per language, PDF and EPUB

    build_books(book, langs, ["a4", "letter"], staging, caches / "books" if caches else None, everything, progress)
    return len(written)


def _kept_languages(book: Handbook, langs: list[str], site: Path) -> list[str]:
    """The published languages this build does not build but the current site has: kept as they are."""
    return [lang for lang in book.settings.published if lang not in langs and (site / lang).is_dir()
            and not (site / lang).is_symlink()]


PRINTED = ("worksheets", "handouts", "book")  # the folders of PDFs a build without worksheets keeps from the last one


def _keep(site: Path, staging: Path, kept: list[str], no_worksheets: list[str]) -> None:
    """Copy into the new site what a build of some languages (or without worksheets) does not make again: the
    other languages' sites, and the worksheets, handouts and books of the languages built without them."""
    for lang in kept:
        shutil.copytree(site / lang, staging / lang, symlinks=True)
    for lang in no_worksheets:
        for folder in PRINTED:
            sheets = site / lang / folder
            if sheets.is_dir() and not sheets.is_symlink() and not (staging / lang / folder).exists():
                shutil.copytree(sheets, staging / lang / folder, symlinks=True)


def _world_readable(folder: Path) -> None:
    """Folders 0755 and files 0644 throughout: whoever serves or copies the site can read all of it."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(parent, name), 0o755, follow_symlinks=False)
        for name in files:
            path = os.path.join(parent, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


def _write_root_index(book: Handbook, langs: list[str], staging: Path) -> None:
    env = environment(book.root, "site", book.source_lang)
    site = book.settings.site_url
    home = f"{str(site).rstrip('/')}/" if site else None  # without a site_url, nothing absolute
    languages = [{"code": code, "name": language_name(code), "href": f"{home or ''}{code}/index.html",
                  "title": book.settings.text(book.settings.title, code)} for code in langs]
    html = render(env, "site", "index.html.j2", title=book.settings.text(book.settings.title, book.source_lang),
                  languages=languages, codes=langs, home=home)
    (staging / "index.html").write_text(html, encoding="utf-8")


def _write_data(book: Handbook, langs: list[str], staging: Path) -> None:
    """The JSON Schema files and, per language, the open data (cases.json, cases.csv, recipes.json)."""
    from .export import write_site_data
    from .schema import write_schemas

    write_schemas(book.root, staging / "schema", book.vocabulary)
    for lang in langs:
        write_site_data(book, lang, staging / lang / "data")


EXTRAS = ".extras"  # inside the staging folder: MkDocs empties <lang>/ when it starts, so extras wait here


def _write_extras(book: Handbook, langs: list[str], kept: list[str], folder: Path, parsed: ParseCache) -> None:
    """What does not need MkDocs (the root page, schemas, open data, the parse cache), written while MkDocs builds.
    The root page lists the languages built and those `kept` from the last build."""
    parsed.save()
    folder.mkdir(parents=True, exist_ok=True)
    _write_root_index(book, [lang for lang in book.settings.published if lang in langs or lang in kept], folder)
    _write_data(book, langs, folder)


def _merge(source: Path, target: Path) -> None:
    """Move every file of `source` to the same place under `target` (no file is ever replaced), then drop it."""
    for item in sorted(source.iterdir()):
        if item.is_dir() and (target / item.name).is_dir():
            _merge(item, target / item.name)
        elif (target / item.name).exists():
            raise HandbookError(f"{display_path(target / item.name, target)} was written twice (this is a bug)")
        else:
            os.rename(item, target / item.name)
    source.rmdir()


def _swap(staging: Path, site: Path) -> None:
    """Put the new site in place: rename the old one aside, rename the new one in, then delete the old."""
    old = None
    if site.exists() or site.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=".site-old-", dir=site.parent))
        os.rename(site, old / "site")
    try:
        os.rename(staging, site)
    except OSError:
        if old is not None:
            os.rename(old / "site", site)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
