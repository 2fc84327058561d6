"""A handout per case study: one sheet, front and back (A4 and Letter), to hand round the table at a meeting.

It holds only what the case's file says: what happened, how decisions are made, what went wrong (its
challenges, with their source marks), its first lessons, the questions it gives a group to discuss (when its
file has them: a handout never makes one up), and its sources with their addresses. Handouts are rendered with
the worksheets' machinery (`worksheets.render_cached`: reproducible bytes, cached by a hash of their inputs) into
`<lang>/handouts/<slug>-<paper>.pdf`, from `templates/worksheets/handout.html.j2` and `handout.css`. A handout
that runs past one sheet is still written, and the build names the case's file in a warning."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .errors import HandbookError
from .paths import page_address
from .printhtml import Notes, SourceView, Text, markdown_html
from .render import Renderer
from .templating import environment, render, template_file
from .validate import Handbook
from .worksheets import FOLDER as TEMPLATES
from .worksheets import PAPERS, Job, _input_hash, build_date, page_count, render_cached
from .worksheets import STYLESHEET as WORKSHEET_STYLESHEET

FOLDER = "handouts"  # under <lang>/ in the site
TEMPLATE = "handout.html.j2"
STYLESHEET = "handout.css"  # read after the worksheets' own
LESSONS = 3  # a handout is one sheet: the case's first three lessons, in the order its authors wrote them
PAGES = 2  # one sheet, front and back: a longer handout is written, with a warning naming the case's file


def handout_pdf(slug: str, paper: str) -> str:
    """File name of a case's handout, under `<lang>/handouts/`."""
    return f"{slug}-{paper}.pdf"


@dataclass(frozen=True)
class HandoutView:
    lang: str
    title: Text
    handbook_title: str
    licence: str
    page_size: str
    date: str
    address: str
    state: str
    partial: bool
    source_language: str
    place: str
    period: str
    summary: Text
    story: Text
    decisions: Text
    challenges: list[Text]
    lessons: list[Text]
    questions: list[Text]
    sources: list[SourceView]
    page_number: Markup = Markup('<span class="page-number"></span>')
    page_count: Markup = Markup('<span class="page-count"></span>')


def handout_document(book: Handbook, renderer: Renderer, slug: str, paper: str) -> HandoutView:
    """What a case's handout shows, in the renderer's language."""
    lang = renderer.lang
    case, told = renderer.translation("case", slug)
    lang_of = told["lang_of"]
    notes = Notes(case.sources)

    def block(name: str) -> Text:
        return Text(markdown_html(getattr(case, name), "cases"), lang_of(name))

    challenges = [Text(notes.claim(markdown_html(claim.text, "cases"), claim.sources), lang_of("challenges", i, "text"))
                  for i, claim in enumerate(case.challenges)]
    settings = book.settings
    return HandoutView(
        lang=lang, title=Text(case.title, lang_of("title")), handbook_title=settings.text(settings.title, lang),
        licence=settings.licence, page_size=PAPERS[paper], date=build_date(),
        address=page_address(settings.site_url, lang, "case", slug) or "", state=told["state"],
        partial=told["partial"], source_language=told["source_name"], place=renderer.place(case),
        period=renderer.period(case), summary=Text(case.summary, lang_of("summary")), story=block("story"),
        decisions=block("decisions"), challenges=challenges,
        lessons=[Text(lesson, lang_of("lessons", i)) for i, lesson in enumerate(case.lessons[:LESSONS])],
        questions=[Text(question, lang_of("questions", i)) for i, question in enumerate(case.questions)],
        sources=notes.notes)


@dataclass(frozen=True)
class _Handout:
    slug: str
    lang: str
    paper: str
    job: Job


def _jobs(book: Handbook, langs: list[str], papers: list[str], out: Path, css: bytes) -> list[_Handout]:
    jobs: list[_Handout] = []
    for lang in langs:
        renderer = Renderer(book, lang)
        env = environment(book.root, TEMPLATES, lang)
        for paper in papers:
            for slug in sorted(book.cases):
                html = render(env, TEMPLATES, TEMPLATE, doc=handout_document(book, renderer, slug, paper))
                job = Job(out / lang / FOLDER / handout_pdf(slug, paper), html, _input_hash(html, css, paper))
                jobs.append(_Handout(slug, lang, paper, job))
    return jobs


def build_handouts(book: Handbook, langs: list[str], papers: list[str], out: Path, cache_dir: Path | None = None,
                   prune: bool = False, progress: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Write every case's handout for `langs` x `papers` under `out/<lang>/handouts/`; with `cache_dir`, a
    handout whose inputs are unchanged is copied, not rendered (`prune`: drop the cached ones not made now).
    A handout longer than one sheet, front and back, is written too, and `progress` is told which case's file
    to shorten (one line a case)."""
    unknown = [p for p in papers if p not in PAPERS]
    if unknown:
        raise HandbookError(f"unknown paper size {unknown[0]!r}; use one of {', '.join(PAPERS)}")
    folder = book.root / "templates" / TEMPLATES
    css = b"".join(template_file(book.root, TEMPLATES, name) for name in (WORKSHEET_STYLESHEET, STYLESHEET))
    handouts = _jobs(book, langs, papers, out, css)
    written = render_cached([h.job for h in handouts], folder, cache_dir, prune, progress, "handouts")
    for line in too_long(book, handouts):
        progress(line)
    return written


def too_long(book: Handbook, handouts: list[_Handout]) -> list[str]:
    """A warning for each case whose handout runs past one sheet, front and back, in some language or paper:
    `handbook/cases/x.yaml: the handout runs to 3 pages; a handout is one sheet, front and back (en: a4)...`."""
    over: dict[str, dict[str, list[str]]] = {}
    pages: dict[str, int] = {}
    for handout in handouts:
        count = page_count(handout.job.target.read_bytes())
        if count > PAGES:
            over.setdefault(handout.slug, {}).setdefault(handout.lang, []).append(handout.paper)
            pages[handout.slug] = max(pages.get(handout.slug, 0), count)
    lines = []
    for slug in sorted(over):
        where = "; ".join(f"{lang}: {', '.join(papers)}" for lang, papers in over[slug].items())
        lines.append(f"{book.cases[slug].doc.path}: the handout runs to {pages[slug]} pages; a handout is one "
                     f"sheet, front and back ({where}): shorten the story, decisions or challenges it prints")
    return lines
