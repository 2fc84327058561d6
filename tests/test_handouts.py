"""A handout per case: an organiser prints one sheet, front and back, for a meeting, in their language, on A4 or
Letter. It holds only what the case's file says, with its sources' addresses. Every PDF is read back with pypdf."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_worksheets import FORBIDDEN, PAGE_SIZES, pdf_text, words

from generator import handout
from generator.validate import Handbook, load_handbook

from pdfcheck import pdf_names
from sitebuild import copy_source, with_templates

LANGS = ("en", "es")
PAPERS = ("a4", "letter")


def plain(markdown: str) -> str:
    """The first 60 characters of contributed Markdown's first line as they print: emphasis marks and link
    targets gone."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown.strip().split("\n")[0])
    return words(re.sub(r"[*_`]", "", text))[:60]


def no_space(text: str) -> str:
    """Text without any white space: an address broken over two lines still reads as one."""
    return "".join(text.split())


@pytest.fixture
def tiny(tiny_handbook: Path) -> Path:
    """The tiny handbook, with the repository's templates and MkDocs settings."""
    return with_templates(tiny_handbook)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Handbook, Path]]:
    """The repository's handbook, every case's handout in English and Spanish on both papers."""
    root = copy_source(tmp_path_factory.mktemp("handouts") / "book")
    book = load_handbook(root)
    assert not book.errors
    out = root / "out"
    handout.build_handouts(book, list(LANGS), list(PAPERS), out)
    yield book, out


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_case_fits_one_sheet_front_and_back_on_the_right_paper(real: tuple[Handbook, Path], lang: str,
                                                                       paper: str) -> None:
    book, out = real
    for slug in book.cases:
        reader = PdfReader(out / lang / "handouts" / f"{slug}-{paper}.pdf")
        assert 1 <= len(reader.pages) <= 2, f"{slug} ({lang}, {paper}) is {len(reader.pages)} pages"
        for page in reader.pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == PAGE_SIZES[paper]
        assert not (pdf_names(reader) & FORBIDDEN) and not reader.attachments


@pytest.mark.parametrize("lang", LANGS)
def test_a_handout_says_what_the_case_says_and_gives_its_sources_addresses(real: tuple[Handbook, Path],
                                                                         lang: str) -> None:
    book, out = real
    headings = {"en": ["What happened", "How decisions are made", "Challenges and criticism",
                       "Lessons for your group", "Sources", "Handout for a meeting"],
                "es": ["Qué pasó", "Cómo se toman las decisiones", "Retos y críticas", "Lecciones para tu grupo",
                       "Fuentes", "Hoja para una reunión"]}[lang]
    for slug in ("porto-alegre", "somaliland"):
        case, _ = book.localized("case", slug, lang)
        reader = PdfReader(out / lang / "handouts" / f"{slug}-a4.pdf")
        text = pdf_text(reader)
        assert reader.metadata is not None and reader.metadata.title == case.title
        for heading in headings:
            assert heading.upper() in text.upper(), f"{slug}: no {heading!r}"
        for part in (case.title, case.summary, plain(case.story), plain(case.decisions),
                     *(plain(c.text) for c in case.challenges), *(words(lesson) for lesson in case.lessons[:3])):
            assert words(part) in text, f"{slug} ({lang}) lacks {part!r}"
        for lesson in case.lessons[3:]:  # one sheet: the first three lessons
            assert words(lesson)[:60] not in text
        flat = no_space(text)
        for source in case.sources:
            assert no_space(source.title) in flat
            if source.url:
                assert no_space(source.url) in flat, f"{slug}: no address {source.url}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_handout_gives_the_case_questions_to_discuss_after_its_lessons(real: tuple[Handbook, Path],
                                                                           lang: str) -> None:
    book, out = real
    heading, lessons, sources = {"en": ("Questions to discuss", "Lessons for your group", "Sources"),
                                 "es": ("Preguntas para debatir", "Lecciones para tu grupo", "Fuentes")}[lang]
    for slug in ("porto-alegre", "somaliland"):
        case, state = book.localized("case", slug, lang)
        english = book.cases[slug].model.questions
        assert state in ("source", "translated") and len(case.questions) == 3
        for paper in PAPERS:
            text = pdf_text(PdfReader(out / lang / "handouts" / f"{slug}-{paper}.pdf"))
            upper = text.upper()
            start = upper.index(heading.upper())
            assert upper.index(lessons.upper()) < start < upper.index(sources.upper(), start)
            part = text[start:upper.index(sources.upper(), start)]
            at = [part.index(words(question)) for question in case.questions]
            assert at == sorted(at), f"{slug} ({lang}, {paper}): the questions are not in their order"
            if lang != "en":
                assert not any(words(question) in text for question in english), "left in English"


def test_a_case_without_questions_gets_none_made_up_and_no_heading(tiny: Path, tmp_path: Path) -> None:
    book = load_handbook(tiny)
    assert not book.cases["porto-alegre"].model.questions
    for pdf in handout.build_handouts(book, ["en", "es"], ["a4"], tmp_path):
        text = pdf_text(PdfReader(pdf)).casefold()
        assert "question" not in text and "pregunta" not in text, pdf


def test_a_handout_longer_than_one_sheet_is_built_with_a_warning_naming_its_case(tiny: Path, handbook,
                                                                                 edit) -> None:
    paragraph = "  The assemblies met again in every district and ranked what the city should build first.\n\n"
    edit(tiny / "handbook" / "cases" / "porto-alegre.yaml", "story: |\n", "story: |\n" + paragraph * 90)
    result = handbook(tiny, "build", "--jobs", "1", "--lang", "en")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "handout runs to" in line]
    assert len(warnings) == 1, result.output
    match = re.fullmatch(r"handbook/cases/porto-alegre\.yaml: the handout runs to (\d+) pages; a handout is one "
                         r"sheet, front and back \(en: a4, letter\): shorten the story, decisions or challenges it "
                         r"prints", warnings[0])
    assert match, warnings[0]
    pages = [len(PdfReader(tiny / "site" / "en" / "handouts" / f"porto-alegre-{paper}.pdf").pages)
             for paper in PAPERS]
    assert int(match.group(1)) == max(pages) > 2


def test_a_case_with_one_lesson_and_no_address_prints_what_it_has(tiny: Path, tmp_path: Path) -> None:
    case = tiny / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(
        "    url: https://doi.org/10.1177/0032329298026004003\n", ""), encoding="utf-8")
    book = load_handbook(tiny)
    assert not book.errors
    [pdf] = handout.build_handouts(book, ["en"], ["letter"], tmp_path)
    text = pdf_text(PdfReader(pdf))
    lessons = text.split("Lessons for your group")[1].split("Sources")[0]
    assert words(lessons) == "Start with a budget people can see and touch."
    assert "Boaventura de Sousa Santos. Participatory Budgeting in Porto Alegre" in text
    assert "https://" not in text  # no site_url and no source address: nothing made up


def test_a_language_without_a_translation_says_so(tiny: Path, tmp_path: Path, edit) -> None:
    edit(tiny / "handbook.yml", "languages: [en, es]", "languages: [en, es, pt]")
    book = load_handbook(tiny)
    [pdf] = handout.build_handouts(book, ["pt"], ["a4"], tmp_path)
    text = pdf_text(PdfReader(pdf))
    assert "Participatory budgeting in Porto Alegre" in text
    assert "inglês" in text  # "shown in English", in Portuguese


def test_the_same_case_gives_the_same_bytes_and_is_not_rendered_twice(tiny: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    book = load_handbook(tiny)
    cache = tmp_path / "cache"
    first = [p.read_bytes() for p in handout.build_handouts(book, ["en", "es"], ["a4"], tmp_path / "1", cache)]
    rendered: list[str] = []
    monkeypatch.setattr("generator.worksheets.render_pdf", lambda html, folder: rendered.append(html) or b"")
    lines: list[str] = []
    again = handout.build_handouts(book, ["en", "es"], ["a4"], tmp_path / "2", cache, progress=lines.append)
    assert [p.read_bytes() for p in again] == first and not rendered
    assert lines == ["Handouts: 2 PDFs, unchanged since the last build"]
    monkeypatch.undo()
    fresh = handout.build_handouts(book, ["en", "es"], ["a4"], tmp_path / "3")
    assert [p.read_bytes() for p in fresh] == first


def test_the_case_page_links_its_handout_on_both_papers_in_each_language(tiny: Path, handbook) -> None:
    result = handbook(tiny, "build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    for lang, label in (("en", "Print a handout for a meeting"), ("es", "Imprimir una hoja para una reunión")):
        page = tiny / "site" / lang / "cases" / "porto-alegre.html"
        line = re.search(r'<p class="hb-print"[^>]*>([^<]*):(.*?)</p>', page.read_text(encoding="utf-8"))
        assert line is not None and line.group(1) == label
        links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', line.group(2))
        assert [text for _, text in links] == ["Letter" if lang == "en" else "Carta (EE. UU.)", "A4"]  # letter first
        for href, _ in links:
            pdf = (page.parent / href).resolve()
            assert pdf.parent == tiny / "site" / lang / "handouts" and pdf.is_file()
            assert PdfReader(pdf).metadata.title == load_handbook(tiny).localized("case", "porto-alegre", lang)[0].title
    result = handbook(tiny, "build", "--jobs", "1", "--lang", "es", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert (tiny / "site" / "es" / "handouts" / "porto-alegre-a4.pdf").is_file()  # kept, like the worksheets


def test_the_worksheets_command_writes_the_handouts_too(tiny: Path, handbook) -> None:
    result = handbook(tiny, "worksheets", "--lang", "es", "--paper", "a4")
    assert result.exit_code == 0, result.output
    assert (tiny / "site" / "es" / "handouts" / "porto-alegre-a4.pdf").is_file()
    assert not (tiny / "site" / "es" / "handouts" / "porto-alegre-letter.pdf").exists()


def test_a_source_is_never_split_between_two_pages(tiny: Path, tmp_path: Path, edit) -> None:
    """A source and its address stay together on one side of the sheet: nobody types half an address. Sixty
    sources of four lines make the list run over page breaks (an entry of two or three lines is never split
    anyway: a page keeps at least two lines of a paragraph; four lines could go two and two)."""
    case = tiny / "handbook" / "cases" / "porto-alegre.yaml"
    ids = [f"report-{n:02d}" for n in range(1, 61)]
    sources = "".join(
        f"  - id: {source}\n"
        f"    title: \"Assemblies, delegates and budget councils in the districts of the city, report {n} of a long "
        f"series on how residents ranked public works, what the council funded, what it left for the next year and "
        f"why, with the minutes of every regional assembly and the thematic forums, the tables of the works ranked "
        f"first in each of the sixteen districts\"\n"
        f"    author: Gabinete de Planejamento, Coordenação de Relações com a Comunidade and the Conselho do "
        f"Orçamento Participativo\n"
        f"    publisher: City of Porto Alegre\n    year: 2000\n"
        f"    url: https://example.org/reports/participatory-budget/{source}\n    kind: report\n"
        for n, source in enumerate(ids, 1))
    edit(case, "reviewed: 2026-11-26", sources + "reviewed: 2026-11-26")
    edit(case, "    sources: [santos-1998]", f"    sources: [santos-1998, {', '.join(ids)}]")
    book = load_handbook(tiny)
    assert not book.errors, book.errors
    for pdf in handout.build_handouts(book, ["en"], list(PAPERS), tmp_path):
        pages = [no_space(page.extract_text()) for page in PdfReader(pdf).pages]
        assert len(pages) > 2
        for n, source in enumerate(ids, 1):
            entry = no_space(f"report {n} of a long series on how residents ranked public works")
            address = f"https://example.org/reports/participatory-budget/{source}"
            holding = [i for i, page in enumerate(pages) if entry in page and address in page]
            assert len(holding) == 1, f"{pdf.name}: source {n} is not whole on one page"
