"""The whole handbook as one book per language: a tagged PDF (A4 and Letter, WeasyPrint) and an EPUB 3.

The book holds every case study, action recipe and toolkit, in the order of the site's navigation, each with its
sources as numbered notes with their addresses. The PDF has a cover (the handbook's title, and a fork's place and
group), a table of contents with page numbers, bookmarks, running heads and page numbers; it is rendered with the
worksheets' machinery (`worksheets.render_cached`: reproducible bytes, cached by a hash of its inputs). The EPUB
(reflowable, with its navigation and language, no script) is a zip the standard library writes, so a build
needs no Java. Both go into `<lang>/book/`, from the templates of `templates/book/`."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .errors import HandbookError
from .printhtml import Notes, SourceView, Text, markdown_html, xhtml
from .render import Renderer
from .templating import environment, fill, placeholder_values, render, template_file
from .validate import Handbook
from .worksheets import PAPERS, Job, _input_hash, build_date, render_cached, write_atomic

FOLDER = "book"  # templates/book/, and <lang>/book/ in the site
STYLESHEET = "book.css"
EPUB_STYLESHEET = "epub.css"
NAME = "handbook"
KINDS = ("case", "recipe", "toolkit")  # the site's navigation: case studies, action recipes, toolkits


def book_pdf(paper: str) -> str:
    """File name of a language's book on `paper`, under `<lang>/book/`."""
    return f"{NAME}-{paper}.pdf"


def book_epub() -> str:
    return f"{NAME}.epub"


Link = Callable[[str, str], str]  # (kind, slug) -> where that chapter is, in this document


@dataclass(frozen=True)
class Chapter:
    kind: str
    slug: str
    id: str
    file: str  # the chapter's file in the EPUB
    title: Text
    summary: Text
    facts: list[tuple[str, str]]
    state: str
    partial: bool
    source_language: str
    parts: dict[str, Any]
    notes: list[SourceView] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    kind: str
    id: str
    title: str
    chapters: list[Chapter]


@dataclass(frozen=True)
class BookView:
    lang: str
    title: str
    description: str
    place: str
    group: str
    licence: str
    address: str
    date: str
    page_size: str
    parts: list[Part]
    identifier: str = ""


class _Chapters:
    """Builds the chapters of one language; `link` says where another chapter is (an anchor in the PDF, a file
    in the EPUB)."""

    def __init__(self, book: Handbook, renderer: Renderer, link: Link) -> None:
        self.book = book
        self.r = renderer
        self.link = link

    def href(self, kind: str, slug: str) -> str:
        return self.link(kind, slug)

    def md(self, text: str | None, folder: str, values: dict[str, str] | None = None) -> Markup:
        return markdown_html(text, folder, values, lambda kind, slug: self.link(kind, slug))

    def chapter(self, kind: str, slug: str) -> Chapter:
        model, told = self.r.translation(kind, slug)
        return {"case": self.case, "recipe": self.recipe, "toolkit": self.toolkit}[kind](slug, model, told)

    def _chapter(self, kind: str, slug: str, model: Any, told: dict[str, Any], title: str, summary: str,
                 facts: list[tuple[str, str]], parts: dict[str, Any], notes: Notes | None = None) -> Chapter:
        lang_of = told["lang_of"]
        anchor = f"{kind}-{slug}"
        return Chapter(kind, slug, anchor, f"{anchor}.xhtml", Text(title, lang_of("title")),
                       Text(summary, lang_of("summary")), facts, told["state"], told["partial"], told["source_name"],
                       parts, notes.notes if notes else [])

    def case(self, slug: str, case: Any, told: dict[str, Any]) -> Chapter:
        r, lang_of = self.r, told["lang_of"]
        notes = Notes(case.sources, f"case-{slug}-source")

        def block(name: str) -> Text:
            return Text(self.md(getattr(case, name), "cases"), lang_of(name))

        def claims(group: str) -> list[Text]:
            return [Text(notes.claim(self.md(c.text, "cases"), c.sources), lang_of(group, i, "text"))
                    for i, c in enumerate(getattr(case, group))]

        _ = r._
        facts = [(_("Place"), r.place(case)), (_("Period"), r.period(case)),
                 (_("Scale"), r.label("scales", case.scale)),
                 (_("Sectors"), ", ".join(r.label("sectors", s) for s in case.sectors)),
                 (_("Models"), ", ".join(r.label("models", m) for m in case.models))]
        parts = {"story": block("story"), "decisions": block("decisions"),
                 "participants": block("participants") if case.participants else None,
                 "outcomes": claims("outcomes"), "challenges": claims("challenges"),
                 "lessons": [Text(lesson, lang_of("lessons", i)) for i, lesson in enumerate(case.lessons)],
                 "questions": [Text(question, lang_of("questions", i)) for i, question in enumerate(case.questions)],
                 "recipes": [(self.href("recipe", s), r.title("recipe", s)) for s in case.recipes],
                 "related": [(self.href("case", s), r.title("case", s)) for s in case.related],
                 "reviewed": r.date(case.reviewed)}
        return self._chapter("case", slug, case, told, case.title, case.summary, facts, parts, notes)

    def recipe(self, slug: str, recipe: Any, told: dict[str, Any]) -> Chapter:
        r, lang_of, v = self.r, told["lang_of"], self.r.values
        notes = Notes(recipe.sources, f"recipe-{slug}-source")
        _ = r._
        difficulty = {"starter": _("Starter"), "intermediate": _("Intermediate"),
                      "advanced": _("Advanced")}[recipe.difficulty]
        facts = [(_("Time"), recipe.time)] + ([(_("People"), recipe.people)] if recipe.people else []) + \
            [(_("Difficulty"), difficulty)] + \
            ([(_("Principles"), ", ".join(r.label("principles", p) for p in recipe.principles))]
             if recipe.principles else [])
        sheets = {w.id: fill(w.title, v) for w in recipe.worksheets}
        strength = {"supported": _("Well supported."), "mixed": _("Mixed evidence."), "thin": _("Thin evidence.")}
        parts = {
            "goal": Text(self.md(recipe.goal, "recipes", v), lang_of("goal")),
            "you_need": [Text(fill(item, v), lang_of("you_need", i)) for i, item in enumerate(recipe.you_need)],
            "steps": [{"title": Text(fill(s.title, v), lang_of("steps", i, "title")), "time": s.time or "",
                       "body": Text(notes.claim(self.md(s.text, "recipes", v), s.sources), lang_of("steps", i, "text")),
                       "worksheet": sheets.get(s.worksheet or "", "")} for i, s in enumerate(recipe.steps)],
            "pitfalls": [{"pitfall": Text(fill(p.pitfall, v), lang_of("pitfalls", i, "pitfall")),
                          "remedy": Text(notes.claim(self.md(p.remedy, "recipes", v), p.sources),
                                         lang_of("pitfalls", i, "remedy"))} for i, p in enumerate(recipe.pitfalls)],
            "research": [{"strength": strength[f.strength],
                          "text": Text(notes.claim(self.md(f.text, "recipes", v), f.sources),
                                       lang_of("research", i, "text"))} for i, f in enumerate(recipe.research)],
            "evidence": [(self.href("case", c), r.title("case", c)) for c in recipe.evidence],
            "worksheets": [(fill(w.title, v), fill(w.intro or "", v)) for w in recipe.worksheets],
        }
        return self._chapter("recipe", slug, recipe, told, fill(recipe.title, v), fill(recipe.summary, v), facts,
                             parts, notes)

    def toolkit(self, slug: str, toolkit: Any, told: dict[str, Any]) -> Chapter:
        r, lang_of = self.r, told["lang_of"]
        v = placeholder_values(self.book.root, self.book.settings, r.lang, toolkit.institution)
        path = []
        for s in toolkit.recipes:
            model, _state = self.book.localized("recipe", s, r.lang)
            path.append((self.href("recipe", s), fill(model.title, v), fill(model.summary, v)))
        def texts(name: str) -> list[Text]:
            return [Text(fill(x, v), lang_of(name, i)) for i, x in enumerate(getattr(toolkit, name))]

        parts = {"intro": Text(self.md(toolkit.intro, "toolkits", v), lang_of("intro")),
                 "stakeholders": texts("stakeholders"), "decisions": texts("decisions"),
                 "path": path, "cases": [(self.href("case", c), r.title("case", c)) for c in toolkit.cases]}
        return self._chapter("toolkit", slug, toolkit, told, fill(toolkit.title, v), fill(toolkit.summary, v), [],
                             parts)


def book_document(book: Handbook, lang: str, paper: str, link: Link) -> BookView:
    """What a language's book holds: every case, recipe and toolkit, in the order of the site's index pages."""
    renderer = Renderer(book, lang)
    chapters = _Chapters(book, renderer, link)
    _ = renderer._
    titles = {"case": _("Case studies"), "recipe": _("Action recipes"), "toolkit": _("Toolkits")}
    parts = []
    for kind in KINDS:
        slugs = sorted(book.entries(kind), key=lambda s, k=kind: (renderer.title(k, s).casefold(), s))  # type: ignore[misc]
        if slugs:
            parts.append(Part(kind, f"part-{kind}", titles[kind], [chapters.chapter(kind, s) for s in slugs]))
    settings = book.settings
    address = f"{str(settings.site_url).rstrip('/')}/{lang}/" if settings.site_url else ""
    title = settings.text(settings.title, lang)
    identifier = uuid.uuid5(uuid.NAMESPACE_URL, address or f"civic-handbook:{title}:{lang}")
    return BookView(lang, title, settings.text(settings.description, lang), settings.place or "",
                    settings.group or "", settings.licence, address, build_date(), PAPERS.get(paper, ""), parts,
                    f"urn:uuid:{identifier}")


# ---------------------------------------------------------------- the PDF


def pdf_html(book: Handbook, lang: str, paper: str, env: Any = None) -> str:
    doc = book_document(book, lang, paper, lambda kind, slug: f"#{kind}-{slug}")
    return render(env or environment(book.root, FOLDER, lang), FOLDER, "book.html.j2", doc=doc)


def _pdf_jobs(book: Handbook, langs: list[str], papers: list[str], out: Path, css: bytes) -> list[Job]:
    jobs = []
    for lang in langs:
        env = environment(book.root, FOLDER, lang)
        for paper in papers:
            html = pdf_html(book, lang, paper, env)
            jobs.append(Job(out / lang / FOLDER / book_pdf(paper), html, _input_hash(html, css, paper)))
    return jobs


# ---------------------------------------------------------------- the EPUB


def epub_files(book: Handbook, lang: str) -> dict[str, bytes]:
    """Every file of a language's EPUB by its path in the zip, `mimetype` first."""
    doc = book_document(book, lang, "", lambda kind, slug: f"{kind}-{slug}.xhtml")
    env = environment(book.root, FOLDER, lang)

    def page(template: str, **context: Any) -> bytes:
        return xhtml(render(env, FOLDER, template, doc=doc, **context)).encode("utf-8")

    files = {"mimetype": b"application/epub+zip",
             "META-INF/container.xml": page("container.xml.j2"),
             "EPUB/package.opf": page("package.opf.j2"),
             "EPUB/nav.xhtml": page("nav.xhtml.j2"),
             "EPUB/cover.xhtml": page("cover.xhtml.j2"),
             "EPUB/epub.css": template_file(book.root, FOLDER, EPUB_STYLESHEET)}
    for part in doc.parts:
        files[f"EPUB/{part.id}.xhtml"] = page("part.xhtml.j2", part=part)
        for chapter in part.chapters:
            files[f"EPUB/{chapter.file}"] = page("chapter.xhtml.j2", chapter=chapter)
    return files


def epub_bytes(files: dict[str, bytes]) -> bytes:
    """The EPUB's zip: `mimetype` first and stored, then the rest compressed, each with the build's date, so the
    same book gives the same bytes."""
    import io

    stamp = _zip_date()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9 if name != "mimetype" else None)
    return buffer.getvalue()


def _zip_date() -> tuple[int, int, int, int, int, int]:
    date = build_date()  # 1970-01-01T00:00:00Z: zip dates start in 1980
    year, month, day = (int(x) for x in date[:10].split("-"))
    hour, minute, second = (int(x) for x in date[11:19].split(":"))
    return (year, month, day, hour, minute, second) if year >= 1980 else (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- both


def build_books(book: Handbook, langs: list[str], papers: list[str], out: Path, cache_dir: Path | None = None,
                prune: bool = False, progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Write each language's book under `out/<lang>/book/`: a PDF per paper (cached like the worksheets, with
    `cache_dir`) and an EPUB. Returns the files written."""
    unknown = [p for p in papers if p not in PAPERS]
    if unknown:
        raise HandbookError(f"unknown paper size {unknown[0]!r}; use one of {', '.join(PAPERS)}")
    folder = book.root / "templates" / FOLDER
    css = template_file(book.root, FOLDER, STYLESHEET)
    written = render_cached(_pdf_jobs(book, langs, papers, out, css), folder, cache_dir, prune, progress, "books")
    for lang in langs:
        target = out / lang / FOLDER / book_epub()
        write_atomic(target, epub_bytes(epub_files(book, lang)))
        written.append(target)
    progress(f"Books: {len(langs)} EPUB{'s' if len(langs) != 1 else ''}")
    return written

